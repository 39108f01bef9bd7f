"""Entry point: `python app.py` serves the app (gevent); `flask --app app ...` runs its commands."""
from gevent import monkey

monkey.patch_all()

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    from workshop import heap

    heap.settle()
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"Storming is running at http://{host}:{port}/", flush=True)
    socketio.run(app, host=host, port=port, log_output=False)
