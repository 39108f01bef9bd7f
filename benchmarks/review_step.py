"""The review page's server time per answer, with the review's kept state (review._STATES) and without.

One step is what the page asks of the service for one answer: `answer` (the POST), then
`suggestions(limit=1)` and `progress` (the next page). On the demo discovery (about 200 pain points),
fresh databases, the same answers (yes to every third question) with the state kept and with it
computed afresh each time, in turns: `.venv/bin/python benchmarks/review_step.py --steps 20 --runs 2`.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(steps: int, keep: bool) -> list[float]:
    from workshop.db.engine import Database
    from workshop.db.migrate import upgrade
    from workshop.services import review
    from workshop.services.demo import load_demo
    url = f"sqlite:///{tempfile.mkdtemp()}/review-step.db"
    upgrade(url)
    db = Database(url)
    review._STATES.clear()
    kept = review._STATES_KEPT
    review._STATES_KEPT = kept if keep else 0
    try:
        with db.session() as session:
            discovery, _ = load_demo(session)
            shown = review.suggestions(session, discovery.id, limit=1)
            review.progress(session, discovery.id)
        times = []
        for step in range(steps):
            if not shown:
                break
            with db.session() as session:
                start = time.perf_counter()
                review.answer(session, discovery.id, shown[0].id, step % 3 == 0)
                shown = review.suggestions(session, discovery.id, limit=1)
                review.progress(session, discovery.id)
                times.append(time.perf_counter() - start)
        return times
    finally:
        review._STATES_KEPT = kept
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    run(2, True)  # the model and the modules loaded before either is timed
    print("run  state     steps  median s  mean s  max s")
    for i in range(args.runs):
        for keep in (False, True):
            t = run(args.steps, keep)
            print(f"{i + 1:>3}  {'kept' if keep else 'afresh':<8}  {len(t):>5}  {statistics.median(t):>8.3f}"
                  f"  {statistics.mean(t):>6.3f}  {max(t):>5.3f}")


if __name__ == "__main__":
    main()
