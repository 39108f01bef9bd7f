"""Soak: the real-time load of benchmarks/realtime.py held for minutes, to see what only time shows.

    .venv/bin/python benchmarks/soak.py --participants 100 --minutes 10
    (or: make bench-soak PARTICIPANTS=100 MINUTES=10)
    .venv/bin/python benchmarks/soak.py --boards 20 --participants 10 --minutes 10
    (or: make bench-soak BOARDS=20 PARTICIPANTS=10 MINUTES=10: N participants on each of B boards)

The 20-second realtime benchmark cannot see a connection that drops after 45 s (issue 12: every
connection did), a queue or a cache that grows, or a latency that creeps. This runs the same load
(N socket.io-client participants, 1 op/s each, pointers at 10 Hz, the facilitator switching phases)
against our server for `--minutes`, with clients that reconnect as the browser does (each reconnect
counted), and reports per minute: ops sent, p99 send-to-all latency and the server's RSS.

Goal (issue 12): 0 disconnects, 0 lost, no growth of p99 or memory over time.
Ends by printing one JSON line: participants, minutes, disconnects, reconnects, ops_sent, ops_acked,
ops_lost, p99_ms, p99_ms_first_minute, p99_ms_last_minute, rss_start_mb, rss_end_mb, and the series.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realtime as rt  # noqa: E402  (benchmarks/realtime.py: the server, the load generator, the merge)


def per_minute(raws: list[dict], total: int, minutes: int) -> list[dict]:
    """Ops by the minute of their sending: how many, and the p99 of the latest receipt among all
    other clients of its board minus the send time (only ops every other client received)."""
    sends: dict[str, list] = {}
    for raw in raws:
        sends.update(raw["sends"])
    received = rt.collect_receipts(raws, sends)[0]
    start = min(st[0] for st in sends.values())
    buckets: list[list[float]] = [[] for _ in range(minutes)]
    counts = [0] * minutes
    for op_id, st in sends.items():
        minute = min(minutes - 1, int((st[0] - start) // 60000))
        counts[minute] += 1
        got = received.get(op_id)
        if st[2] == "acked" and got and got[0] >= total - 1:
            buckets[minute].append(got[1] - st[0])
    series = []
    for minute, latencies in enumerate(buckets):
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, math.ceil(len(latencies) * 0.99) - 1)] if latencies else None
        series.append({"minute": minute + 1, "ops_sent": counts[minute],
                       "p99_ms": None if p99 is None else round(p99, 1)})
    return series


def main() -> None:
    parser = argparse.ArgumentParser(description="Soak: the realtime load for minutes.")
    parser.add_argument("--participants", type=int, default=100, help="participants (guests) per board")
    parser.add_argument("--boards", type=int, default=1, help="workshops at once")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="Node processes of the load generator")
    parser.add_argument("--cursor-hz", type=float, default=10)
    parser.add_argument("--tick-ms", type=int, default=25)
    args = parser.parse_args()
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")
    if shutil.which("node") is None:
        sys.exit("Node.js is required (node not on PATH)")
    load = argparse.Namespace(participants=args.participants, seconds=args.minutes * 60, cursor_hz=args.cursor_hz,
                              fixed_cursor_rate=False, tick_ms=args.tick_ms, workers=args.workers, py_spy=None,
                              boards=args.boards, processes=0)
    rt.NICE = 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    rss: list[tuple[float, float]] = []  # (seconds since the server answered, RSS MB)
    done = threading.Event()

    def sample(server) -> None:
        started = time.monotonic()
        while not done.is_set() and server.poll() is None:
            try:
                rss.append((time.monotonic() - started, rt.status_kb(server.pid, "VmRSS") / 1024))
            except OSError:
                break
            done.wait(5)

    try:
        result = rt.bench_ours(load, workdir, extra_config={"reconnect": True, "recordCursors": False},
                               on_start=lambda server: threading.Thread(target=sample, args=(server,), daemon=True).start())
        done.set()
        raws = [json.loads(path.read_text()) for path in sorted(workdir.glob("raw-app-*.json"))]
        series = per_minute(raws, raws[0]["total"], args.minutes)
    finally:
        done.set()
        shutil.rmtree(workdir, ignore_errors=True)

    # RSS at the start of the load (after connecting) and at its end, and per minute
    load_rss = [mb for t, mb in rss]
    for entry in series:
        window = [mb for t, mb in rss if (entry["minute"] - 1) * 60 <= t - (rss[-1][0] - args.minutes * 60) < entry["minute"] * 60]
        entry["rss_mb"] = round(max(window), 1) if window else None
    print(f"\nSoak: {args.boards} board(s) x {args.participants} participants x 1 op/s + cursor {args.cursor_hz:g} Hz for {args.minutes} min "
          f"(clients reconnect as the browser does)")
    print("minute  ops sent  p99 ms  server RSS MB")
    for entry in series:
        print(f"{entry['minute']:>6}  {entry['ops_sent']:>8}  {rt.fmt(entry['p99_ms']):>6}  {rt.fmt(entry['rss_mb']):>13}")
    summary = {
        "boards": args.boards, "participants_per_board": args.participants,
        "participants": args.participants, "minutes": args.minutes,
        "disconnects": result["disconnects"], "reconnects": result["reconnects"],
        "ops_sent": result["ops_sent"], "ops_acked": result["ops_acked"], "ops_refused": result["ops_refused"],
        "ops_unanswered": result["ops_unanswered"], "ops_lost": result["ops_lost"], "lost": result["lost"],
        "leaked": result["leaked"], "refusals": result["refusals"],
        "worst_board_p99_ms": result["worst_board_p99_ms"],
        "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"], "max_ms": result["max_ms"],
        "p99_ms_first_minute": series[0]["p99_ms"], "p99_ms_last_minute": series[-1]["p99_ms"],
        "rss_start_mb": round(load_rss[0], 1) if load_rss else None,
        "rss_end_mb": round(load_rss[-1], 1) if load_rss else None,
        "server_cpu_percent": result["server_cpu_percent"], "server_cpu_pct": result["server_cpu_percent"], "others_cpu_percent": result["others_cpu_percent"],
        "calibration_ms": result["calibration_ms"], "cpu_model": rt.cpu_model(),
        "p99_ms_by_minute": [entry["p99_ms"] for entry in series],
        "rss_mb_by_minute": [entry["rss_mb"] for entry in series],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
