"""The Socket.IO adapter: binds Flask-SocketIO, the tick (hub) and the event handlers."""
from __future__ import annotations

import logging

from flask import Flask
from flask_socketio import SocketIO

from ..database import get_db
from ..services.board import BoardService
from . import websocket, wire
from .hub import LocalPresence, RedisPresence, RoomHub

log = logging.getLogger(__name__)

# Events handled inline, in the socket's reader greenlet: no greenlet per event (python-socketio
# spawns one per event when async_handlers=True) and no Flask context. Only for handlers that never
# block and never answer (no ack): see handlers.on_cursor. ADR 0008.
INLINE_EVENTS = frozenset({"cursor"})
# The largest message a client may send (an `ops` message of 50 ops is far below it).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def init_realtime(app: Flask, socketio: SocketIO) -> None:
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "gevent"),
        message_queue=queue,
        channel=app.config.get("SOCKETIO_CHANNEL", "storming"),
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        json=wire,
    )
    presence = (RedisPresence(queue, app.config.get("SOCKETIO_CHANNEL", "storming"))
                if queue and queue.startswith("redis") else LocalPresence())
    hub = RoomHub(socketio, BoardService(get_db(app)), app.config["BOARD_TICK_MS"] / 1000.0, presence)
    app.extensions["room_hub"] = hub
    from . import handlers
    handlers.register(socketio, hub, get_db(app))
    handle_inline(socketio.server, INLINE_EVENTS)
    # gevent-websocket: a size limit, reading in C, and no upgrade engine.io would refuse (ADR 0009)
    websocket.harden(MAX_MESSAGE_BYTES, origin_check(socketio.server.eio))


def origin_check(eio):
    """Whether engine.io accepts a request's Origin: the same rule as its own `handle_request`
    (no Origin header: accepted; `cors_allowed_origins` None means this host only)."""
    def accepts_origin(environ: dict) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if not origin or eio.cors_allowed_origins == []:
            return True
        allowed = eio._cors_allowed_origins(environ)
        return allowed is None or origin in allowed
    return accepts_origin


def handle_inline(server, events: frozenset) -> None:
    """Dispatch `events` (without an ack id, on the default namespace) straight to the handler
    registered on the python-socketio server, instead of `Server._handle_event`, which starts a
    greenlet per event. Anything else takes the library's usual path."""
    usual = server._handle_event

    def _handle_event(eio_sid, namespace, id, data):
        if id is None and data and data[0] in events and (namespace or "/") == "/":
            sid = server.manager.sid_from_eio_sid(eio_sid, "/")
            if sid is not None and server.manager.is_connected(sid, "/"):
                try:
                    server.handlers["/"][data[0]](sid, *data[1:2])
                except Exception:  # never let a bad event break the socket's reader
                    log.exception("socket event %r failed", data[0])
            return None
        return usual(eio_sid, namespace, id, data)

    server._handle_event = _handle_event
