"""The real-time benchmark's bookkeeping: an op counts as delivered to a client whether it arrived as
the full record (keyed by op id) or as a placeholder (keyed by its seq: someone else's dot placed
while votes are hidden, someone else's private sticky). Before, placeholders counted as lost."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_realtime", ROOT / "benchmarks" / "realtime.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _raw(sends: dict, recv: dict) -> dict:
    return {"total": 3, "mode": "ours", "sends": sends, "recv": recv, "refusals": {}, "cursor_sends": [],
            "cursor_batches": [], "cursors_sent": 0, "load_seconds": 10.0, "cpu_seconds": 1.0, "connected": 3,
            "connect_ms": 5, "ops_skipped": 0, "duplicate_deliveries": 0, "disconnects": 0,
            "loop_delay_p99_ms": 1.0, "loop_delay_max_ms": 2.0}


def test_a_hidden_dot_received_as_a_placeholder_is_delivered_not_lost():
    # Worker 0 sent a sticky (seq 7) and a dot while votes are hidden (seq 8); three clients in all,
    # so each op must reach the two others. One other is in worker 0, one in worker 1.
    sends = {"op-sticky": [1000.0, 0, "acked", 3.0, "sticky.create", 7],
             "op-dot": [2000.0, 0, "acked", 3.0, "vote.add", 8]}
    worker0 = _raw(sends, {"op-sticky": [1, 1020.0], "seq:8": [1, 2030.0]})
    worker1 = _raw({}, {"op-sticky": [1, 1040.0], "seq:8": [1, 2050.0]})
    merged = bench.merge_workers([worker0, worker1], participants=2)
    assert merged["ops_lost"] == 0
    assert merged["deliveries"] == 4
    assert merged["unknown_ops_received"] == 0
    assert merged["max_ms"] == 50.0  # times in ms: the dot's latest receipt, 2050 - 2000, counts like any op


def test_an_op_some_client_never_received_is_still_lost():
    sends = {"op-dot": [101.0, 0, "acked", 3.0, "vote.add", 8]}
    merged = bench.merge_workers([_raw(sends, {"seq:8": [1, 101.03]}), _raw({}, {})], participants=2)
    assert merged["ops_lost"] == 1
    # A placeholder whose seq no sender reported (another session's op) is unknown, not counted.
    merged = bench.merge_workers([_raw(sends, {"seq:9": [2, 101.03]})], participants=2)
    assert merged["ops_lost"] == 1 and merged["unknown_ops_received"] == 2


# Many boards (issue 25): each op must reach every other client of its own board and no other board.

def _board_raw(total: int, sends: dict, recv_by_board: dict) -> dict:
    raw = _raw(sends, {})
    del raw["recv"]
    raw.update(total=total, recv_by_board=recv_by_board)
    return raw


def test_many_boards_count_a_cross_board_leak_and_a_loss_per_board():
    # Two boards of three clients each (two guests + the facilitator): every op needs two receipts at
    # its own board. seq 5 is used by both boards (seqs are per board) for a placeholder each.
    sends = {"a1": [1000.0, 0, "acked", 2.0, "sticky.create", 4, 0],
             "a2": [1000.0, 1, "acked", 2.0, "vote.add", 5, 0],
             "b1": [1000.0, 3, "acked", 2.0, "sticky.create", 4, 1],
             "b2": [1000.0, 4, "acked", 2.0, "vote.add", 5, 1]}
    worker0 = _board_raw(3, sends, {
        "0": {"a1": [2, 1010.0], "seq:5": [2, 1020.0], "b1": [1, 1030.0]},  # b1 leaked to a board-0 client
        "1": {"b1": [2, 1040.0], "seq:5": [1, 1050.0]},                     # b2 (its seq 5) reached only one
    })
    merged = bench.merge_workers([worker0], participants=2)
    assert merged["boards"] == 2 and merged["participants_per_board"] == 2
    assert merged["leaked"] == 1 and merged["ops_leaked"] == 1
    assert merged["lost"] == merged["ops_lost"] == 1          # b2: one of its board's two others missed it
    assert merged["deliveries"] == 7                            # the leak is not a delivery
    assert merged["unknown_ops_received"] == 0
    assert merged["p99_ms_by_board"] == [20.0, 40.0]            # a1 10, a2 20 | b1 40 (b2 lost)
    assert merged["worst_board_p99_ms"] == 40.0 and merged["p99_ms"] == 40.0


def test_many_boards_split_gives_each_worker_its_share_and_each_board_a_facilitator():
    config = {"mode": "app", "url": "http://x", "token": "t0", "seconds": 1,
              "boards": [{"token": f"t{b}", "secrets": [f"s{b}-{i}" for i in range(3)], "facilitatorSecret": f"f{b}"}
                         for b in range(3)]}
    workers = bench.split_clients(config, 2)
    guests = [g for w in workers for g in w["guests"]]
    facilitators = [f for w in workers for f in w["facilitators"]]
    assert sorted(g["idx"] for g in guests + facilitators) == list(range(12))  # 3 boards x (3 + 1)
    assert [(f["board"], f["idx"]) for f in facilitators] == [(0, 3), (2, 11), (1, 7)]
    assert all(w["tokens"] == ["t0", "t1", "t2"] and w["total"] == 4 for w in workers)
    # one board: as before, the facilitator (index N) in worker 0 under `facilitator`
    one = bench.split_clients({**config, "boards": config["boards"][:1]}, 2)
    assert one[0]["facilitator"] == {"idx": 3, "secret": "f0", "board": 0} and one[1]["facilitator"] is None
