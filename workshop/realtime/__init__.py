"""The Socket.IO adapter: binds Flask-SocketIO, the tick (hub) and the event handlers."""
from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from ..database import get_db
from ..services.board import BoardService
from .hub import LocalPresence, RedisPresence, RoomHub


def init_realtime(app: Flask, socketio: SocketIO) -> None:
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "gevent"),
        message_queue=queue,
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=4 * 1024 * 1024,
        json=None,
    )
    presence = RedisPresence(queue) if queue and queue.startswith("redis") else LocalPresence()
    hub = RoomHub(socketio, BoardService(get_db(app)), app.config["BOARD_TICK_MS"] / 1000.0, presence)
    app.extensions["room_hub"] = hub
    from . import handlers
    handlers.register(socketio, hub, get_db(app))
