"""The tick: collect a room's operations for a few tens of milliseconds, commit them in one
transaction, then acknowledge each sender and send each room one message (ADR 0004).

A room's message also carries the cursors that moved since the last one, and a big room is
flushed less often than every tick, so that the frames this process writes per second stay within
a budget whatever the size of the room (ADR 0009).

Also holds the throw-away state of the room: who is connected and where their cursors are.
Nothing here knows Flask; it talks to Socket.IO through the `socketio` object it is given.
"""
from __future__ import annotations

import logging
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy.exc import NoResultFound

from ..domain.board import Actor, addressee, redact
from ..services.board import BoardService, Submission
from ..services.boards import BOARD_DELETED, RIGHTS_ENDED

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
    # a facilitator's seat belongs to an account: its socket ends when the account is deactivated or
    # its password changes (the hash it had at connect)
    user_id: int | None = None
    password_hash: str | None = None
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


def compact_cursor(participant_id: int, x: float, y: float) -> list:
    """`[id, x, y]`, positions to 1/10,000 of the board: a third of the bytes of `{id, name, x, y}`
    (names come with presence), and cursors are most of what a big room sends."""
    return [participant_id, round(x, 4), round(y, 4)]


class RoomHub:
    # Frames per second one room's messages may cost this process (one frame per connection per
    # message): a room is flushed every tick while it is small, and every size / budget seconds once
    # it is big (600 connections: 50 ms). Measured in docs/benchmarks.md, ADR 0009.
    FANOUT_FRAMES_PER_SECOND = 12000
    # Cursor positions per second one room's messages may carry to all its connections: each
    # participant's pointer is relayed at most every 100 ms (10 Hz) while the room is small, less often
    # once it is big (300 connections: every 300 ms; the board glides each pointer to its new place).
    # The room announces the interval (`cursor_ms`) and clients send no more often. ADR 0009.
    FANOUT_CURSORS_PER_SECOND = 300_000
    CURSOR_INTERVAL = 0.1
    # Pointer positions per second the whole process takes in: every connection of every room sends
    # its pointer each cursor interval, and reading a message costs more than relaying it (20 boards x
    # 25 people sent 4,600 a second, most of the server's CPU). Past this budget every room's interval
    # grows with the process's connections (500: every 200 ms), in CURSOR_STEP steps, and the rooms
    # are told (presence's `cursor_ms`). 0: no budget. ADR 0020's amendment, docs/benchmarks.md.
    # Scaled out, presence reaches a room's members on every process: a room spread over a busy and an
    # idle process hears whichever announced last (ADR 0020: not fixed).
    CURSORS_IN_PER_SECOND = int(os.environ.get("BOARD_CURSORS_IN_PER_SECOND", "3000"))
    CURSOR_STEP = 0.05
    # How often each process checks the accounts behind its open facilitator sockets (a safety net:
    # a change of rights ends them at once through the board port's `end_sessions`, but a
    # change made where no message queue reaches this process, such as the CLI next to an embedded
    # server, is seen here).
    ACCOUNT_SWEEP_SECONDS = 5.0
    # The rooms due in one tick commit in one transaction (one fsync on SQLite, however many boards
    # are busy; ADR 0020). BOARD_COMMIT_PER_ROOM=1 restores one transaction per room, for the
    # before/after measurement only (benchmarks/realtime.py --variants).
    COMMIT_PER_ROOM = os.environ.get("BOARD_COMMIT_PER_ROOM", "0") == "1"

    def __init__(self, socketio, service: BoardService, tick_seconds: float, presence):
        self.socketio = socketio
        self.service = service
        self.tick_seconds = tick_seconds
        self.presence = presence
        self.connections: dict[str, Connection] = {}
        self._room_sizes: dict[int, int] = {}  # connections of this process per workshop
        self._pending: dict[int, list[_Pending]] = {}
        self._cursors: dict[int, dict[int, list]] = {}
        self._flushed_at: dict[int, float] = {}  # workshop -> when its last message (ops or cursors) went out
        self._cursors_sent_at: dict[int, dict[int, float]] = {}  # workshop -> participant -> last relayed
        self._cursor_floor = self._cursor_floor_for(0)  # the process's share of cursor_interval (CURSORS_IN_PER_SECOND)
        self._task = None
        # With the Redis queue: a block whose publishes to the other processes go out together at its
        # end, one round trip per tick rather than one per room message (realtime/queue.py)
        self.held_publishes = nullcontext

    # --- connections --------------------------------------------------------------------

    def connected(self, sid: str, connection: Connection) -> None:
        self._ensure_running()  # the tick also renews this process's presence heartbeat
        self.connections[sid] = connection
        self._room_sizes[connection.workshop_id] = self._room_sizes.get(connection.workshop_id, 0) + 1
        self.presence.add(connection.workshop_id, sid, self._participant_info(connection))
        self._pace_cursors(told=connection.workshop_id)
        self.broadcast_presence(connection.workshop_id)

    def disconnected(self, sid: str) -> None:
        connection = self.connections.pop(sid, None)
        if connection is not None:
            left = self._room_sizes.get(connection.workshop_id, 1) - 1
            if left > 0:
                self._room_sizes[connection.workshop_id] = left
            else:
                self._forget_room(connection.workshop_id)
            self.presence.remove(connection.workshop_id, sid)
            self._pace_cursors(told=connection.workshop_id)
            self.broadcast_presence(connection.workshop_id)

    def end_sessions(self, workshop_id: int, participant_ids: set[int] | None, reason: dict) -> int:
        """The board port's `end_sessions` (services.boards, ADR 0019): these seats' sockets (every
        socket of the board when `participant_ids` is None), on every process, get `ended` with the
        reason, then are disconnected. The sockets are found in presence (Redis when scaled out) and
        in this process's connections. This process's own sockets are told directly, then
        disconnected; another process's are told through the message queue (to their seat's personal
        room, or the board's room) and then disconnected through it, in that order. Returns how many
        sockets were told to end."""
        everyone = participant_ids is None
        local = {sid for sid, c in list(self.connections.items())
                 if c.workshop_id == workshop_id and (everyone or c.actor.participant_id in participant_ids)}
        sids = set(self.presence.sids_of(workshop_id, participant_ids)) | local
        server = self.socketio.server
        for sid in local:
            server.emit("ended", reason, to=sid, namespace="/", ignore_queue=True)
        if sids - local:  # sockets of other processes (a no-op room emit without a message queue)
            for room in ([room_of(workshop_id)] if everyone else [personal_room(p) for p in participant_ids]):
                server.emit("ended", reason, room=room, namespace="/")
        for sid in sids:
            server.disconnect(sid, namespace="/")
        return len(sids)

    def sweep_accounts(self) -> int:
        """Disconnect this process's sockets whose seat no longer holds: the account is inactive, has a
        new password, or may no longer run the board (services.board.BoardService.lapsed)."""
        owned = {sid: (c.workshop_id, c.user_id, c.password_hash)
                 for sid, c in list(self.connections.items()) if c.user_id is not None}
        if not owned:
            return 0
        ended = 0
        for sid in self.service.lapsed(owned):
            connection = self.connections.get(sid)
            if connection is not None:
                self.end_sessions(connection.workshop_id, {connection.actor.participant_id}, RIGHTS_ENDED)
                ended += 1
        return ended

    @staticmethod
    def _participant_info(connection: Connection) -> dict:
        actor = connection.actor
        return {"id": actor.participant_id, "name": actor.name, "team": connection.team,
                "facilitator": actor.facilitator, "online": True}

    def participants(self, workshop_id: int) -> list[dict]:
        return self.presence.list(workshop_id)

    def broadcast_presence(self, workshop_id: int) -> None:
        """Who is here, with the last committed seq (a client behind it, a batch whose broadcast was
        lost with a crashed process, resyncs instead of waiting for the next operation), and how
        often the room relays cursors (`cursor_ms`): clients send their pointer no more often than
        that, since the room would only keep the latest position anyway (ADR 0009)."""
        self.socketio.emit("presence", {"participants": self.participants(workshop_id),
                                        "seq": self.service.current_seq(workshop_id),
                                        "cursor_ms": self.cursor_ms(workshop_id)}, to=room_of(workshop_id))

    def names_changed(self, workshop_id: int, names: dict) -> None:
        """The team, the discovery's name or its stage names changed (services.discoveries.board_names):
        open boards redraw them without a reload."""
        self.socketio.emit("names", names, to=room_of(workshop_id))

    def cursor_ms(self, workshop_id: int) -> int:
        return round(1000 * self.cursor_interval(workshop_id))

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
        self._cursors.setdefault(workshop_id, {})[actor.participant_id] = compact_cursor(actor.participant_id, x, y)

    def flush_interval(self, workshop_id: int) -> float:
        """Seconds between two messages to a room: one tick, or longer for a room so big that one
        message per tick would exceed the process's fan-out budget."""
        return max(self.tick_seconds, self._room_sizes.get(workshop_id, 0) / self.FANOUT_FRAMES_PER_SECOND)

    def cursor_interval(self, workshop_id: int) -> float:
        """Seconds between two relayed positions of one pointer: each of the room's n pointers goes
        to its n connections, so the positions sent per second grow as n squared."""
        size = self._room_sizes.get(workshop_id, 0)
        return max(self.CURSOR_INTERVAL, size * size / self.FANOUT_CURSORS_PER_SECOND, self._cursor_floor)

    def _cursor_floor_for(self, connections: int) -> float:
        if self.CURSORS_IN_PER_SECOND <= 0:
            return 0.0
        steps = math.ceil(connections / self.CURSORS_IN_PER_SECOND / self.CURSOR_STEP - 1e-9)
        return round(max(steps * self.CURSOR_STEP, self.CURSOR_INTERVAL), 3)

    def _pace_cursors(self, told: int | None = None) -> None:
        """The process's cursor budget after a connection came or went: a longer interval at once, a
        shorter one only once the connections are a tenth below its step (one person reconnecting at
        the edge does not re-announce every room twice); every room of this process hears a change
        (but `told`, whose presence goes out next)."""
        total = sum(self._room_sizes.values())
        floor = self._cursor_floor_for(total)
        if floor < self._cursor_floor and self._cursor_floor_for(math.ceil(total * 1.1)) >= self._cursor_floor:
            return
        if floor != self._cursor_floor:
            self._cursor_floor = floor
            for workshop_id in [w for w in self._room_sizes if w != told]:
                self.broadcast_presence(workshop_id)

    def _forget_room(self, workshop_id: int) -> None:
        for state in (self._room_sizes, self._flushed_at, self._cursors_sent_at):
            state.pop(workshop_id, None)

    def _ensure_running(self) -> None:
        if self._task is None:
            self._task = self.socketio.start_background_task(self._run)

    def _run(self) -> None:
        last_beat = last_sweep = time.monotonic()
        while True:
            self.socketio.sleep(self.tick_seconds)
            if time.monotonic() - last_beat > 10:
                last_beat = time.monotonic()
                try:
                    self.presence.beat()
                except Exception:
                    log.exception("presence heartbeat failed")
            if time.monotonic() - last_sweep > self.ACCOUNT_SWEEP_SECONDS:
                last_sweep = time.monotonic()
                try:
                    self.sweep_accounts()
                except Exception:
                    log.exception("checking the accounts of open sockets failed")
            try:
                self.tick()
            except Exception:  # the loop must survive anything one tick does
                log.exception("board tick failed")

    def tick(self) -> None:
        """Flush every room that is due: its operations, with the cursors that are due (one message),
        then, in rooms with no operations, the cursors alone."""
        now = time.monotonic()
        # a little early rather than a whole tick late: sleep() wakes a few ms either side
        slack = self.tick_seconds / 2

        def due(workshop_id: int) -> bool:  # a room gets at most one message per flush interval
            return now - self._flushed_at.get(workshop_id, 0.0) + slack >= self.flush_interval(workshop_id)

        items = {w: self._pending.pop(w) for w in [w for w in self._pending if due(w)]}
        committed = self._commit_together(items)
        with self.held_publishes():  # each room's message reaches this process's sockets at once
            for workshop_id, pending in items.items():
                self._flushed_at[workshop_id] = now
                self._flush(workshop_id, pending, self._take_cursors(workshop_id, now), committed.get(workshop_id))
            for workshop_id in [w for w in self._cursors if due(w)]:
                moved = self._take_cursors(workshop_id, now)
                if moved:
                    self._flushed_at[workshop_id] = now
                    self.socketio.emit("cursors", {"cursors": moved}, to=room_of(workshop_id))

    def _take_cursors(self, workshop_id: int, now: float) -> list:
        """The latest position of each pointer that moved and was last relayed at least the room's
        cursor interval ago; the others wait (only their latest position is kept)."""
        moved = self._cursors.get(workshop_id)
        if not moved:
            return []
        relayed = self._cursors_sent_at.setdefault(workshop_id, {})
        # clients send every cursor interval already; a quarter's margin keeps a position that
        # arrives a little early (network jitter) from waiting a whole interval here
        interval = 0.75 * self.cursor_interval(workshop_id) - self.tick_seconds / 2
        taken = []
        for pid in [pid for pid in moved if now - relayed.get(pid, 0.0) >= interval]:
            relayed[pid] = now
            taken.append(moved.pop(pid))
        if not moved:
            del self._cursors[workshop_id]
        return taken

    def _commit_together(self, items: dict[int, list[_Pending]]) -> dict[int, list[dict]]:
        """The due rooms' operations in one transaction: {workshop: committed records}. Empty when
        there is one room only, or when the shared transaction failed (nothing of it committed):
        then each room commits on its own in `_flush`, with apply_batch's isolation of a bad op."""
        if len(items) < 2 or self.COMMIT_PER_ROOM:
            return {}
        try:
            return self.service.apply_batches({w: [item.submission for item in pending] for w, pending in items.items()})
        except NoResultFound:  # a board deleted meanwhile: each room on its own says so, no traceback
            return {}
        except Exception:
            log.warning("one transaction for %s rooms failed; committing them one by one", len(items), exc_info=True)
            return {}

    def _flush(self, workshop_id: int, items: list[_Pending], cursors: list, records: list[dict] | None = None) -> None:
        submissions = [item.submission for item in items]
        try:
            if records is None:  # not committed with the other rooms of this tick
                records = self.service.apply_batch(workshop_id, submissions)
        except NoResultFound:  # deleted while its sockets were open: a final answer, not a retry
            log.warning("workshop %s is deleted: %d ops refused", workshop_id,
                        sum(len(s.raw_ops) for s in submissions))
            for submission in submissions:
                submission.results = [{"id": raw.get("id") if isinstance(raw, dict) else None, "ok": False,
                                       "error": dict(BOARD_DELETED)} for raw in submission.raw_ops]
            records = []
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
                to = addressee(record)  # a private sticky's author, a hidden dot's voter
                if to is not None:
                    private.setdefault(to, []).append(redact(record, to))
            for participant_id, own in private.items():  # the author's full records go first
                self.socketio.emit("ops", {"ops": own}, to=personal_room(participant_id))
            message = {"ops": [redact(record, -1) for record in records]}
            if cursors:
                message["cursors"] = cursors
            self.socketio.emit("ops", message, to=room_of(workshop_id))
        elif cursors:  # nothing committed (every op refused): the cursors still go out
            self.socketio.emit("cursors", {"cursors": cursors}, to=room_of(workshop_id))
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

    def sids_of(self, workshop_id: int, participant_ids) -> list[str]:
        """The sockets of these participants in the workshop (all of its sockets for None)."""
        return [sid for sid, info in self._rooms.get(workshop_id, {}).items()
                if participant_ids is None or info["id"] in participant_ids]


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

    def sids_of(self, workshop_id: int, participant_ids) -> list[str]:
        """The sockets of these participants in the workshop (all of them for None), on every process."""
        return [field.decode().split("/", 1)[1] for field, value in self._redis.hgetall(self._room(workshop_id)).items()
                if participant_ids is None or self._json.loads(value)["id"] in participant_ids]
