"""Nothing lost, against the real server process (`python app.py`, gevent, SQLite WAL + FULL).

- kill -9 while 20 clients make operations; restart on the same port and database: every
  acknowledged op is in the database and on every client after resync, none applied twice, and
  the in-flight ops re-sent after the restart are applied at most once;
- a client offline for SOAK_SECONDS (default 3; the issue's 30 s is benchmarks/soak_offline.py)
  while others edit converges after resync and its queued ops apply once.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from tests.live_server import BoardClient, create_op, database_state, run_offline_scenario, shared_server, update_op

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "3"))


@pytest.fixture(scope="module")
def server():
    return shared_server()


def test_offline_client_converges_and_its_queued_ops_apply_once(server):
    summary = run_offline_scenario(server, SOAK_SECONDS)
    assert summary["missed_ops"] > 0 and summary["queued_ops"] > 0


def test_kill_9_under_load_loses_no_acknowledged_op_and_applies_none_twice(server):
    workshop = server.workshop(guests=20)
    clients = [BoardClient(server.url, workshop.token, secret, f"c{n}").connect()
               for n, secret in enumerate(workshop.guests)]
    for client in clients:
        client.snapshot()

    stop = threading.Event()

    def work(client: BoardClient) -> None:
        own = None
        n = 0
        while not stop.is_set():
            if own is None or n % 2 == 0:
                op = create_op(text=f"{client.name} op {n}")
            else:
                op = update_op(own, text=f"{client.name} edit {n}", x=round((n % 10) / 10, 1))
            try:
                answer = client.send([op], timeout=3)
            except Exception:
                return  # the server died under us: this op stays "not acknowledged" in the log
            if not answer.get("ok") or not answer["results"][0]["ok"]:
                return
            if op["type"] == "sticky.create":
                own = op["sticky"]["id"]
            n += 1

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while sum(len(c.acked()) for c in clients) < 120 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(10)
    acked_before = {op_id: seq for c in clients for op_id, seq in c.acked().items()}
    in_flight = [op for c in clients for op in c.unacked()]
    assert len(acked_before) >= 60, "the load did not get going before the kill"

    # straight after the crash, before any restart: every acknowledged op is on disk
    crashed = database_state(server, workshop.id)
    for op_id, seq in acked_before.items():
        assert crashed["ops"].get(op_id) == seq, f"acknowledged op {op_id} (seq {seq}) lost by the crash"

    server.start()  # same port, same database
    for client in clients:
        client.disconnect()
        client.connect()
        client.resync()
        if client.unacked():  # the outbox: re-send what was never acknowledged
            answer = client.send(client.unacked())
            assert answer["ok"] and all(r["ok"] for r in answer["results"]), answer
    time.sleep(0.3)
    for client in clients:
        client.resync()

    db = database_state(server, workshop.id)
    sent = {op_id for c in clients for op_id in c.log}
    assert set(db["ops"]) == sent  # nothing applied that nobody sent, nothing sent and lost
    assert sorted(db["ops"].values()) == list(range(1, db["seq"] + 1))  # one seq per op, gap-free
    for op_id, seq in acked_before.items():
        assert db["ops"][op_id] == seq
    for c in clients:  # re-sent in-flight ops: at most once (a duplicate keeps the first seq)
        for op_id, entry in c.log.items():
            assert entry["acked"] and entry["seq"] == db["ops"][op_id]
    updates = {}
    for _seq, _op_id, kind, sticky_id in db["op_rows"]:
        if kind == "sticky.update":
            updates[sticky_id] = updates.get(sticky_id, 0) + 1
    for sticky_id, sticky in db["stickies"].items():
        assert sticky["version"] == 1 + updates.get(sticky_id, 0), "an update was applied twice"
    expected = {sid: (s["text"], s["version"]) for sid, s in db["stickies"].items() if not s["deleted"]}
    for client in clients:
        assert client.last_seq == db["seq"]
        assert {sid: (s["text"], s["version"]) for sid, s in client.board.items()} == expected, client.name
        client.disconnect()
    print(f"kill -9: {len(acked_before)} acked before the crash, {len(in_flight)} in flight re-sent, "
          f"final seq {db['seq']}")
