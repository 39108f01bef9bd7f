"""The tick: collect a room's operations for a few tens of milliseconds, commit them in one
transaction, then acknowledge each sender and send each room one message (ADR 0004).

Also holds the throw-away state of the room: who is connected and where their cursors are.
Nothing here knows Flask; it talks to Socket.IO through the `socketio` object it is given.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..domain.board import Actor, redact
from ..services.board import BoardService, Submission

log = logging.getLogger(__name__)


def room_of(workshop_id: int) -> str:
    return f"w:{workshop_id}"


def personal_room(participant_id: int) -> str:
    return f"p:{participant_id}"


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""
    rate: float
    burst: float
    tokens: float = -1.0
    refilled_at: float = 0.0

    def take(self) -> bool:
        now = time.monotonic()
        if self.tokens < 0:  # a new bucket starts full
            self.tokens, self.refilled_at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.refilled_at) * self.rate)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Connection:
    """One socket's participant, with two token buckets per connection so that one flooding client
    cannot slow the others: `ops`/`snapshot`/`resync` (20/s, bursts of 40) and `cursor` (30/s, bursts
    of 30) count separately, so a queue of cursor moves never makes an op `rate_limited`."""
    workshop_id: int
    actor: Actor
    team: str
    requests: TokenBucket = field(default_factory=lambda: TokenBucket(20.0, 40.0))
    cursors: TokenBucket = field(default_factory=lambda: TokenBucket(30.0, 30.0))

    def allow(self) -> bool:
        return self.requests.take()

    def allow_cursor(self) -> bool:
        return self.cursors.take()


class _Pending:
    """A submission waiting for its tick, with the event its handler waits on."""

    def __init__(self, submission: Submission, event):
        self.submission = submission
        self.event = event


class RoomHub:
    def __init__(self, socketio, service: BoardService, tick_seconds: float, presence):
        self.socketio = socketio
        self.service = service
        self.tick_seconds = tick_seconds
        self.presence = presence
        self.connections: dict[str, Connection] = {}
        self._pending: dict[int, list[_Pending]] = {}
        self._cursors: dict[int, dict[int, dict]] = {}
        self._task = None
        self.cursor_interval = 0.1  # seconds between two cursor messages to a room (10 Hz)
        self._cursors_sent_at = 0.0

    # --- connections --------------------------------------------------------------------

    def connected(self, sid: str, connection: Connection) -> None:
        self._ensure_running()  # the tick also renews this process's presence heartbeat
        self.connections[sid] = connection
        self.presence.add(connection.workshop_id, sid, self._participant_info(connection))
        self.broadcast_presence(connection.workshop_id)

    def disconnected(self, sid: str) -> None:
        connection = self.connections.pop(sid, None)
        if connection is not None:
            self.presence.remove(connection.workshop_id, sid)
            self.broadcast_presence(connection.workshop_id)

    @staticmethod
    def _participant_info(connection: Connection) -> dict:
        actor = connection.actor
        return {"id": actor.participant_id, "name": actor.name, "team": connection.team,
                "facilitator": actor.facilitator, "online": True}

    def participants(self, workshop_id: int) -> list[dict]:
        return self.presence.list(workshop_id)

    def broadcast_presence(self, workshop_id: int) -> None:
        """Who is here, with the last committed seq: a client behind it (a batch whose broadcast was
        lost with a crashed process) resyncs instead of waiting for the next operation."""
        self.socketio.emit("presence", {"participants": self.participants(workshop_id),
                                        "seq": self.service.current_seq(workshop_id)}, to=room_of(workshop_id))

    # --- operations -----------------------------------------------------------------------

    def submit(self, workshop_id: int, actor: Actor, raw_ops: list, timeout: float = 15.0) -> list[dict]:
        """Queue the ops for the next tick and wait until they are committed; return their results."""
        self._ensure_running()
        pending = _Pending(Submission(actor, raw_ops), self.socketio.server.eio.create_event())
        self._pending.setdefault(workshop_id, []).append(pending)
        if not pending.event.wait(timeout):
            return [{"id": raw.get("id") if isinstance(raw, dict) else None, "ok": False,
                     "error": {"code": "server_busy", "message": "The server did not answer in time; retrying is safe."}}
                    for raw in raw_ops]
        return pending.submission.results

    def cursor(self, workshop_id: int, actor: Actor, x: float, y: float) -> None:
        self._ensure_running()
        self._cursors.setdefault(workshop_id, {})[actor.participant_id] = {
            "id": actor.participant_id, "name": actor.name, "x": x, "y": y}

    def _ensure_running(self) -> None:
        if self._task is None:
            self._task = self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        last_beat = time.monotonic()
        while True:
            self.socketio.sleep(self.tick_seconds)
            if time.monotonic() - last_beat > 10:
                last_beat = time.monotonic()
                try:
                    self.presence.beat()
                except Exception:
                    log.exception("presence heartbeat failed")
            try:
                self.tick()
            except Exception:  # the loop must survive anything one tick does
                log.exception("board tick failed")

    def tick(self) -> None:
        pending, self._pending = self._pending, {}
        for workshop_id, items in pending.items():
            self._flush(workshop_id, items)
        now = time.monotonic()
        if now - self._cursors_sent_at < self.cursor_interval:
            return  # cursors move at 10 Hz: sending them every 25 ms tick would only add frames
        self._cursors_sent_at = now
        cursors, self._cursors = self._cursors, {}
        for workshop_id, moved in cursors.items():
            self.socketio.emit("cursors", {"cursors": list(moved.values())}, to=room_of(workshop_id))

    def _flush(self, workshop_id: int, items: list[_Pending]) -> None:
        submissions = [item.submission for item in items]
        try:
            records = self.service.apply_batch(workshop_id, submissions)
        except Exception:
            log.exception("committing the operations of workshop %s failed", workshop_id)
            for submission in submissions:
                submission.results = [
                    {"id": raw.get("id") if isinstance(raw, dict) else None, "ok": False,
                     "error": {"code": "server_error", "message": "The change could not be saved; it will be retried."}}
                    for raw in submission.raw_ops]
            records = []
        if records:
            private: dict[int, list[dict]] = {}
            for record in records:
                if record.get("private_to") is not None:
                    private.setdefault(record["private_to"], []).append(redact(record, record["private_to"]))
            for participant_id, own in private.items():  # the author's full records go first
                self.socketio.emit("ops", {"ops": own}, to=personal_room(participant_id))
            public = [redact(record, -1) for record in records]
            self.socketio.emit("ops", {"ops": public}, to=room_of(workshop_id))
        for item in items:
            item.event.set()


def by_person(infos) -> list[dict]:
    """One entry per participant (several tabs count once), facilitators first, then by name."""
    unique = {info["id"]: info for info in infos}
    return sorted(unique.values(), key=lambda p: (not p["facilitator"], p["name"].lower()))


class LocalPresence:
    """Who is connected, per workshop, in this process (the embedded default)."""

    def __init__(self):
        self._rooms: dict[int, dict[str, dict]] = {}

    def beat(self) -> None:
        """Nothing to renew: this process's memory dies with it."""

    def add(self, workshop_id: int, sid: str, info: dict) -> None:
        self._rooms.setdefault(workshop_id, {})[sid] = info

    def remove(self, workshop_id: int, sid: str) -> None:
        self._rooms.get(workshop_id, {}).pop(sid, None)

    def list(self, workshop_id: int) -> list[dict]:
        return by_person(self._rooms.get(workshop_id, {}).values())


class RedisPresence(LocalPresence):
    """Presence shared by every process through Redis (scale-out).

    Each entry is tagged with the process that holds the connection; each process renews a
    heartbeat key while it runs. When a process dies (kill -9, OOM), its heartbeat expires and its
    entries are dropped at the next read, so nobody looks online for longer than HEARTBEAT_TTL.
    """

    HEARTBEAT_TTL = 30

    def __init__(self, url: str, channel: str = "storming"):
        super().__init__()
        import json
        import uuid

        import redis
        self._json = json
        self._redis = redis.Redis.from_url(url)
        self._prefix = f"{channel}:presence"
        self.process = uuid.uuid4().hex[:12]
        self.beat()

    def _room(self, workshop_id: int) -> str:
        return f"{self._prefix}:{workshop_id}"

    def _alive(self, process: str) -> str:
        return f"{self._prefix}:alive:{process}"

    def beat(self) -> None:
        self._redis.set(self._alive(self.process), 1, ex=self.HEARTBEAT_TTL)

    def add(self, workshop_id: int, sid: str, info: dict) -> None:
        key = self._room(workshop_id)
        self._redis.hset(key, f"{self.process}/{sid}", self._json.dumps(info))
        self._redis.expire(key, 24 * 3600)

    def remove(self, workshop_id: int, sid: str) -> None:
        self._redis.hdel(self._room(workshop_id), f"{self.process}/{sid}")

    def list(self, workshop_id: int) -> list[dict]:
        key = self._room(workshop_id)
        entries = {field.decode(): value for field, value in self._redis.hgetall(key).items()}
        processes = sorted({field.split("/", 1)[0] for field in entries})
        if not processes:
            return []
        alive = {p for p, up in zip(processes, self._redis.mget([self._alive(p) for p in processes])) if up}
        stale = [field for field in entries if field.split("/", 1)[0] not in alive]
        if stale:
            self._redis.hdel(key, *stale)
        return by_person(self._json.loads(value) for field, value in entries.items()
                         if field.split("/", 1)[0] in alive)
