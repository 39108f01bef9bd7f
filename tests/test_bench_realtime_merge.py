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
