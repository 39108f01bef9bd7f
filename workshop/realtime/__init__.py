"""The Socket.IO adapter: binds Flask-SocketIO, the tick (hub) and the event handlers."""
from __future__ import annotations

import logging
import os

from flask import Flask
from flask_socketio import SocketIO

from ..database import get_db
from ..services.board import BoardService
from .hub import LocalPresence, RedisPresence, RoomHub

log = logging.getLogger(__name__)

# Events handled inline, in the socket's reader greenlet: no greenlet per event (python-socketio
# spawns one per event when async_handlers=True) and no Flask context. Only for handlers that never
# block and never answer (no ack): see handlers.on_cursor. ADR 0008.
INLINE_EVENTS = frozenset({"cursor"})


def init_realtime(app: Flask, socketio: SocketIO) -> None:
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "gevent"),
        message_queue=queue,
        channel=app.config.get("SOCKETIO_CHANNEL", "storming"),
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=4 * 1024 * 1024,
        json=None,
    )
    presence = (RedisPresence(queue, app.config.get("SOCKETIO_CHANNEL", "storming"))
                if queue and queue.startswith("redis") else LocalPresence())
    hub = RoomHub(socketio, BoardService(get_db(app)), app.config["BOARD_TICK_MS"] / 1000.0, presence)
    app.extensions["room_hub"] = hub
    from . import handlers
    handlers.register(socketio, hub, get_db(app))
    handle_inline(socketio.server, INLINE_EVENTS)
    if not app.config.get("WEBSOCKET_DEFLATE", os.environ.get("WEBSOCKET_DEFLATE", "0") == "1"):
        decline_websocket_compression()


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


def decline_websocket_compression() -> None:
    """simple-websocket (the websocket server python-engineio uses under gevent when gevent-websocket
    is not installed) always accepts permessage-deflate, which compresses every frame once per
    recipient: the same tick message is deflated N times. Board messages are small JSON on a LAN or
    behind a proxy, so we decline the extension (the client then sends and receives uncompressed
    frames). Set WEBSOCKET_DEFLATE=True in the config to keep it. ADR 0008."""
    try:
        from simple_websocket import ws
        from wsproto.extensions import PerMessageDeflate
    except ImportError:  # another websocket server: nothing to do
        return
    if getattr(ws.PerMessageDeflate, "declined", False):
        return

    class DeclinedDeflate(PerMessageDeflate):
        declined = True

        def accept(self, offer):  # never negotiated: the extension stays disabled
            return None

    ws.PerMessageDeflate = DeclinedDeflate
