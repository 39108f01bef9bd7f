"""Soak: the real-time load of benchmarks/realtime.py held for minutes, to see what only time shows.

    .venv/bin/python benchmarks/soak.py --participants 100 --minutes 10
    (or: make bench-soak PARTICIPANTS=100 MINUTES=10)
    .venv/bin/python benchmarks/soak.py --boards 20 --participants 10 --minutes 10
    (or: make bench-soak BOARDS=20 PARTICIPANTS=10 MINUTES=10: N participants on each of B boards)
    .venv/bin/python benchmarks/soak.py --boards 20 --participants 10 --minutes 10 --processes 2
    (or: make bench-soak BOARDS=20 PARTICIPANTS=10 MINUTES=10 PROCESSES=2)

The 20-second realtime benchmark cannot see a connection that drops after 45 s (issue 12: every
connection did), a queue or a cache that grows, or a latency that creeps. This runs the same load
(N socket.io-client participants, 1 op/s each, pointers at 10 Hz, the facilitator switching phases)
against our server for `--minutes`, with clients that reconnect as the browser does (each reconnect
counted), and reports per minute: ops sent, p99 send-to-all latency, ops lost and the server's RSS.

`--processes P` (P >= 1) runs the server as `benchmarks/realtime.py --processes P` does (its own
code): P gunicorn processes on one address, a fresh PostgreSQL database, Redis as the message queue.
The memory is then that of every server process (each gunicorn master with its worker), summed and
per process. Without it (default 0): `python app.py` on SQLite, as before.

Goal (issue 12): 0 disconnects, 0 lost, no growth of p99 or memory over time.
Ends by printing one JSON line: participants, minutes, processes, disconnects, reconnects, ops_sent,
ops_acked, ops_lost, p99_ms, p99_ms_first_minute, p99_ms_last_minute, rss_start_mb, rss_end_mb (and
per process), and the series.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realtime as rt  # noqa: E402  (benchmarks/realtime.py: the server, the load generator, the merge)


def per_minute(raws: list[dict], total: int, minutes: int) -> list[dict]:
    """Ops by the minute of their sending: how many, the p99 of the latest receipt among all other
    clients of its board minus the send time (only ops every other client received), and how many
    acknowledged ops some other client of its board never received (lost, as realtime.py counts)."""
    sends: dict[str, list] = {}
    for raw in raws:
        sends.update(raw["sends"])
    received = rt.collect_receipts(raws, sends)[0]
    start = min(st[0] for st in sends.values())
    buckets: list[list[float]] = [[] for _ in range(minutes)]
    counts = [0] * minutes
    lost = [0] * minutes
    for op_id, st in sends.items():
        minute = min(minutes - 1, int((st[0] - start) // 60000))
        counts[minute] += 1
        got = received.get(op_id)
        if st[2] == "acked" and got and got[0] >= total - 1:
            buckets[minute].append(got[1] - st[0])
        elif st[2] == "acked":
            lost[minute] += 1
    series = []
    for minute, latencies in enumerate(buckets):
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, math.ceil(len(latencies) * 0.99) - 1)] if latencies else None
        series.append({"minute": minute + 1, "ops_sent": counts[minute],
                       "p99_ms": None if p99 is None else round(p99, 1), "lost": lost[minute]})
    return series


def gunicorn_masters() -> list[int]:
    """The gunicorn masters realtime.bench_ours started for this run: this process's children running
    gunicorn. on_start comes after all P of them answer and before the load generator starts (the
    setup child has exited), so nothing else of this run, and nothing of other runs, is among them."""
    me, out = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == me and b"gunicorn" in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description="Soak: the realtime load for minutes.")
    parser.add_argument("--participants", type=int, default=100, help="participants (guests) per board")
    parser.add_argument("--boards", type=int, default=1, help="workshops at once")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="Node processes of the load generator")
    parser.add_argument("--processes", type=int, default=0,
                        help="0: python app.py on SQLite (as before); P >= 1: P gunicorn processes on one "
                             "address, PostgreSQL and Redis, as benchmarks/realtime.py --processes P")
    parser.add_argument("--cursor-hz", type=float, default=10)
    parser.add_argument("--tick-ms", type=int, default=25)
    args = parser.parse_args()
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")
    if args.processes < 0:
        parser.error("--processes must be 0 or more")
    if shutil.which("node") is None:
        sys.exit("Node.js is required (node not on PATH)")
    load = argparse.Namespace(participants=args.participants, seconds=args.minutes * 60, cursor_hz=args.cursor_hz,
                              fixed_cursor_rate=False, tick_ms=args.tick_ms, workers=args.workers, py_spy=None,
                              boards=args.boards, processes=args.processes)
    rt.NICE = 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    # (seconds since the server answered, RSS MB of all server processes, RSS MB of each)
    rss: list[tuple[float, float, list[float]]] = []
    done = threading.Event()

    def sample(server) -> None:
        # one `python app.py`; or P gunicorn processes, each its master and its worker (the tree is
        # read again each time: a worker the master replaced is counted)
        masters = gunicorn_masters() if args.processes else [server.pid]
        if args.processes and (len(masters) != args.processes or server.pid not in masters):
            raise RuntimeError(f"expected {args.processes} gunicorn processes, found {masters}")
        started = time.monotonic()

        def loop() -> None:
            while not done.is_set() and server.poll() is None:
                try:
                    if args.processes:
                        each = [rt.status_kb_of(rt.tree_pids([pid]), "VmRSS") / 1024 for pid in masters]
                    else:
                        each = [rt.status_kb(server.pid, "VmRSS") / 1024]
                except OSError:
                    break
                rss.append((time.monotonic() - started, sum(each), each))
                done.wait(5)

        threading.Thread(target=loop, daemon=True).start()

    try:
        result = rt.bench_ours(load, workdir, extra_config={"reconnect": True, "recordCursors": False},
                               on_start=sample)
        done.set()
        raws = [json.loads(path.read_text()) for path in sorted(workdir.glob("raw-app-*.json"))]
        series = per_minute(raws, raws[0]["total"], args.minutes)
    finally:
        done.set()
        shutil.rmtree(workdir, ignore_errors=True)

    # RSS at the start of the load (after connecting) and at its end, and per minute (each minute's
    # peak: of the sum, and of each process)
    load_rss = [mb for t, mb, each in rss]
    for entry in series:
        window = [(mb, each) for t, mb, each in rss
                  if (entry["minute"] - 1) * 60 <= t - (rss[-1][0] - args.minutes * 60) < entry["minute"] * 60]
        entry["rss_mb"] = round(max(mb for mb, _ in window), 1) if window else None
        entry["rss_mb_by_process"] = [round(max(each[i] for _, each in window), 1)
                                      for i in range(len(window[0][1]))] if window else None
    server = (f"{args.processes} gunicorn process(es) on PostgreSQL + Redis" if args.processes
              else "python app.py on SQLite")
    print(f"\nSoak: {args.boards} board(s) x {args.participants} participants x 1 op/s + cursor {args.cursor_hz:g} Hz for {args.minutes} min "
          f"(clients reconnect as the browser does), server {server}")
    print("minute  ops sent  p99 ms  lost  server RSS MB" + ("  RSS MB per process" if args.processes else ""))
    for entry in series:
        line = f"{entry['minute']:>6}  {entry['ops_sent']:>8}  {rt.fmt(entry['p99_ms']):>6}  {entry['lost']:>4}  {rt.fmt(entry['rss_mb']):>13}"
        if args.processes:
            line += "  " + (" / ".join(str(mb) for mb in entry["rss_mb_by_process"]) if entry["rss_mb_by_process"] else "-")
        print(line)
    print(f"disconnects {result['disconnects']}, reconnects {result['reconnects']}, lost {result['lost']}, "
          f"leaked {result['leaked']} (over the whole soak)")
    summary = {
        "boards": args.boards, "participants_per_board": args.participants, "processes": args.processes,
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
        "rss_start_mb_by_process": [round(mb, 1) for mb in rss[0][2]] if rss else None,
        "rss_end_mb_by_process": [round(mb, 1) for mb in rss[-1][2]] if rss else None,
        "server_cpu_percent": result["server_cpu_percent"], "server_cpu_pct": result["server_cpu_percent"],
        "server_cpu_pct_by_process": result["server_cpu_percent_by_process"],
        "others_cpu_percent": result["others_cpu_percent"],
        "calibration_ms": result["calibration_ms"], "cpu_model": rt.cpu_model(),
        "p99_ms_by_minute": [entry["p99_ms"] for entry in series],
        "rss_mb_by_minute": [entry["rss_mb"] for entry in series],
        "rss_mb_by_minute_by_process": [entry["rss_mb_by_process"] for entry in series],
        "lost_by_minute": [entry["lost"] for entry in series],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
