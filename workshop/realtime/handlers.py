"""Socket.IO event handlers: each parses, calls the hub or the board service, and answers.

See docs/protocol.md for every event, who sends it and what follows.
"""
from __future__ import annotations

import logging
import math

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from ..db.engine import Database
from ..domain.board import MAX_Y, Actor, parse_ops_message
from ..domain.errors import DomainError
from ..services import discoveries
from . import wire
from .hub import Connection, RoomHub, personal_room, room_of

RATE_LIMITED = {"ok": False, "error": {"code": "rate_limited",
                                       "message": "Too many messages; slow down for a moment."}}
NOT_CONNECTED = {"ok": False, "error": {"code": "not_connected", "message": "Reconnect to the board first."}}
SERVER_ERROR = {"ok": False, "error": {"code": "server_error",
                                       "message": "Something went wrong on the server; retrying is safe."}}
INVALID_JSON = {"ok": False, "error": {"code": "invalid_payload",
                                       "message": "The message could not be decoded (nested too deeply, or a "
                                                  "number too long)."}}
MAX_SEQ = 2 ** 53  # larger numbers are no sequence number (and overflow SQLite's INTEGER)
# Where a pointer or a view may be, in board units: a little beyond the wall on every side (the
# timeline's margins, the wall grown down to MAX_Y lane heights).
POINTER_X = (-1.0, 2.0)
POINTER_Y = (-1.0, MAX_Y + 1.0)

log = logging.getLogger(__name__)


def _finite(value, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and low <= value <= high


def parse_signal(payload, actor: Actor) -> dict | None:
    """A `signal` as the room receives it (`from` added), or None when it is not one (docs/protocol.md)."""
    if not isinstance(payload, dict):
        return None
    kind = payload.get("kind")
    if kind == "typing" and isinstance(payload.get("on"), bool):
        return {"kind": kind, "from": actor.participant_id, "on": payload["on"]}
    if kind == "follow" and isinstance(payload.get("on"), bool) and isinstance(payload.get("target"), int) \
            and not isinstance(payload.get("target"), bool):
        return {"kind": kind, "from": actor.participant_id, "target": payload["target"], "on": payload["on"]}
    if kind in ("view", "summon") and _finite(payload.get("x"), *POINTER_X) and _finite(payload.get("y"), *POINTER_Y) \
            and _finite(payload.get("zoom"), 0.05, 5):
        if kind == "summon" and not actor.facilitator:
            return None
        return {"kind": kind, "from": actor.participant_id, "x": round(payload["x"], 4), "y": round(payload["y"], 4),
                "zoom": round(payload["zoom"], 3)}
    return None


def register(socketio: SocketIO, hub: RoomHub, db: Database) -> None:
    """Register every board event (docs/protocol.md), one concern at a time."""
    register_connection(socketio, hub, db)
    register_reads(socketio, hub)
    register_ops(socketio, hub)
    register_cursor(socketio, hub)
    register_signals(socketio, hub)
    register_fallbacks(socketio)


def register_connection(socketio: SocketIO, hub: RoomHub, db: Database) -> None:
    """`connect` admits a browser to its workshop's room (or refuses it); `disconnect` lets it go."""

    @socketio.on("connect")
    def on_connect(auth=None):
        """A browser opens the board: admit it to its workshop's room only, or refuse.

        A refusal reaches the client as connect_error with err.message and err.data = {code, message}
        (ConnectionRefusedError(message, data): a single dict argument would arrive as its repr)."""
        auth = auth if isinstance(auth, dict) else {}
        with db.session() as session:
            try:
                admitted = discoveries.admit(session, auth.get("token"), auth.get("secret"))
            except DomainError as error:
                raise ConnectionRefusedError(error.message, error.as_dict()) from None
        actor = admitted.actor
        connection = Connection(admitted.workshop_id, actor, admitted.team, user_id=admitted.user_id,
                                password_hash=admitted.password_hash)
        join_room(room_of(connection.workshop_id))
        join_room(personal_room(actor.participant_id))
        hub.connected(request.sid, connection)

    @socketio.on("disconnect")
    def on_disconnect(*_args):
        hub.disconnected(request.sid)


def answered(socketio: SocketIO, hub: RoomHub, event: str):
    """Register a board event on the python-socketio server itself, not through Flask-SocketIO:
    these handlers use only the hub and the service, so they skip the Flask app/request context
    (and session cookie) Flask-SocketIO builds per event (ADR 0008). Like `on_error` below, any
    unexpected failure still answers the sender with `server_error`. The wrapper finds the sender's
    connection and applies its rate limit; the handler receives the connection."""
    def decorate(handler):
        def guarded(sid, payload=None, *_args):
            connection = hub.connections.get(sid)
            if connection is None:
                return NOT_CONNECTED
            if not connection.allow():
                return RATE_LIMITED
            if payload is wire.UNDECODABLE:
                return INVALID_JSON
            try:
                return handler(connection, payload)
            except DomainError as error:  # e.g. the board was deleted: a clear answer, no traceback
                return {"ok": False, "error": error.as_dict()}
            except Exception:
                log.exception("socket event %r failed", event)
                return SERVER_ERROR
        socketio.server.on(event, guarded, namespace="/")
        return handler
    return decorate


def register_reads(socketio: SocketIO, hub: RoomHub) -> None:
    """`snapshot` and `resync`: the board as a participant may see it, whole or since a sequence number."""
    service = hub.service

    @answered(socketio, hub, "snapshot")
    def on_snapshot(connection: Connection, _payload=None):
        """The whole board as this participant may see it, plus who is here."""
        snapshot = service.snapshot(connection.workshop_id, connection.actor)
        snapshot["participants"] = hub.participants(connection.workshop_id)
        snapshot["cursor_ms"] = hub.cursor_ms(connection.workshop_id)
        snapshot["me"] = {"id": connection.actor.participant_id, "name": connection.actor.name,
                          "facilitator": connection.actor.facilitator}
        return {"ok": True, "snapshot": snapshot}

    @answered(socketio, hub, "resync")
    def on_resync(connection: Connection, payload=None):
        """A client that was away asks for every operation after the last one it saw."""
        since = payload.get("since") if isinstance(payload, dict) else None
        if isinstance(since, bool) or not isinstance(since, int) or not 0 <= since <= MAX_SEQ:
            return {"ok": False, "error": {"code": "invalid_payload", "message": "resync needs since: a sequence number."}}
        answer = service.ops_since(connection.workshop_id, since, connection.actor)
        if "snapshot" in answer:
            answer["snapshot"]["participants"] = hub.participants(connection.workshop_id)
            answer["snapshot"]["cursor_ms"] = hub.cursor_ms(connection.workshop_id)
        return {"ok": True, **answer}


def register_ops(socketio: SocketIO, hub: RoomHub) -> None:
    """`ops`: a client's operations, handed to the room's tick."""

    @answered(socketio, hub, "ops")
    def on_ops(connection: Connection, payload=None):
        """Operations from a client: acknowledged after their tick commits them."""
        try:
            raw_ops = parse_ops_message(payload)
        except DomainError as error:
            return {"ok": False, "error": error.as_dict()}
        results = hub.submit(connection.workshop_id, connection.actor, raw_ops)
        return {"ok": True, "results": results}


def register_cursor(socketio: SocketIO, hub: RoomHub) -> None:
    """`cursor`: a pointer's position, relayed by the hub, never stored nor answered."""

    def on_cursor(sid, payload=None):
        """Pointer position, throttled by the client (once per `cursor_ms`); the hub relays its latest
        position with the room's next message once the room's cursor interval allows (ADR 0009,
        docs/protocol.md); never stored.

        Registered on the python-socketio server itself, not through Flask-SocketIO: it needs no
        Flask app/request context (cursors are 10 per participant per second, the bulk of incoming
        events), and `init_realtime` runs it inline in the socket's reader, without a greenlet per
        event (ADR 0008). It must stay cheap and never block."""
        connection = hub.connections.get(sid)
        if connection is None or not isinstance(payload, dict):
            return
        x, y = payload.get("x"), payload.get("y")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
            return
        if connection.allow_cursor():  # its own bucket: cursor floods never refuse an op
            hub.cursor(connection.workshop_id, connection.actor, max(POINTER_X[0], min(POINTER_X[1], x)),
                       max(POINTER_Y[0], min(POINTER_Y[1], y)))

    socketio.server.on("cursor", on_cursor, namespace="/")


def register_signals(socketio: SocketIO, hub: RoomHub) -> None:
    """`signal`: typing, views and summons, relayed to the rest of the room at once."""

    def on_signal(sid, payload=None):
        """Who is typing, where someone looks (for their followers), a facilitator's summons: relayed
        at once to the rest of the room, never stored, never acknowledged (like a cursor, and from the
        same budget). Anything malformed is dropped."""
        connection = hub.connections.get(sid)
        if connection is None or not connection.allow_cursor():
            return
        signal = parse_signal(payload, connection.actor)
        if signal is not None:
            socketio.server.emit("signal", signal, room=room_of(connection.workshop_id), skip_sid=sid, namespace="/")

    socketio.server.on("signal", on_signal, namespace="/")


def register_fallbacks(socketio: SocketIO) -> None:
    """An unexpected failure and an unknown event are answered, never met with silence."""

    @socketio.on_error_default
    def on_error(_error):
        """Any unexpected failure in a handler still answers the sender (never a silent, hung ack);
        a failing connect is refused, never half-admitted."""
        event = getattr(request, "event", None) or {}
        log.exception("socket event %r failed", event.get("message"))
        if event.get("message") == "connect":
            raise ConnectionRefusedError(SERVER_ERROR["error"]["message"], SERVER_ERROR["error"])
        return SERVER_ERROR

    @socketio.on("*")
    def on_unknown(event, *_args):
        """Unknown events get a clear refusal instead of silence."""
        return {"ok": False, "error": {"code": "unknown_event", "message": f"Unknown event {str(event)[:40]!r}."}}
