"""The baseline for benchmarks/realtime.py: the smallest Socket.IO server that relays board ops.

Same stack as the real server (Flask-SocketIO on gevent, `socketio.run`, the same websocket layer
and packet JSON), but no authentication,
no validation, no storage and no batching: each `ops` message is acknowledged at once and
re-broadcast to the room as it is (one emit per message, like a naive server). Cursors are, by
default, relayed the same way as the real server does (latest position per client, one `cursors`
emit per 25 ms tick) so that the comparison isolates the operations path; `--cursors naive` relays
every cursor message with its own emit instead.

    HOST=127.0.0.1 PORT=5001 .venv/bin/python benchmarks/relay_server.py [--cursors tick|naive]
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402

from workshop.realtime import MAX_MESSAGE_BYTES, origin_check, websocket, wire  # noqa: E402

ROOM = "board"
TICK_SECONDS = 0.025


def create_relay(cursor_mode: str = "tick") -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    # the same stack as ours underneath: orjson packets and the websocket layer of ADR 0009
    socketio = SocketIO(app, async_mode="gevent", max_http_buffer_size=MAX_MESSAGE_BYTES, json=wire)
    websocket.harden(MAX_MESSAGE_BYTES, origin_check(socketio.server.eio))
    moved: dict[str, dict[str, list]] = {}  # room -> sid -> cursor
    rooms: dict[str, str] = {}  # sid -> room: one per join token (benchmarks/realtime.py --boards B)
    ticking = []

    def tick() -> None:
        nonlocal moved
        while True:
            socketio.sleep(TICK_SECONDS)
            if moved:
                batches, moved = moved, {}
                for room, batch in batches.items():
                    socketio.emit("cursors", {"cursors": list(batch.values())}, to=room)

    @socketio.on("connect")
    def on_connect(auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        room = rooms[request.sid] = f"{ROOM}:{token}" if isinstance(token, str) else ROOM
        join_room(room)
        if cursor_mode == "tick" and not ticking:
            ticking.append(socketio.start_background_task(tick))

    @socketio.on("snapshot")
    def on_snapshot(_payload=None):
        return {"ok": True, "snapshot": {"seq": 0, "stickies": []}}

    @socketio.on("ops")
    def on_ops(payload=None):
        ops = payload.get("ops", []) if isinstance(payload, dict) else []
        emit("ops", {"ops": ops}, to=rooms.get(request.sid, ROOM))
        return {"ok": True, "results": [{"id": op.get("id"), "ok": True} for op in ops if isinstance(op, dict)]}

    @socketio.on("cursor")
    def on_cursor(payload=None):
        if not isinstance(payload, dict):
            return
        cursor = [request.sid, payload.get("x"), payload.get("y")]  # the compact form ours sends
        if cursor_mode == "naive":
            emit("cursors", {"cursors": [cursor]}, to=rooms.get(request.sid, ROOM))
        else:
            moved.setdefault(rooms.get(request.sid, ROOM), {})[request.sid] = cursor

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cursors", choices=("tick", "naive"), default="tick")
    args = parser.parse_args()
    app, socketio = create_relay(args.cursors)
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5001"))
    print(f"Relay is running at http://{host}:{port}/", flush=True)
    socketio.run(app, host=host, port=port, log_output=False)


if __name__ == "__main__":
    main()
