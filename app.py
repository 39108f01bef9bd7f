"""Entry point: `python app.py` serves the app (gevent); `flask --app app ...` runs its commands."""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import sys  # noqa: E402

if os.environ.get("WEBSOCKET_SERVER", "gevent-websocket") == "simple-websocket":
    # The exit from gevent-websocket (ADR 0010): hidden before engine.io's gevent driver is imported,
    # engine.io serves websockets with simple-websocket (maintained) and Flask-SocketIO runs plain pywsgi.
    sys.modules["geventwebsocket"] = None

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    from workshop import heap

    heap.settle()
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"Storming is running at http://{host}:{port}/", flush=True)
    socketio.run(app, host=host, port=port, log_output=False)
