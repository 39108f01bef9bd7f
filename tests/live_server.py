"""A real server for reliability and security tests: `python app.py` as a subprocess.

The Flask-SocketIO test client bypasses the HTTP handshake, the Origin check, engine.io's size
limit and the real process boundary, so these tests run the production command on a free port
with its own INSTANCE_PATH (its own SQLite file), and talk to it with python-socketio clients
(websocket transport) or raw websocket-client connections.

    server = LiveServer(tmp_dir)         # migrates the SQLite file
    workshop = server.workshop(guests=3)  # created through workshop.services, before start()
    server.start()
    client = BoardClient(server.url, workshop.token, workshop.guests[0])
    ...
    server.kill()    # SIGKILL, as a crash would
    server.start()   # same port, same database

Used by tests/test_reliability_live.py, tests/test_security_live.py and benchmarks/soak_offline.py.
"""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def _outgoing_ports_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nobody listens on, chosen below the kernel's range for outgoing connections. A port that
    bind(0) hands out comes from that range, so between the pick and the server's own bind any client
    connection on the machine may take it as its local port (seen under load: gunicorn's "Address
    already in use", and a readiness probe answered by another test's server on that port)."""
    top = min(_outgoing_ports_start(), 32768)
    for _ in range(500):
        port = random.randrange(10_000, top)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveWorkshop:
    id: int
    token: str
    facilitator: str               # the facilitator's participant secret
    guests: list[str] = field(default_factory=list)  # guest secrets, in order
    guest_ids: list[int] = field(default_factory=list)


class LiveServer:
    """One `python app.py` process over one SQLite file; kill() and start() again at will."""

    def __init__(self, directory: Path, port: int | None = None, env: dict | None = None):
        from workshop.db.migrate import upgrade
        self.directory = Path(directory)
        self.instance = self.directory / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.db_path = self.instance / "workshop.db"
        self.db_url = f"sqlite:///{self.db_path}"
        upgrade(self.db_url)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.directory / "server.log"
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    # --- data, written through the services on the same SQLite file ---------------------------

    def database(self):
        from workshop.db.engine import Database
        return Database(self.db_url)

    def workshop(self, guests: int = 2, phase: str = "map", team: str | None = None) -> LiveWorkshop:
        from tests.board_helpers import join, make_workshop
        from workshop.db.models import Workshop
        db = self.database()
        try:
            workshop_id, token, fac_secret = make_workshop(db, team=team or f"Team {uuid.uuid4().hex[:6]}")
            live = LiveWorkshop(workshop_id, token, fac_secret)
            for n in range(guests):
                participant_id, secret = join(db, token, f"Guest {n}")
                live.guests.append(secret)
                live.guest_ids.append(participant_id)
            with db.session() as session:
                row = session.get(Workshop, workshop_id)
                row.phase = phase
                session.add(row)
                session.commit()
            return live
        finally:
            db.dispose()

    # --- the process ------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Start `python app.py` and wait until it answers HTTP."""
        assert self.process is None or self.process.poll() is not None, "already running"
        env = dict(os.environ)
        for name in ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE", "CORS_ALLOWED_ORIGINS"):
            env.pop(name, None)
        env.update({"HOST": "127.0.0.1", "PORT": str(self.port), "INSTANCE_PATH": str(self.instance),
                    "RATELIMIT_ENABLED": "0", "SECRET_KEY": "live-test-secret", "PYTHONUNBUFFERED": "1"})
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([PYTHON, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                requests.get(self.url + "/login", timeout=1, allow_redirects=False)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


# --- a board client that behaves like static/js: lastSeq, buffer, outbox, resync ---------------

def new_id() -> str:
    return str(uuid.uuid4())


class BoardClient:
    """A python-socketio client over websocket that keeps the board as the browser does.

    `board` (sticky id -> state) is built only from what the server sent: broadcast records
    applied strictly in sequence order, and resync answers. `log` holds (op id, acked, seq) for
    every op this client sent, as the issue asks.
    """

    def __init__(self, url: str, token: str, secret: str, name: str = ""):
        self.url, self.token, self.secret, self.name = url, token, secret, name
        self.last_seq = 0
        self.board: dict[str, dict] = {}
        self.buffer: dict[int, dict] = {}
        self.lock = threading.Lock()
        self.log: dict[str, dict] = {}   # op id -> {"op": op, "acked": bool, "seq": int | None, "result": ...}
        self.sio: socketio.Client | None = None

    # connection
    def connect(self, timeout: float = 10.0) -> "BoardClient":
        sio = socketio.Client(reconnection=False)
        sio.on("ops", self._on_ops)
        sio.connect(self.url, auth={"token": self.token, "secret": self.secret}, transports=["websocket"],
                    wait_timeout=timeout)
        self.sio = sio
        return self

    def disconnect(self) -> None:
        """Drop the connection at once, as a network drop does (the server sees a closed socket)."""
        if self.sio is not None:
            try:  # websocket-client's close() waits up to 3 s for a close frame: cut the socket first
                self.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
            except Exception:
                pass
            try:
                self.sio.eio.disconnect(abort=True)
            except Exception:
                pass
            self.sio = None

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    # applying what the server says
    def _apply(self, record: dict) -> None:
        if record.get("type") == "hidden":
            pass
        elif "sticky" in record:
            state = record["sticky"]
            if state.get("deleted"):
                self.board.pop(state["id"], None)
            else:  # a create carries the whole sticky, an update what changed (as the board client)
                self.board[state["id"]] = {**self.board.get(state["id"], {}), **state}
        for state in record.get("revealed") or []:
            self.board[state["id"]] = state
        self.last_seq = record["seq"]

    def _on_ops(self, message) -> None:
        with self.lock:
            for record in message.get("ops", []):
                if record["seq"] > self.last_seq:
                    self.buffer[record["seq"]] = record
            while self.last_seq + 1 in self.buffer:
                self._apply(self.buffer.pop(self.last_seq + 1))

    def snapshot(self, timeout: float = 10.0) -> dict:
        answer = self.sio.call("snapshot", {}, timeout=timeout)
        assert answer["ok"], answer
        with self.lock:
            snap = answer["snapshot"]
            self.board = {s["id"]: s for s in snap["stickies"]}
            self.last_seq = snap["seq"]
            self.buffer = {k: v for k, v in self.buffer.items() if k > self.last_seq}
        return snap

    def resync(self, timeout: float = 10.0) -> dict:
        """Ask for everything after lastSeq (what the browser does after any reconnect)."""
        with self.lock:
            since = self.last_seq
        answer = self.sio.call("resync", {"since": since}, timeout=timeout)
        assert answer["ok"], answer
        with self.lock:
            if "snapshot" in answer:
                snap = answer["snapshot"]
                self.board = {s["id"]: s for s in snap["stickies"]}
                self.last_seq = snap["seq"]
            else:
                for record in answer["ops"]:
                    if record["seq"] == self.last_seq + 1:
                        self._apply(record)
            while self.last_seq + 1 in self.buffer:
                self._apply(self.buffer.pop(self.last_seq + 1))
            self.buffer = {k: v for k, v in self.buffer.items() if k > self.last_seq}
        return answer

    # sending
    def send(self, ops: list[dict], timeout: float = 10.0) -> dict:
        """One `ops` message; logs each op as acked (with its seq) only when the server said ok."""
        for op in ops:
            self.log.setdefault(op["id"], {"op": op, "acked": False, "seq": None, "result": None})
        answer = self.sio.call("ops", {"ops": ops}, timeout=timeout)
        if answer.get("ok"):
            for result in answer["results"]:
                entry = self.log.get(result.get("id"))
                if entry is not None:
                    entry["result"] = result
                    if result.get("ok"):
                        if entry["acked"]:
                            assert entry["seq"] == result["seq"], (entry, result)
                        entry["acked"], entry["seq"] = True, result["seq"]
        return answer

    def unacked(self) -> list[dict]:
        return [entry["op"] for entry in self.log.values() if not entry["acked"]]

    def acked(self) -> dict[str, int]:
        return {op_id: entry["seq"] for op_id, entry in self.log.items() if entry["acked"]}


def create_op(kind: str = "event", text: str = "Ticket raised", x: float = 0.2, y: float = 0.3, **extra) -> dict:
    return {"id": new_id(), "type": "sticky.create",
            "sticky": {"id": new_id(), "kind": kind, "text": text, "x": x, "y": y, **extra}}


def update_op(sticky_id: str, **changes) -> dict:
    return {"id": new_id(), "type": "sticky.update", "sticky_id": sticky_id, "changes": changes}


def database_state(server: LiveServer, workshop_id: int) -> dict:
    """What the database holds for a workshop: stickies, operations (op id -> seq), seq counter."""
    from sqlmodel import select

    from workshop.db.models import Operation, Sticky, Workshop
    db = server.database()
    try:
        with db.session() as session:
            stickies = {s.id: s for s in session.exec(select(Sticky).where(Sticky.workshop_id == workshop_id))}
            operations = list(session.exec(select(Operation).where(Operation.workshop_id == workshop_id)
                                           .order_by(Operation.seq)))
            workshop = session.get(Workshop, workshop_id)
            return {
                "stickies": {sid: {"text": s.text, "x": s.x, "y": s.y, "version": s.version, "deleted": s.deleted}
                             for sid, s in stickies.items()},
                "ops": {o.op_id: o.seq for o in operations},
                "op_rows": [(o.seq, o.op_id, o.type, (o.result or {}).get("sticky", {}).get("id")) for o in operations],
                "seq": workshop.seq,
            }
    finally:
        db.dispose()


def run_offline_scenario(server: LiveServer, seconds: float, editors: int = 3, rate_hz: float = 5.0) -> dict:
    """A client goes offline for `seconds` while `editors` others edit, queues its own ops, comes back.

    Returns a summary; raises AssertionError when anything diverges. The test runs it for a few
    seconds, benchmarks/soak_offline.py for 30.
    """
    workshop = server.workshop(guests=editors + 1)
    away = BoardClient(server.url, workshop.token, workshop.guests[0], "away").connect()
    others = [BoardClient(server.url, workshop.token, secret, f"editor {n}").connect()
              for n, secret in enumerate(workshop.guests[1:])]
    away.snapshot()
    for client in others:
        client.snapshot()
    own = create_op(text="before going offline")
    assert away.send([own])["results"][0]["ok"]
    own_id = own["sticky"]["id"]
    away.disconnect()  # laptop lid closed

    outbox: list[dict] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def edit(client: BoardClient) -> None:
        mine: list[str] = []
        try:
            while not stop.is_set():
                if mine and len(mine) % 3 == 0:
                    op = update_op(mine[-1], text=f"{client.name} edited {len(mine)}", x=0.5)
                    mine.append(mine[-1])
                else:
                    op = create_op(text=f"{client.name} #{len(mine)}")
                    mine.append(op["sticky"]["id"])
                answer = client.send([op])
                assert answer["ok"] and answer["results"][0]["ok"], answer
                stop.wait(1.0 / rate_hz)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=edit, args=(c,), daemon=True) for c in others]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < seconds:  # the offline client keeps working: its ops queue up
        if len(outbox) < 48:
            outbox.append(create_op(text=f"written offline {n}"))
            outbox.append(update_op(own_id, x=round(0.01 * (n % 100), 2)))
            n += 1
        time.sleep(min(0.25, seconds / 10))
    stop.set()
    for thread in threads:
        thread.join(15)
    assert not errors, errors

    away.connect()  # back online: resync from lastSeq, then the outbox (twice: the first ack "was lost")
    missed = away.resync()
    first = away.send(outbox)
    again = away.send(outbox)
    assert all(r["ok"] for r in first["results"]), first
    assert all(r["ok"] and r.get("duplicate") for r in again["results"]), again
    assert [r["seq"] for r in again["results"]] == [r["seq"] for r in first["results"]]
    time.sleep(0.3)
    for client in [away, *others]:
        client.resync()
    db = database_state(server, workshop.id)
    visible = {sid: s for sid, s in db["stickies"].items() if not s["deleted"]}
    for client in [away, *others]:
        assert client.last_seq == db["seq"], (client.name, client.last_seq, db["seq"])
        assert {sid: s["text"] for sid, s in client.board.items()} == {sid: s["text"] for sid, s in visible.items()}
        assert {sid: s["version"] for sid, s in client.board.items()} == {sid: s["version"] for sid, s in visible.items()}
    updates_of_own = sum(1 for op in outbox if op["type"] == "sticky.update")
    assert db["stickies"][own_id]["version"] == 1 + updates_of_own  # each queued update applied exactly once
    assert sorted(db["ops"].values()) == list(range(1, db["seq"] + 1))  # gap-free, one row per op id
    for op in outbox:
        assert op["id"] in db["ops"]
    for client in [away, *others]:
        client.disconnect()
    return {"offline_seconds": seconds, "missed_ops": len(missed.get("ops", [])), "queued_ops": len(outbox),
            "final_seq": db["seq"], "stickies": len(visible)}


_SHARED: LiveServer | None = None


def shared_server() -> LiveServer:
    """One live server for every live test of the session (startup costs seconds): started on
    first use, stopped at exit. A test that kills it must start it again before returning."""
    global _SHARED
    if _SHARED is None:
        import atexit
        import shutil
        import tempfile
        directory = Path(tempfile.mkdtemp(prefix="storming-live-"))
        server = LiveServer(directory)
        server.start()
        _SHARED = server

        def _cleanup() -> None:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)
        atexit.register(_cleanup)
    elif not _SHARED.alive():
        _SHARED.start()
    return _SHARED
