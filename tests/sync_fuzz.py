"""A seeded sync fuzz of the board protocol, after tldraw's TestServer/TestClient fuzz.

2 to 6 simulated clients (a facilitator and guests) run the board client's algorithm
(static/js/board/connection.js and state.js: an outbox with one `ops` message in flight, records
applied strictly in seq order with later ones buffered, `snapshot` on the first connect and
`resync {since}` on every reconnect, then the outbox re-sent) against the real BoardService on a
real database, through a simulated network: every message is delivered after a random delay, in
order per connection (TCP), and a connection can drop at any step, losing whatever was in flight
both ways. Clients make random ops (creates, edits, moves, deletes, dots, phases, private writing and
reveals), many of them refused. At the end the network heals, everything is delivered, and every
client's board (stickies with every field, votes, its own dots, the workshop, the count of hidden
stickies, the last seq) must equal a fresh snapshot for that participant.

Used by tests/test_sync_fuzz.py (fixed seeds, in `make test`) and benchmarks/sync_fuzz.py (many).
"""
from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass, field

from workshop.domain.board import Actor, addressee, redact
from workshop.services.board import BoardService, Submission

PHASES = ["map", "pain", "context", "deepdive", "vote", "map", "pain", "wrapup"]
KINDS = ["event", "pain", "system", "time", "team", "opportunity", "note"]
VOTABLE = {"pain", "opportunity"}
# records the room gets in place of one only its addressee sees in full (connection.js)
PLACEHOLDERS = {"hidden", "vote.hidden"}
MAX_BATCH = 50


class Divergence(AssertionError):
    pass


@dataclass
class Connection:
    client: "Client"
    up: bool = True
    to_server: deque = field(default_factory=deque)  # (due step, event, payload)
    to_client: deque = field(default_factory=deque)  # (due step, message)


class Network:
    def __init__(self, rng: random.Random, max_delay: int):
        self.rng = rng
        self.max_delay = max_delay
        self.now = 0

    def due(self) -> int:
        return self.now + self.rng.randint(0, self.max_delay)

    @staticmethod
    def push(queue: deque, due: int, item) -> None:
        # FIFO per connection: never before what was sent earlier on it
        if queue and queue[-1][0] > due:
            due = queue[-1][0]
        queue.append((due, *item))


class Client:
    """The board client's algorithm (connection.js + the server side of state.js)."""

    def __init__(self, name: str, actor: Actor, net: Network, rng: random.Random):
        self.name, self.actor, self.net, self.rng = name, actor, net, rng
        self.conn: Connection | None = None
        self.loaded = False
        self.last_seq = None
        self.workshop: dict = {}
        self.stickies: dict[str, dict] = {}
        self.my_votes: dict[str, int] = {}
        self.hidden_count = 0
        self.votes_placed = 0
        self.votes_by: dict[str, int] = {}
        self.buffer: dict[int, dict] = {}
        self.outbox: list[dict] = []
        self.inflight: list[str] | None = None
        self.syncing = False
        self.sync_again = False
        self.failures: dict[str, int] = {}
        self.sent_ops = 0

    # connection

    @property
    def connected(self) -> bool:
        return self.conn is not None and self.conn.up

    def connect(self, server: "Server") -> None:
        self.conn = server.open(self)
        self.inflight = None
        self.syncing = False
        self.sync_again = False
        self.resync()

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.up = False
            self.conn.to_server.clear()
            self.conn.to_client.clear()
        self.conn = None
        self.inflight = None
        self.syncing = False

    def _send(self, event: str, payload) -> None:
        self.net.push(self.conn.to_server, self.net.due(), (event, payload))

    # catching up

    def resync(self) -> None:
        if not self.connected:
            return
        if self.syncing:
            self.sync_again = True
            return
        self.syncing = True
        if not self.loaded:
            self._send("snapshot", {})
        else:
            self._send("resync", {"since": self.last_seq})

    def _synced(self) -> None:
        self.syncing = False
        if self.sync_again:
            self.sync_again = False
            self.resync()
            return
        self._drain()
        self.flush()

    def load_snapshot(self, snap: dict) -> None:
        self.last_seq = snap["seq"]
        self.hidden_count = snap.get("hidden_count", 0)
        self.votes_placed = snap.get("votes_placed", 0)
        self.votes_by = dict(snap.get("votes_by") or {})
        self.workshop = dict(snap["workshop"])
        self.stickies = {s["id"]: dict(s) for s in snap["stickies"]}
        self.my_votes = dict(snap.get("my_votes") or {})
        self.loaded = True

    def receive(self, records: list[dict]) -> None:
        for record in records:
            if self.last_seq is not None and record["seq"] <= self.last_seq:
                continue
            if record.get("type") in PLACEHOLDERS and record["seq"] in self.buffer:
                continue  # my own private record (or hidden dot) came in full first
            self.buffer[record["seq"]] = record
        self._drain()

    def _drain(self) -> None:
        if not self.loaded:
            return
        for seq in [s for s in self.buffer if s <= self.last_seq]:
            del self.buffer[seq]
        while self.last_seq + 1 in self.buffer:
            self.apply_record(self.buffer.pop(self.last_seq + 1))
        # (a gap left here is filled by the resync every reconnect makes; connection.js also
        # resyncs after 1 s, which this simulation does at once when the network is quiet)

    def _count_dot(self, by: int, delta: int) -> None:
        """How many dots each person has placed (the snapshot's ``votes_by``: never where)."""
        n = self.votes_by.get(str(by), 0) + delta
        if n > 0:
            self.votes_by[str(by)] = n
        else:
            self.votes_by.pop(str(by), None)

    def apply_record(self, record: dict) -> None:
        if record["seq"] != self.last_seq + 1:
            raise Divergence(f"{self.name} applied seq {record['seq']} after {self.last_seq}")
        self.last_seq = record["seq"]
        if record.get("type") == "hidden":
            delta = {"created": 1, "deleted": -1}.get(record.get("change"), 0)
            self.hidden_count = max(0, self.hidden_count + delta)
            return
        if record.get("type") == "vote.hidden":  # someone's dot while votes are hidden: how many, not where
            self.votes_placed = max(0, self.votes_placed + record["delta"])
            self._count_dot(record["by"], record["delta"])
            return
        if record.get("sticky"):
            self._upsert(record["sticky"])
        if isinstance(record.get("revealed"), list):
            self.hidden_count = 0
            for sticky in record["revealed"]:
                self._upsert({**sticky, "private": False})
        if record.get("workshop"):
            self.workshop = {**self.workshop, **record["workshop"]}
        if record.get("votes") is not None:  # blind voting started (no counts) or ended (every count)
            for sticky_id, sticky in self.stickies.items():
                sticky["votes"] = record["votes"].get(sticky_id, 0)
        if record.get("vote"):
            vote = record["vote"]
            self.votes_placed = max(0, self.votes_placed + vote["delta"])
            self._count_dot(record["by"], vote["delta"])
            if vote["sticky_id"] in self.stickies and "total" in vote:  # no total while votes are hidden
                self.stickies[vote["sticky_id"]]["votes"] = vote["total"]
            if record["by"] == self.actor.participant_id:
                sid = vote["sticky_id"]
                self.my_votes[sid] = max(0, self.my_votes.get(sid, 0) + vote["delta"])
                if not self.my_votes[sid]:
                    del self.my_votes[sid]

    def _upsert(self, sticky: dict) -> None:
        known = self.stickies.get(sticky["id"])
        if sticky.get("deleted"):
            self.stickies.pop(sticky["id"], None)
        elif known is not None or sticky.get("kind"):
            self.stickies[sticky["id"]] = {**(known or {}), **sticky}

    # my ops

    def send(self, op: dict) -> None:
        self.outbox.append(op)
        self.sent_ops += 1
        self.flush()

    def flush(self) -> None:
        if not self.connected or self.syncing or self.inflight is not None or not self.outbox or not self.loaded:
            return
        batch = self.outbox[:MAX_BATCH]
        self.inflight = [op["id"] for op in batch]
        self._send("ops", {"ops": [dict(op) for op in batch]})

    def on_ack(self, ids: list[str], ack: dict) -> None:
        if self.inflight != ids:
            return  # an answer from before a reconnect
        self.inflight = None
        if not ack.get("ok"):
            code = ack["error"]["code"]
            if code in ("rate_limited", "server_error"):
                self.flush()
                return
            for op_id in ids:
                self._forget(op_id)
            self.resync()
            self.flush()
            return
        rejected = False
        for result in ack["results"]:
            code = (result.get("error") or {}).get("code")
            if not result["ok"] and code in ("server_error", "server_busy"):
                self.failures[result["id"]] = self.failures.get(result["id"], 0) + 1
                if self.failures[result["id"]] <= 4:
                    continue
            self._forget(result["id"])
            if not result["ok"]:
                rejected = True
        if rejected:
            self.resync()
        self._drain()
        self.flush()

    def _forget(self, op_id: str) -> None:
        self.outbox = [op for op in self.outbox if op["id"] != op_id]
        self.failures.pop(op_id, None)

    def on_message(self, message: tuple) -> None:
        kind = message[0]
        if kind == "ops":
            self.receive(message[1])
        elif kind == "ack":
            self.on_ack(message[1], message[2])
        elif kind == "snapshot":
            if message[1].get("ok"):
                self.load_snapshot(message[1]["snapshot"])
            self._synced()
        elif kind == "resync":
            answer = message[1]
            if answer.get("snapshot"):
                self.load_snapshot(answer["snapshot"])
            else:
                for record in answer["ops"]:
                    if record["seq"] > self.last_seq and not (record.get("type") in PLACEHOLDERS
                                                              and record["seq"] in self.buffer):
                        self.buffer[record["seq"]] = record
                while self.last_seq + 1 in self.buffer:
                    self.apply_record(self.buffer.pop(self.last_seq + 1))
            self._synced()

    @property
    def quiet(self) -> bool:
        return (self.connected and self.loaded and not self.outbox and self.inflight is None and not self.syncing
                and not self.buffer and not self.conn.to_server and not self.conn.to_client)

    # random ops, from what this client sees

    def random_op(self) -> dict | None:
        rng = self.rng
        op_id = str(uuid.UUID(int=rng.getrandbits(128)))
        stickies = sorted(self.stickies)
        # "contend" and "drag" all aim at one sticky (the first by id), so that several clients edit
        # its text at once and move it while another deletes it (issue 23: concurrent edits of one
        # field, deletes during moves)
        weights = {"create": 5, "update": 4, "delete": 1, "vote": 2, "unvote": 1, "stale": 1, "contend": 2,
                   "drag": 2, "delete_hot": 0.5}
        if self.actor.facilitator:
            weights.update({"phase": 2, "private": 1, "reveal": 1, "hide_votes": 1})
        choice = rng.choices(list(weights), list(weights.values()))[0]
        if choice == "create":
            kind = rng.choice(KINDS)
            sticky = {"id": f"s-{op_id[:13]}", "kind": kind, "text": f"{self.name} {rng.randrange(1000)}",
                      "x": round(rng.random(), 3), "y": round(rng.random(), 3)}
            if kind == "time" and rng.random() < 0.5:
                sticky["duration_minutes"] = rng.randrange(0, 600)
            if stickies and rng.random() < 0.2:
                sticky["link_to"] = rng.choice(stickies)
            return {"id": op_id, "type": "sticky.create", "sticky": sticky}
        if choice in ("update", "delete", "vote", "unvote", "contend", "drag", "delete_hot") and not stickies:
            return None
        if choice == "contend":
            return {"id": op_id, "type": "sticky.update", "sticky_id": stickies[0],
                    "changes": {"text": f"{self.name} says {rng.randrange(1000)}"}}
        if choice == "drag":  # a drag is several moves of the same sticky in a row
            return {"id": op_id, "type": "sticky.update", "sticky_id": stickies[0],
                    "changes": {"x": round(rng.random(), 3), "y": round(rng.random(), 3)}}
        if choice == "delete_hot":
            return {"id": op_id, "type": "sticky.delete", "sticky_id": stickies[0]}
        if choice == "update":
            changes = rng.choice([{"x": round(rng.random(), 3), "y": round(rng.random(), 3)},
                                  {"text": f"edited by {self.name} {rng.randrange(1000)}"},
                                  {"link_to": rng.choice(stickies + [None])}])
            return {"id": op_id, "type": "sticky.update", "sticky_id": rng.choice(stickies), "changes": changes}
        if choice == "delete":
            return {"id": op_id, "type": "sticky.delete", "sticky_id": rng.choice(stickies)}
        if choice in ("vote", "unvote"):
            votable = [s for s in stickies if self.stickies[s].get("kind") in VOTABLE] or stickies
            return {"id": op_id, "type": "vote.add" if choice == "vote" else "vote.remove",
                    "sticky_id": rng.choice(votable)}
        if choice == "stale":  # an op on a sticky someone may have deleted meanwhile, or never existed
            return {"id": op_id, "type": "sticky.update", "sticky_id": f"s-gone-{rng.randrange(5)}",
                    "changes": {"x": 0.5}}
        if choice == "phase":
            return {"id": op_id, "type": "phase.set", "phase": rng.choice(PHASES)}
        if choice == "hide_votes":
            return {"id": op_id, "type": "vote.hide", "on": rng.random() < 0.6}
        if choice == "private":
            return {"id": op_id, "type": "private.set", "on": rng.random() < 0.6}
        return {"id": op_id, "type": "private.reveal"}


class Server:
    """The realtime adapter's part: a tick that applies what arrived, broadcasts, then acks."""

    def __init__(self, service: BoardService, workshop_id: int, net: Network, rng: random.Random):
        self.service, self.workshop_id, self.net, self.rng = service, workshop_id, net, rng
        self.connections: list[Connection] = []
        self.pending: list[tuple[Connection, list[str], Submission]] = []
        self.late: list[tuple[Connection, tuple]] = []  # answers computed now, sent after the next tick

    def open(self, client: Client) -> Connection:
        conn = Connection(client)
        self.connections.append(conn)
        return conn

    def _reply(self, conn: Connection, message: tuple) -> None:
        if conn.up:
            self.net.push(conn.to_client, self.net.due(), (message,))

    def step(self) -> None:
        now = self.net.now
        for conn in [c for c in self.connections if c.up]:
            while conn.to_server and conn.to_server[0][0] <= now:
                _, event, payload = conn.to_server.popleft()
                actor = conn.client.actor
                if event == "ops":
                    ids = [op["id"] for op in payload["ops"]]
                    self.pending.append((conn, ids, Submission(actor, payload["ops"])))
                elif event == "snapshot":
                    answer = ("snapshot", {"ok": True, "snapshot": self.service.snapshot(self.workshop_id, actor)})
                    self._answer(conn, answer)
                elif event == "resync":
                    answer = ("resync", self.service.ops_since(self.workshop_id, payload["since"], actor))
                    self._answer(conn, answer)
        late, self.late = self.late, []
        self.tick()
        for conn, answer in late:
            self._reply(conn, answer)
        self.connections = [c for c in self.connections if c.up]

    def _answer(self, conn: Connection, answer: tuple) -> None:
        """A snapshot or resync answer goes out now, or (as a handler's greenlet may) after the next
        tick's broadcast, which then reaches the client before the answer it was computed without."""
        if self.rng.random() < 0.3:
            self.late.append((conn, answer))
        else:
            self._reply(conn, answer)

    def tick(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        records = self.service.apply_batch(self.workshop_id, [submission for _, _, submission in pending])
        if records:
            for conn in [c for c in self.connections if c.up]:
                viewer = conn.client.actor.participant_id
                own = [redact(r, viewer) for r in records if addressee(r) == viewer]
                if own:  # the author's full records go first, in their own message
                    self._reply(conn, ("ops", own))
                self._reply(conn, ("ops", [redact(r, -1) for r in records]))
        for conn, ids, submission in pending:
            self._reply(conn, ("ack", ids, {"ok": True, "results": submission.results}))

    def deliver(self) -> None:
        now = self.net.now
        for conn in [c for c in self.connections if c.up]:
            while conn.up and conn.to_client and conn.to_client[0][0] <= now:
                _, message = conn.to_client.popleft()
                conn.client.on_message(message)


def expected_view(service: BoardService, workshop_id: int, actor: Actor) -> dict:
    snap = service.snapshot(workshop_id, actor)
    return {"seq": snap["seq"], "workshop": snap["workshop"], "hidden_count": snap["hidden_count"],
            "stickies": {s["id"]: s for s in snap["stickies"]}, "my_votes": dict(snap["my_votes"]),
            "votes_placed": snap["votes_placed"], "votes_by": snap["votes_by"]}


def client_view(client: Client) -> dict:
    return {"seq": client.last_seq, "workshop": client.workshop, "hidden_count": client.hidden_count,
            "stickies": client.stickies, "my_votes": client.my_votes, "votes_placed": client.votes_placed,
            "votes_by": client.votes_by}


def run(seed: int, service: BoardService, workshop_id: int, facilitator: Actor, guests: list[Actor],
        steps: int = 120, drop_rate: float = 0.04, reconnect_rate: float = 0.25, op_rate: float = 0.5,
        max_delay: int = 4) -> dict:
    """One seeded run; raises Divergence (with the seed) when a client's board differs from a fresh
    snapshot at the end. Returns figures about the run."""
    rng = random.Random(seed)
    net = Network(rng, max_delay)
    server = Server(service, workshop_id, net, rng)
    clients = [Client("fac", facilitator, net, random.Random(rng.random()))]
    clients += [Client(f"g{i}", actor, net, random.Random(rng.random())) for i, actor in enumerate(guests)]
    for client in clients:
        client.connect(server)
    drops = 0
    for _ in range(steps):
        net.now += 1
        for client in clients:
            if client.connected:
                if rng.random() < drop_rate:
                    client.drop()
                    drops += 1
                    continue
                if client.loaded and rng.random() < op_rate:
                    for _ in range(rng.choice([1, 1, 1, 2, 3])):
                        op = client.random_op()
                        if op is not None:
                            client.send(op)
            elif rng.random() < reconnect_rate:
                client.connect(server)
        server.step()
        server.deliver()
    # heal: everyone back, nothing new, until every client is quiet
    for client in clients:
        if not client.connected:
            client.connect(server)
    for _ in range(2000):
        net.now += 1
        server.step()
        server.deliver()
        if all(client.quiet for client in clients) and not server.pending and not server.late:
            break
    else:
        stuck = [(c.name, len(c.outbox), c.inflight is not None, c.syncing, len(c.buffer)) for c in clients
                 if not c.quiet]
        raise Divergence(f"seed {seed}: the network healed but these clients never settled: {stuck}")
    for client in clients:
        expected = expected_view(service, workshop_id, client.actor)
        seen = client_view(client)
        if seen != expected:
            diff = {key: (seen[key], expected[key]) for key in expected if seen[key] != expected[key]}
            if "stickies" in diff:
                a, b = seen["stickies"], expected["stickies"]
                diff["stickies"] = {sid: (a.get(sid), b.get(sid)) for sid in set(a) | set(b) if a.get(sid) != b.get(sid)}
            raise Divergence(f"seed {seed}: {client.name}'s board differs from a fresh snapshot: {diff}")
    return {"seed": seed, "clients": len(clients), "drops": drops, "ops_sent": sum(c.sent_ops for c in clients),
            "seq": expected_view(service, workshop_id, facilitator)["seq"]}
