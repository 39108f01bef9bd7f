"""Micro-benchmark of BoardService.apply_batch: one tick's transaction, before and after (ADR 0008).

    .venv/bin/python benchmarks/apply_batch.py                 # SQLite file (WAL, synchronous=FULL) + PostgreSQL
    .venv/bin/python benchmarks/apply_batch.py --batches 300 --skip-postgres

"Before" is workshop/services/board.py as committed at --before-rev (default HEAD), loaded from git
into a throw-away module (workshop.services._board_before) in this process; "after" is the working
tree's. Both run in the same process against the same database, each on its own workshop (8 guests +
a facilitator, 300 stickies), in alternating rounds so machine noise hits both alike.

A batch is what a tick at ~300 participants x 1 op/s holds: 8 submissions of 1 op each.
  deepdive: 3 sticky.create, 3 moves (sticky.update x/y), 2 text edits
  vote:     2 moves, 2 text edits, 4 votes (each of 4 guests alternates vote.add / vote.remove)
Every op must be accepted by both implementations (checked).

Also measured: the floor of one durable write transaction on the same engine (UPDATE of the
workshop row + COMMIT: the fsync that "acknowledged means on disk" requires).
`--check 500` replays random batches through both implementations (SQLite) and compares results,
records and final rows instead of timing.
PostgreSQL: 127.0.0.1:5432, trust auth; a database storming_bench_<random> is created from
`postgres` and dropped at the end (--pg-admin-url to change).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text

from workshop.db.engine import Database
from workshop.db.migrate import upgrade
from workshop.db.models import Discovery, Participant, Sticky, User, Workshop
from workshop.domain.board import Actor

GUESTS = 8
STICKIES = 300


def load_before(rev: str) -> types.ModuleType:
    source = subprocess.run(["git", "show", f"{rev}:workshop/services/board.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    name = "workshop.services._board_before"
    module = types.ModuleType(name)
    module.__package__ = "workshop.services"
    module.__file__ = f"<git {rev}:workshop/services/board.py>"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 (our own file from git)
    return module


def seed(db: Database, label: str) -> dict:
    """A workshop in the deepdive phase with GUESTS guests, a facilitator and STICKIES stickies."""
    with db.session() as session:
        user = User(email=f"{label}-{secrets.token_hex(4)}@example.com", name="Fran", password_hash="x",
                    role="facilitator")
        session.add(user)
        session.flush()
        discovery = Discovery(name=f"bench {label} {secrets.token_hex(4)}", start_label="start", end_label="end",
                              stages=[], created_by_id=user.id)
        session.add(discovery)
        session.flush()
        workshop = Workshop(discovery_id=discovery.id, team="Bench", template="discovery", phase="deepdive",
                            join_token=secrets.token_hex(16), vote_budget=50, facilitator_id=user.id)
        session.add(workshop)
        session.flush()
        guests = [Participant(workshop_id=workshop.id, name=f"Guest {i}", secret_hash=secrets.token_hex(8))
                  for i in range(GUESTS)]
        session.add_all(guests)
        session.add(Participant(workshop_id=workshop.id, name="Fran", secret_hash="f", is_facilitator=True))
        session.flush()
        kinds = ("note", "pain", "opportunity")
        stickies = []
        for i in range(STICKIES):
            guest = guests[i % GUESTS]
            stickies.append(Sticky(id=uuid.uuid4().hex, workshop_id=workshop.id, kind=kinds[i % 3],
                                   text=f"sticky {i}", x=(i % 100) / 100, y=(i % 7) / 7, author_id=guest.id,
                                   author_name=guest.name))
        session.add_all(stickies)
        session.commit()
        own = {g.id: [s.id for s in stickies if s.author_id == g.id] for g in guests}
        votable = {g.id: [s.id for s in stickies if s.author_id == g.id and s.kind != "note"] for g in guests}
        return {"workshop_id": workshop.id, "guests": [Actor(g.id, g.name, False) for g in guests],
                "own": own, "votable": votable, "voted": {}}


def make_batch(service_module, board: dict, scenario: str, iteration: int) -> list:
    submissions = []
    for index, actor in enumerate(board["guests"]):
        mine = board["own"][actor.participant_id]
        target = mine[(iteration * 7 + index) % len(mine)]
        op_id = uuid.uuid4().hex
        if scenario == "deepdive" and index < 3:
            op = {"id": op_id, "type": "sticky.create", "sticky": {
                "id": uuid.uuid4().hex, "kind": ("note", "pain", "opportunity")[index], "text": "a new sticky",
                "x": 0.31, "y": 0.62}}
        elif (scenario == "deepdive" and index < 6) or (scenario == "vote" and index < 2):
            op = {"id": op_id, "type": "sticky.update", "sticky_id": target,
                  "changes": {"x": (iteration % 97) / 97, "y": (index + 1) / 9}}
        elif scenario == "deepdive" or index < 4:
            op = {"id": op_id, "type": "sticky.update", "sticky_id": target,
                  "changes": {"text": f"edited by {actor.name} at {iteration}"}}
        else:  # vote: alternate add and remove on one votable sticky of one's own
            sticky_id = board["votable"][actor.participant_id][0]
            voted = board["voted"].get(actor.participant_id, False)
            board["voted"][actor.participant_id] = not voted
            op = {"id": op_id, "type": "vote.remove" if voted else "vote.add", "sticky_id": sticky_id}
        submissions.append(service_module.Submission(actor, [op]))
    return submissions


def set_phase(db: Database, workshop_id: int, phase: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE workshop SET phase = :phase WHERE id = :id"), {"phase": phase, "id": workshop_id})


def floor_transaction(db: Database, workshop_id: int, n: int) -> dict:
    """One UPDATE of the workshop row and a COMMIT, on the same engine: the durable-commit floor.

    (It must change the row: SQLite writes nothing, so syncs nothing, for an UPDATE to the same value.)"""
    execute, commit = [], []
    for _ in range(n):
        with db.engine.connect() as connection:
            t0 = time.perf_counter()
            connection.execute(text("UPDATE workshop SET seq = seq + 1 WHERE id = :id"), {"id": workshop_id})
            t1 = time.perf_counter()
            connection.commit()
            t2 = time.perf_counter()
        execute.append((t1 - t0) * 1000)
        commit.append((t2 - t1) * 1000)
    return {"update_ms_median": round(statistics.median(execute), 3),
            "commit_ms_median": round(statistics.median(commit), 3),
            "commit_ms_p90": round(statistics.quantiles(commit, n=10)[-1], 3)}


def summarize(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 3), "p90_ms": round(statistics.quantiles(times, n=10)[-1], 3),
            "mean_ms": round(statistics.fmean(times), 3), "n": len(times)}


def bench_backend(label: str, url: str, before, after, batches: int, rounds: int) -> dict:
    upgrade(url)
    db = Database(url)
    try:
        impls = {"before": before, "after": after}
        boards = {name: seed(db, f"{label}-{name}") for name in impls}
        services = {name: module.BoardService(db) for name, module in impls.items()}
        times = {(name, scenario): [] for name in impls for scenario in ("deepdive", "vote")}
        refused = {name: 0 for name in impls}
        iteration = {name: 0 for name in impls}
        per_round = max(1, batches // rounds)
        for round_no in range(rounds):
            order = list(impls) if round_no % 2 == 0 else list(reversed(impls))
            for scenario in ("deepdive", "vote"):
                for name in order:
                    set_phase(db, boards[name]["workshop_id"], scenario)
                    for _ in range(per_round):
                        submissions = make_batch(impls[name], boards[name], scenario, iteration[name])
                        iteration[name] += 1
                        t0 = time.perf_counter()
                        services[name].apply_batch(boards[name]["workshop_id"], submissions)
                        times[(name, scenario)].append((time.perf_counter() - t0) * 1000)
                        refused[name] += sum(1 for s in submissions for r in s.results if not r["ok"])
        result = {"backend": label, "refused": refused,
                  "floor": floor_transaction(db, boards["after"]["workshop_id"], 200)}
        for (name, scenario), values in times.items():
            result[f"{name}_{scenario}"] = summarize(values)
        for scenario in ("deepdive", "vote"):
            result[f"speedup_{scenario}"] = round(result[f"before_{scenario}"]["median_ms"]
                                                  / result[f"after_{scenario}"]["median_ms"], 2)
        return result
    finally:
        db.dispose()


# --- --check: the same random batches through both implementations, on two identical databases ----

def _seed_check(db: Database, phase: str) -> list[tuple[int, int, str]]:
    """Two workshops (vote budget 3), 4 seats each (the first a facilitator), 12 stickies over both."""
    with db.session() as session:
        user = User(email="check@example.com", name="F", password_hash="x", role="facilitator")
        session.add(user)
        session.flush()
        discovery = Discovery(name="check", start_label="a", end_label="b", stages=[], created_by_id=user.id)
        session.add(discovery)
        session.flush()
        seats = []
        for k in range(2):
            workshop = Workshop(discovery_id=discovery.id, team="T", template="discovery", phase=phase,
                                join_token=f"check{k}", vote_budget=3)
            session.add(workshop)
            session.flush()
            for i in range(4):
                seat = Participant(workshop_id=workshop.id, name=f"g{k}{i}", secret_hash="h", is_facilitator=i == 0)
                session.add(seat)
                session.flush()
                seats.append((seat.id, workshop.id, seat.name))
        for i in range(12):
            pid, wid, name = seats[i % len(seats)]
            session.add(Sticky(id=f"s{i}", workshop_id=wid, kind=("note", "pain", "opportunity")[i % 3], text="t",
                               author_id=pid, author_name=name))
        session.commit()
        return seats


def _random_op(rng, sticky_ids: list, sent: list, voting: bool) -> object:
    op_id = uuid.uuid4().hex[:12]
    if voting:
        kind = rng.choice(["vote.add"] * 5 + ["vote.remove"] * 4 + ["sticky.delete", "sticky.create", "vote.budget",
                                                                     "private.set", "private.reveal"])
    else:
        kind = rng.choice(["sticky.create"] * 4 + ["sticky.update"] * 4 + [
            "sticky.delete", "vote.add", "vote.add", "vote.remove", "vote.remove", "phase.set", "private.set",
            "private.reveal", "board.lock", "timer.start", "timer.stop", "vote.budget", "repeat", "invalid"])
    if kind == "repeat" and sent:
        return dict(rng.choice(sent))
    if kind == "invalid":
        return rng.choice([{"id": op_id, "type": "nope"}, "x", {"type": "sticky.delete"},
                           {"id": op_id, "type": "sticky.update", "sticky_id": "s1", "changes": {"x": 3}}])
    sticky_id = rng.choice(sticky_ids[:12] + sticky_ids[-3:] if voting else sticky_ids)
    if kind == "sticky.create":
        new_id = "n" + uuid.uuid4().hex[:8] if rng.random() < 0.9 else rng.choice(sticky_ids)
        sticky_ids.append(new_id)
        op = {"id": op_id, "type": kind, "sticky": {
            "id": new_id, "kind": rng.choice(["pain", "opportunity"] if voting else
                                             ["note", "pain", "opportunity", "event", "time"]),
            "text": "x", "x": 0.1, "y": 0.2, "link_to": None if voting else rng.choice([None, None, sticky_id])}}
    elif kind == "sticky.update":
        op = {"id": op_id, "type": kind, "sticky_id": sticky_id, "changes": rng.choice([
            {"x": rng.random()}, {"text": f"e{rng.randint(0, 99)}"}, {"link_to": rng.choice(sticky_ids)},
            {"duration_minutes": 3}, {"y": 0.5, "text": "z"}])}
    elif kind in ("sticky.delete", "vote.add", "vote.remove"):
        op = {"id": op_id, "type": kind, "sticky_id": sticky_id}
    elif kind == "phase.set":
        op = {"id": op_id, "type": kind, "phase": rng.choice(["deepdive"] + ["vote"] * 4 + ["pain", "wrapup", "x"])}
    elif kind in ("private.set", "board.lock"):
        op = {"id": op_id, "type": kind, ("on" if kind == "private.set" else "locked"): rng.random() < 0.5}
    elif kind == "timer.start":
        op = {"id": op_id, "type": kind, "seconds": 60}
    elif kind == "vote.budget":
        op = {"id": op_id, "type": kind, "budget": rng.randint(2, 6) if voting else rng.randint(0, 5)}
    else:
        op = {"id": op_id, "type": kind}
    sent.append(op)
    return op


def _without_clock(value):
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k not in ("at", "timer_ends_at")}
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def _rows(db: Database) -> dict:
    with db.engine.connect() as connection:
        def rows(sql):
            return [tuple(row) for row in connection.execute(text(sql))]
        operations = [row[:-1] + (_without_clock(json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]),)
                      for row in rows("SELECT workshop_id, seq, op_id, participant_id, type, private_to, result "
                                      "FROM operation ORDER BY workshop_id, seq")]
        return {
            "workshop": rows("SELECT id, status, phase, private_writing, locked, vote_budget, timer_seconds, seq "
                             "FROM workshop ORDER BY id"),
            "sticky": rows("SELECT id, workshop_id, kind, text, x, y, duration_minutes, link_to, author_id, "
                           "author_name, private, deleted, version FROM sticky ORDER BY id"),
            "vote": rows("SELECT workshop_id, sticky_id, participant_id, count(*) FROM vote "
                         "GROUP BY workshop_id, sticky_id, participant_id ORDER BY 1, 2, 3"),
            "operation": operations,
        }


def check(before, after, batches: int, seed: int) -> None:
    """Random batches (every op type, repeats, invalid ops, unknown senders, demotions between ticks)
    through both implementations: the same results, records (clock fields aside) and final rows."""
    import random
    for voting in (False, True):
        rng = random.Random(seed + voting)
        with tempfile.TemporaryDirectory(prefix="apply-batch-check-") as workdir:
            dbs = []
            for name in ("before", "after"):
                url = f"sqlite:///{os.path.join(workdir, name + '.db')}"
                upgrade(url)
                dbs.append(Database(url))
            seats = [_seed_check(db, "vote" if voting else "deepdive") for db in dbs]
            assert seats[0] == seats[1]
            seats = seats[0]
            services = [before.BoardService(dbs[0]), after.BoardService(dbs[1])]
            sticky_ids, sent = [f"s{i}" for i in range(12)], []
            for _ in range(batches):
                workshop_id = rng.choice(seats)[1]
                spec = []
                for _ in range(rng.randint(1, 6)):
                    pid, _, name = rng.choice(seats + [(9999, workshop_id, "ghost")])
                    spec.append((Actor(pid, name, rng.random() < 0.3),
                                 [_random_op(rng, sticky_ids, sent, voting) for _ in range(rng.randint(1, 4))]))
                if rng.random() < 0.05:  # a seat promoted or demoted between two ticks
                    pid, flag = rng.choice(seats)[0], rng.random() < 0.5
                    for db in dbs:
                        with db.engine.begin() as connection:
                            connection.execute(text("UPDATE participant SET is_facilitator = :f WHERE id = :p"),
                                               {"f": flag, "p": pid})
                outcomes = []
                for service, module in zip(services, (before, after)):
                    submissions = [module.Submission(actor, json.loads(json.dumps(raws))) for actor, raws in spec]
                    records = service.apply_batch(workshop_id, submissions)
                    outcomes.append((_without_clock(records), [s.results for s in submissions]))
                assert outcomes[0] == outcomes[1], f"results differ: {outcomes}"
            rows = [_rows(db) for db in dbs]
            for table in rows[0]:
                assert rows[0][table] == rows[1][table], f"table {table} differs"
            types_applied = sorted({row[4] for row in rows[0]["operation"]})
            print(f"check ({'vote phase' if voting else 'mixed'}): {batches} batches, "
                  f"{len(rows[0]['operation'])} ops applied ({', '.join(types_applied)}), identical")
            for db in dbs:
                db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=400, help="batches per implementation and scenario")
    parser.add_argument("--rounds", type=int, default=8, help="alternating rounds the batches are split into")
    parser.add_argument("--before-rev", default="HEAD")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--check", type=int, metavar="BATCHES",
                        help="instead of timing: replay BATCHES random batches through both and compare")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    before = load_before(args.before_rev)
    after = importlib.import_module("workshop.services.board")
    if args.check:
        check(before, after, args.check, args.seed)
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="apply-batch-") as workdir:
        results.append(bench_backend("sqlite", f"sqlite:///{os.path.join(workdir, 'bench.db')}", before, after,
                                     args.batches, args.rounds))
    if not args.skip_postgres:
        name = "storming_bench_" + secrets.token_hex(4)
        admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + name
            results.append(bench_backend("postgresql", url, before, after, args.batches, args.rounds))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    print(f"apply_batch, 8 submissions x 1 op, {args.batches} batches per implementation and scenario, "
          f"before = git {args.before_rev}, load1 {os.getloadavg()[0]:.2f}")
    print(f"{'backend':<11} {'scenario':<9} {'before med':>10} {'p90':>7} {'after med':>10} {'p90':>7} {'speedup':>8}"
          f" {'floor: commit med':>18}")
    for result in results:
        for scenario in ("deepdive", "vote"):
            b, a = result[f"before_{scenario}"], result[f"after_{scenario}"]
            print(f"{result['backend']:<11} {scenario:<9} {b['median_ms']:>10.2f} {b['p90_ms']:>7.2f} "
                  f"{a['median_ms']:>10.2f} {a['p90_ms']:>7.2f} {result[f'speedup_{scenario}']:>7.2f}x"
                  f" {result['floor']['commit_ms_median']:>18.2f}")
        if any(result["refused"].values()):
            print(f"  WARNING {result['backend']}: refused ops {result['refused']} (every op should be accepted)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
