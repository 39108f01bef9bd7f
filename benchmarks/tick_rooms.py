"""Micro-benchmark of one tick with many busy boards (issue 25, ADR 0020): the due rooms committed
one transaction per room (before) or all in one transaction (after, BoardService.apply_batches).

    .venv/bin/python benchmarks/tick_rooms.py --rooms 12 --ticks 40 --rounds 8   # SQLite file + PostgreSQL

At 20 boards x 25 participants x 1 op/s and a 25 ms tick, a tick holds about 12 ops spread over
about 12 rooms. Each tick here: R workshops, one sticky.create in each, by its facilitator. Both
ways run in the same process on the same database (each on its own workshops), in alternating
rounds so that a busy machine's noise hits both alike. Reported: wall time per tick (the gevent
hub cannot run anything else while SQLite commits: its calls block), per room and per op.
PostgreSQL: BENCH_PG_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres), a database
storming_bench_<random> created and dropped; --skip-postgres to leave it out.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realtime as rt  # noqa: E402  (setup_instance, the PostgreSQL helpers)


INSTANCES: list[str] = []  # removed at the end


def seeded(rooms: int, database_url: str | None) -> tuple:
    """2 x `rooms` workshops (half for each way) in the deepdive phase; (service, facilitators by workshop)."""
    instance = tempfile.mkdtemp(prefix="bench-tick-rooms-")
    INSTANCES.append(instance)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    rt.setup_instance(instance, 1, 2 * rooms)
    from sqlmodel import select

    from workshop import create_app
    from workshop.database import get_db
    from workshop.db.models import Participant
    from workshop.domain.board import Actor
    from workshop.services.board import BoardService
    db = get_db(create_app())
    with db.session() as session:
        facs = {p.workshop_id: Actor(p.id, p.name, True) for p in session.exec(
            select(Participant).where(Participant.is_facilitator == True))}  # noqa: E712
    return BoardService(db), dict(sorted(facs.items()))


def run(service, facs: dict, rooms: int, ticks: int, rounds: int) -> dict:
    from workshop.services.board import Submission

    ids = list(facs)
    ways = {"per_room": ids[:rooms], "one_transaction": ids[rooms:]}
    times: dict[str, list[float]] = {way: [] for way in ways}

    def one_tick(way: str, n: int) -> None:
        batches = {w: [Submission(facs[w], [{"id": str(uuid.uuid4()), "type": "sticky.create", "sticky": {
            "id": str(uuid.uuid4()), "kind": "note", "text": f"tick {n}", "x": 0.5, "y": 0.5}}])] for w in ways[way]}
        start = time.perf_counter()
        if way == "per_room":
            for w, subs in batches.items():
                service.apply_batch(w, subs)
        else:
            service.apply_batches(batches)
        times[way].append(time.perf_counter() - start)
        assert all(s.results[0]["ok"] for subs in batches.values() for s in subs), batches

    for r in range(rounds):
        for way in (ways if r % 2 == 0 else reversed(list(ways))):
            for n in range(ticks):
                one_tick(way, n)
    out = {}
    for way, values in times.items():
        values.sort()
        out[way] = {"ticks": len(values), "p50_ms": round(statistics.median(values) * 1000, 2),
                    "p90_ms": round(values[int(len(values) * 0.9)] * 1000, 2),
                    "p99_ms": round(values[min(len(values) - 1, int(len(values) * 0.99))] * 1000, 2),
                    "mean_ms": round(statistics.fmean(values) * 1000, 2),
                    "mean_ms_per_room": round(statistics.fmean(values) * 1000 / rooms, 3)}
    out["speedup_mean"] = round(out["per_room"]["mean_ms"] / out["one_transaction"]["mean_ms"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=12, help="rooms with an op in one tick")
    parser.add_argument("--ticks", type=int, default=40, help="ticks per way per round")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench")
    results = {"rooms": args.rooms, "ticks_per_way": args.ticks * args.rounds, "cpu_model": rt.cpu_model(),
               "loadavg_before": Path("/proc/loadavg").read_text().split()[:3],
               "calibration_ms_before": rt.calibrate()}
    try:
        service, facs = seeded(args.rooms, None)
        results["sqlite"] = run(service, facs, args.rooms, args.ticks, args.rounds)
        service.db.dispose()
        if not args.skip_postgres:
            name, url = rt.create_pg_database()
            try:
                service, facs = seeded(args.rooms, url)
                results["postgresql"] = run(service, facs, args.rooms, args.ticks, args.rounds)
                service.db.dispose()
            finally:
                rt.drop_pg_database(name)
    finally:
        for instance in INSTANCES:
            shutil.rmtree(instance, ignore_errors=True)
    results["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    results["calibration_ms_after"] = rt.calibrate()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
