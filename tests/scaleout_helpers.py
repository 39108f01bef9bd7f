"""Helpers for the scale-out tests: a throw-away PostgreSQL database, server processes started with
the production command (gunicorn with gunicorn.conf.py, one gevent worker each) and a board client that follows
docs/protocol.md the way the browser does (lastSeq, a reorder buffer, an outbox, resync).

The test process itself is not monkey-patched: python-socketio's Client runs in real threads here.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

from tests.live_server import free_port  # noqa: F401  (a port below the outgoing-connection range)

ROOT = Path(__file__).resolve().parent.parent

PG_ADMIN_URL = os.environ.get("SCALEOUT_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/0")


# --- the services ----------------------------------------------------------------------------

def postgres_reachable(url: str = PG_ADMIN_URL) -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg
        with psycopg.connect(url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as error:  # any failure means "not available here"
        return f"PostgreSQL at {url}: {error}"


def redis_reachable(url: str = REDIS_URL) -> str | None:
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return None
    except Exception as error:
        return f"Redis at {url}: {error}"


def create_database(admin_url: str = PG_ADMIN_URL) -> tuple[str, str]:
    """A fresh, uniquely named database; returns (name, SQLAlchemy-style URL)."""
    import psycopg
    name = f"storming_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def drop_database(name: str, admin_url: str = PG_ADMIN_URL) -> None:
    import psycopg
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_database():
    """A fresh PostgreSQL database at the latest migration for a test module: (Database, URL); skipped
    when PostgreSQL cannot be reached (a failure under CI, which has it), dropped afterwards."""
    import pytest
    problem = postgres_reachable()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    from workshop.db.engine import Database
    from workshop.db.migrate import upgrade
    name, url = create_database()
    database = None
    try:
        upgrade(url)
        database = Database(url)
        yield database, url
    finally:
        if database is not None:
            database.dispose()
        drop_database(name)




# --- server processes ------------------------------------------------------------------------

def production_command(port: int) -> list[str]:
    """The documented command (docs/deployment.md), one process per port."""
    return [sys.executable, "-m", "gunicorn", "-w", "1", "--bind", f"127.0.0.1:{port}",
            "--no-control-socket", "--graceful-timeout", "2", "app:app"]


class ServerProcess:
    """One gunicorn master with its single gevent worker, in its own process group."""

    def __init__(self, port: int, env: dict, log_path: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(production_command(port), cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, deadline: float) -> None:
        probe = f"{self.url}/socket.io/?EIO=4&transport=polling"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server on {self.port} exited:\n{self.log()}")
            try:
                with urllib.request.urlopen(probe, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server on {self.port} did not answer in time:\n{self.log()}")

    def kill_hard(self) -> None:
        """kill -9 the master and its worker at once: the process is gone, sockets reset."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: the process keeps its sockets open but answers nothing."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def stop(self) -> None:
        """At the end of the tests: no graceful shutdown to wait for (it is not what they test)."""
        if self.proc.poll() is None:
            self.kill_hard()
        self._log.close()

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]


# --- a board client --------------------------------------------------------------------------

class Disconnected(Exception):
    pass


class BoardClient:
    """A participant, like static/js: applies records strictly in seq order, buffers later ones,
    keeps its own ops in an outbox until acknowledged, and after a reconnect resyncs from lastSeq
    and re-sends the outbox (one `ops` message at a time, in order)."""

    def __init__(self, name: str, token: str, secret: str):
        self.name, self.token, self.secret = name, token, secret
        self.last_seq = 0
        self.applied: list[dict] = []          # records in the order this client applied them
        self.acks: dict[str, dict] = {}        # op id -> its result (the last one received)
        self.duplicates: set[str] = set()      # op ids answered with duplicate: true
        self.outbox: list[list[dict]] = []     # unacknowledged messages, oldest first
        self.sent: list[list[dict]] = []       # every message this client queued, in order
        self.resent = 0                        # messages re-sent from the outbox after a reconnect
        self.resyncs = 0                       # resync calls (one per connect, plus one per stuck gap)
        self.url: str | None = None
        self.sio = None
        self._buffer: dict[int, dict] = {}
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()

    # connection

    def connect(self, url: str) -> None:
        import socketio
        self.url = url
        sio = socketio.Client(reconnection=False)
        sio.on("ops", self._on_ops)
        sio.connect(url, auth={"token": self.token, "secret": self.secret}, transports=["websocket"],
                    wait_timeout=10)
        self.sio = sio
        self.resync()
        self.resent += len(self.outbox)
        self.flush_outbox()

    def close(self) -> None:
        if self.sio is not None:
            self.sio.disconnect()

    @property
    def connected(self) -> bool:
        return self.sio is not None and self.sio.connected

    def _call(self, event: str, payload: dict, timeout: float = 15) -> dict:
        """Emit and wait for the acknowledgement; a dropped connection raises Disconnected at once
        (python-socketio's own call() would wait for its whole timeout)."""
        sio = self.sio
        if sio is None or not sio.connected:
            raise Disconnected(self.name)
        done, answer = threading.Event(), []

        def callback(*args):
            answer.append(args[0] if args else None)
            done.set()

        try:
            sio.emit(event, payload, callback=callback)
        except Exception as error:  # BadNamespaceError, a dropped websocket...
            raise Disconnected(f"{self.name}: {event}: {error!r}") from error
        deadline = time.monotonic() + timeout
        while not done.wait(0.05):
            if not sio.connected:
                raise Disconnected(f"{self.name}: connection lost while waiting for {event}")
            if time.monotonic() > deadline:
                raise Disconnected(f"{self.name}: no answer to {event} in {timeout} s")
        return answer[0]

    # receiving

    def _on_ops(self, message: dict) -> None:
        with self._lock:
            for record in message["ops"]:
                if record["seq"] > self.last_seq:
                    self._buffer[record["seq"]] = record
            self._drain()

    def _drain(self) -> None:
        while self.last_seq + 1 in self._buffer:
            record = self._buffer.pop(self.last_seq + 1)
            self.applied.append(record)
            self.last_seq = record["seq"]
        for seq in [s for s in self._buffer if s <= self.last_seq]:
            del self._buffer[seq]

    def resync(self) -> None:
        self.resyncs += 1
        answer = self._call("resync", {"since": self.last_seq})
        assert answer["ok"], answer
        assert "snapshot" not in answer, "the tests stay under the resync limit"
        with self._lock:
            for record in answer["ops"]:
                if record["seq"] > self.last_seq:
                    self._buffer[record["seq"]] = record
            self._drain()

    def has_gap(self) -> bool:
        with self._lock:
            return bool(self._buffer)

    # sending

    def send(self, ops: list[dict]) -> list[dict]:
        """Queue one message and send the outbox, in order; raises Disconnected if the server went away
        (the message stays in the outbox)."""
        with self._send_lock:
            self.sent.append(ops)
            self.outbox.append(ops)
        return self.flush_outbox()

    def flush_outbox(self) -> list[dict]:
        results: list[dict] = []
        with self._send_lock:
            while self.outbox:
                message = self.outbox[0]
                ack = self._call("ops", {"ops": message})
                assert ack["ok"], ack
                for result in ack["results"]:
                    self.acks[result["id"]] = result
                    if result.get("duplicate"):
                        self.duplicates.add(result["id"])
                self.outbox.pop(0)
                results.extend(ack["results"])
        return results

    def wait_for_seq(self, seq: int, timeout: float = 10) -> None:
        """Wait until every record up to `seq` is applied; a gap older than 1 s triggers a resync."""
        deadline = time.monotonic() + timeout
        gap_since = None
        while self.last_seq < seq:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} stuck at seq {self.last_seq}, wanted {seq}")
            if self.has_gap() or gap_since is not None:
                gap_since = gap_since or time.monotonic()
                if time.monotonic() - gap_since > 1.0:
                    self.resync()
                    gap_since = None
            time.sleep(0.02)


def new_op_id() -> str:
    return str(uuid.uuid4())


def sticky_create(text: str, x: float = 0.5, y: float = 0.5, kind: str = "event") -> dict:
    return {"id": str(uuid.uuid4()), "type": "sticky.create",
            "sticky": {"id": str(uuid.uuid4()), "kind": kind, "text": text, "x": x, "y": y}}


def sticky_update(sticky_id: str, **changes) -> dict:
    return {"id": str(uuid.uuid4()), "type": "sticky.update", "sticky_id": sticky_id, "changes": changes}
