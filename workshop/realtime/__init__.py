"""The Socket.IO adapter: binds Flask-SocketIO, the tick (hub) and the event handlers."""
from __future__ import annotations

import logging
import os

import socketio as socketio_library
from flask import Flask
from flask_socketio import SocketIO

from ..database import get_db
from ..ports import bind_boards
from ..services.board import BoardService
from . import websocket, wire
from .hub import LocalPresence, RedisPresence, RoomHub
from .queue import TickRedisManager

log = logging.getLogger(__name__)

# Events handled inline, in the socket's reader greenlet, as soon as the websocket layer has read
# them: no engine.io or Socket.IO packet objects, no greenlet per event (python-socketio spawns one
# when async_handlers=True), no Flask context. Only for handlers that never block and never answer
# (no ack): see handlers.on_cursor. ADR 0008, 0009.
INLINE_EVENTS = frozenset({"cursor"})
# The largest message a client may send (an `ops` message of 50 ops is far below it).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def init_realtime(app: Flask, socketio: SocketIO) -> None:
    queue = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    channel = app.config.get("SOCKETIO_CHANNEL", "storming")
    # The client manager is always given (Flask-SocketIO would otherwise keep the one of an earlier
    # init_app). With Redis, the tick's publishes go out in one round trip per tick (queue.py);
    # BOARD_PUBLISH_PER_EMIT=1 restores python-socketio's one per emit, for the before/after
    # measurement only (benchmarks/realtime.py --variants).
    manager = None  # python-socketio's in-process manager
    if queue and queue.startswith(("redis://", "rediss://")):
        per_emit = os.environ.get("BOARD_PUBLISH_PER_EMIT", "0") == "1"
        manager = (socketio_library.RedisManager if per_emit else TickRedisManager)(queue, channel=channel)
    socketio.init_app(
        app,
        async_mode="gevent",  # ADR 0002: never auto-detected (eventlet would be tried first)
        message_queue=queue,
        **({"channel": channel} if queue and manager is None else {"client_manager": manager}),
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=MAX_MESSAGE_BYTES,
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 25),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
        json=wire,
    )
    presence = (RedisPresence(queue, app.config.get("SOCKETIO_CHANNEL", "storming"))
                if queue and queue.startswith("redis") else LocalPresence())
    hub = RoomHub(socketio, BoardService(get_db(app)), app.config["BOARD_TICK_MS"] / 1000.0, presence)
    if isinstance(manager, TickRedisManager):
        hub.held_publishes = manager.held
    hub.ACCOUNT_SWEEP_SECONDS = app.config.get("ACCOUNT_SWEEP_SECONDS", RoomHub.ACCOUNT_SWEEP_SECONDS)
    app.extensions["room_hub"] = hub  # the tests' handle on the hub; the app's code uses the port
    bind_boards(app, hub)  # the board port the services own (services.boards, ADR 0019)
    from . import handlers
    handlers.register(socketio, hub, get_db(app))
    guard_packets(socketio.server)
    # gevent-websocket: a size limit, reading in C, no upgrade engine.io would refuse, and cursor
    # moves handled as they are read (ADR 0008, 0009); simple-websocket: the write-through, the
    # size limit while reading and the cursor fast path on its public surface (ADR 0020)
    websocket.harden(MAX_MESSAGE_BYTES, origin_check(socketio.server.eio),
                     on_text=inline_events(socketio.server, INLINE_EVENTS), eio=socketio.server.eio)


def guard_packets(server) -> None:
    """A Socket.IO packet python-socketio cannot parse (invalid JSON, binary garbage, an unknown
    packet type, a namespace it never opened) ends its connection, as docs/protocol.md says, with
    one line in the log: python-socketio's parser raises on them (TypeError, KeyError, ValueError,
    JSONDecodeError) and engine.io logged each with a traceback ("message handler error"), six in
    one probe run (issue 23, item 7). Installed over python-socketio's own `message` handler."""
    handle = server._handle_eio_message

    def on_message(eio_sid, data):
        try:
            return handle(eio_sid, data)
        except Exception as error:  # only the packet's parsing and dispatch run here (handlers run apart)
            server._binary_packet.pop(eio_sid, None)
            sample = data[:40] if isinstance(data, (str, bytes)) else type(data).__name__
            log.warning("closing %s: a malformed Socket.IO packet (%s: %s) %r", eio_sid, type(error).__name__,
                        str(error)[:80], sample)
            # closed from a task of its own: this runs in the socket's reader, which the close waits for
            server.eio.start_background_task(server.eio.disconnect, eio_sid)

    server.eio.on("message", on_message)

    handle_event = server._handle_event

    def on_event(eio_sid, namespace, ack_id, data):
        """An event whose name is no string (`42[{}]`, `42[null]`) is an unknown event: answered
        `unknown_event` when it asks for an answer, never handed on (python-socketio looked it up
        in its handler table and raised TypeError in a greenlet of its own: a traceback)."""
        if isinstance(data, list) and data and isinstance(data[0], str):
            return handle_event(eio_sid, namespace, ack_id, data)
        log.warning("an event with no name from %s: %r", eio_sid, repr(data)[:40])
        if ack_id is not None:
            from socketio import packet
            server._send_packet(eio_sid, server.packet_class(packet.ACK, namespace=namespace, id=ack_id, data=[
                {"ok": False, "error": {"code": "unknown_event", "message": "An event needs a name."}}]))
        return None

    server._handle_event = on_event


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


def inline_events(server, events: frozenset):
    """The websocket layer's fast path for `events`: a text message `42["<event>",<payload>]` (an
    engine.io message carrying a Socket.IO event on the default namespace with no ack id) from a
    connected socket goes straight to the handler registered on the python-socketio server. Anything
    else, or anything odd about it, is left to the usual path (which answers or refuses it)."""
    prefixes = tuple(f'42["{event}",' for event in events)

    def on_text(eio_socket, text: str) -> bool:
        if not text.startswith(prefixes) or eio_socket.closed:
            return False
        try:
            event = wire.loads(text[2:])
        except ValueError:
            return False
        if not isinstance(event, list) or len(event) != 2:
            return False
        sid = server.manager.sid_from_eio_sid(eio_socket.sid, "/")
        if sid is None or not server.manager.is_connected(sid, "/"):
            return False
        try:
            server.handlers["/"][event[0]](sid, event[1])
        except Exception:  # never let a bad event break the socket's reader
            log.exception("socket event %r failed", event[0])
        return True

    return on_text
