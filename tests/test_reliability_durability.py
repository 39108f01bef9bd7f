"""Durability settings and idempotence.

- SQLite: WAL journal and synchronous=FULL on the app's own engine (an ack means "on disk");
- PostgreSQL: synchronous_commit on (durable commit), when a server is reachable at 127.0.0.1:5432
  (skipped otherwise, except in CI where PostgreSQL is expected);
- the same op sent 1 to 5 times has one effect and the same seq every time.
"""
from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import text

from tests.board_helpers import create, make_workshop, op
from workshop.extensions import socketio

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_sqlite_engine_runs_in_wal_mode_with_synchronous_full(app, db):
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar().lower() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # 2 = FULL
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    # and on every pooled connection, including a fresh one after dispose
    db.engine.dispose()
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def test_postgresql_commits_are_durable():
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI is set but PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432 (trust auth, database test)")
    from workshop.db.engine import make_engine
    engine = make_engine(PG_URL)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() in ("on", "remote_write",
                                                                                    "remote_apply")
            assert connection.execute(text("SHOW fsync")).scalar() == "on"
    finally:
        engine.dispose()


@pytest.mark.parametrize("times", [1, 2, 3, 4, 5])
def test_the_same_op_sent_n_times_has_one_effect(app, db, times):
    _, token, secret = make_workshop(db)
    client = socketio.test_client(app, auth={"token": token, "secret": secret})
    client.emit("ops", {"ops": [op("phase.set", phase="map")]}, callback=True)
    sticky = create(text="once only")
    sid = sticky["sticky"]["id"]
    first = client.emit("ops", {"ops": [sticky]}, callback=True)["results"][0]
    update = op("sticky.update", sticky_id=sid, changes={"x": 0.9})
    update_acks = [client.emit("ops", {"ops": [update]}, callback=True)["results"][0] for _ in range(times)]
    for _ in range(times - 1):  # also the create again, and both in one message
        again = client.emit("ops", {"ops": [sticky, update]}, callback=True)["results"]
        assert again[0]["seq"] == first["seq"] and again[0]["duplicate"]
        assert again[1]["seq"] == update_acks[0]["seq"] and again[1]["duplicate"]
    assert {a["seq"] for a in update_acks} == {update_acks[0]["seq"]}
    assert all(a.get("duplicate") for a in update_acks[1:])
    snapshot = client.emit("snapshot", {}, callback=True)["snapshot"]
    assert [(s["text"], s["x"], s["version"]) for s in snapshot["stickies"]] == [("once only", 0.9, 2)]
    assert snapshot["seq"] == update_acks[0]["seq"]  # nothing else got a sequence number
    from sqlmodel import select

    from workshop.db.models import Operation
    with db.session() as session:
        rows = session.exec(select(Operation.op_id).where(Operation.op_id.in_([sticky["id"], update["id"]]))).all()
    assert sorted(rows) == sorted([sticky["id"], update["id"]])
    client.disconnect()
