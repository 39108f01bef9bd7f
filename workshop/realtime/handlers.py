"""Socket.IO event handlers: each parses, calls the hub or the board service, and answers.

See docs/protocol.md for every event, who sends it and what follows.
"""
from __future__ import annotations

import math

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from ..db.engine import Database
from ..domain.board import Actor, parse_ops_message
from ..domain.errors import DomainError
from ..services import discoveries
from .hub import Connection, RoomHub, personal_room, room_of

RATE_LIMITED = {"ok": False, "error": {"code": "rate_limited",
                                       "message": "Too many messages; slow down for a moment."}}
NOT_CONNECTED = {"ok": False, "error": {"code": "not_connected", "message": "Reconnect to the board first."}}


def register(socketio: SocketIO, hub: RoomHub, db: Database) -> None:
    service = hub.service

    @socketio.on("connect")
    def on_connect(auth=None):
        """A browser opens the board: admit it to its workshop's room only, or refuse."""
        auth = auth if isinstance(auth, dict) else {}
        with db.session() as session:
            try:
                workshop = discoveries.workshop_by_token(session, auth.get("token"))
            except DomainError as error:
                raise ConnectionRefusedError(error.as_dict()) from None
            participant = discoveries.participant_for_secret(session, workshop.id, auth.get("secret"))
            if participant is None:
                raise ConnectionRefusedError({"code": "unknown_participant",
                                              "message": "Join the workshop from its link first."})
            actor = Actor(participant.id, participant.name, participant.is_facilitator)
            connection = Connection(workshop.id, actor, participant.team)
        join_room(room_of(connection.workshop_id))
        join_room(personal_room(actor.participant_id))
        hub.connected(request.sid, connection)

    @socketio.on("disconnect")
    def on_disconnect(*_args):
        hub.disconnected(request.sid)


    @socketio.on("snapshot")
    def on_snapshot(_payload=None):
        """The whole board as this participant may see it, plus who is here."""
        connection = hub.connections.get(request.sid)
        if connection is None:
            return NOT_CONNECTED
        if not connection.allow():
            return RATE_LIMITED
        snapshot = service.snapshot(connection.workshop_id, connection.actor)
        snapshot["participants"] = hub.participants(connection.workshop_id)
        snapshot["me"] = {"id": connection.actor.participant_id, "name": connection.actor.name,
                          "facilitator": connection.actor.facilitator}
        return {"ok": True, "snapshot": snapshot}

    @socketio.on("resync")
    def on_resync(payload=None):
        """A client that was away asks for every operation after the last one it saw."""
        connection = hub.connections.get(request.sid)
        if connection is None:
            return NOT_CONNECTED
        if not connection.allow():
            return RATE_LIMITED
        since = payload.get("since") if isinstance(payload, dict) else None
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            return {"ok": False, "error": {"code": "invalid_payload", "message": "resync needs since: a sequence number."}}
        answer = service.ops_since(connection.workshop_id, since, connection.actor)
        if "snapshot" in answer:
            answer["snapshot"]["participants"] = hub.participants(connection.workshop_id)
        return {"ok": True, **answer}

    @socketio.on("ops")
    def on_ops(payload=None):
        """Operations from a client: acknowledged after their tick commits them."""
        connection = hub.connections.get(request.sid)
        if connection is None:
            return NOT_CONNECTED
        if not connection.allow():
            return RATE_LIMITED
        try:
            raw_ops = parse_ops_message(payload)
        except DomainError as error:
            return {"ok": False, "error": error.as_dict()}
        results = hub.submit(connection.workshop_id, connection.actor, raw_ops)
        return {"ok": True, "results": results}

    @socketio.on("cursor")
    def on_cursor(payload=None):
        """Pointer position, throttled by the client; relayed once per tick, never stored."""
        connection = hub.connections.get(request.sid)
        if connection is None or not isinstance(payload, dict):
            return
        x, y = payload.get("x"), payload.get("y")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
            return
        if connection.allow(rate=30, burst=30):
            hub.cursor(connection.workshop_id, connection.actor, max(-1.0, min(2.0, x)), max(-1.0, min(2.0, y)))

    @socketio.on("*")
    def on_unknown(event, *_args):
        """Unknown events get a clear refusal instead of silence."""
        return {"ok": False, "error": {"code": "unknown_event", "message": f"Unknown event {str(event)[:40]!r}."}}
