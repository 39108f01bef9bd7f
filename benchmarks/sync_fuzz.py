"""The seeded sync fuzz (tests/sync_fuzz.py) over many seeds: `make test` runs six; this runs as
many as asked, with longer runs and harsher networks, and prints one JSON line.

    .venv/bin/python benchmarks/sync_fuzz.py --seeds 200            # seeds 1000..1199
    .venv/bin/python benchmarks/sync_fuzz.py --seeds 50 --steps 400 --drop-rate 0.1 --max-delay 10

A failing seed is printed with its divergence; re-run it alone with --first SEED --seeds 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import sync_fuzz  # noqa: E402
from tests.test_sync_fuzz import room  # noqa: E402
from workshop.db.engine import Database  # noqa: E402
from workshop.db.migrate import upgrade  # noqa: E402
from workshop.services.board import BoardService  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--drop-rate", type=float, default=0.05)
    parser.add_argument("--max-delay", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/fuzz.db"
        upgrade(url)
        db = Database(url)
        service = BoardService(db)
        started = time.monotonic()
        failures, ops, drops = [], 0, 0
        for seed in range(args.first, args.first + args.seeds):
            workshop_id, facilitator, guests = room(db, seed)
            try:
                figures = sync_fuzz.run(seed, service, workshop_id, facilitator, guests, steps=args.steps,
                                        drop_rate=args.drop_rate, max_delay=args.max_delay)
            except sync_fuzz.Divergence as error:
                failures.append(seed)
                print(f"seed {seed}: {error}", file=sys.stderr)
                continue
            ops += figures["ops_sent"]
            drops += figures["drops"]
        db.dispose()
    print(json.dumps({"seeds": args.seeds, "first": args.first, "steps": args.steps, "drop_rate": args.drop_rate,
                      "max_delay": args.max_delay, "failed_seeds": failures, "ops_sent": ops, "drops": drops,
                      "seconds": round(time.monotonic() - started, 1)}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
