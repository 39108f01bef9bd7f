"""The ceiling of the guided review's question pool: a greedy oracle (issue 22; a measure, not a result).

    PYTHONPATH=. .venv/bin/python benchmarks/review_ceiling.py [--answers 40] [--fixtures a,b]
        [--modes pool,outside,both,yes] [--set NAME=VALUE ...] [--cache DIR]

Replays each fixture as benchmarks/review_replay.py does (the early teams imported once, copied for each
run; the simulated owner through services.review's interface: ``next_suggestion``, ``answer``; the
re-aggregation after each yes as shipped), but the question asked at each step is chosen by an oracle
that reads the labels:

* ``pool``: of the candidates the review itself offers (``aggregation.review.candidates`` as the service
  calls it, the answers applied), the one with the largest true ARI gain. What our pool allows with a
  perfect order.
* ``outside``: of the actions the issue's outside study gave its best-possible owner, the one with the
  largest true gain: merge two themes; or pull one true label's stickies out of a theme holding more than
  that label, into a theme of their own or into the theme holding most of that label's other stickies.
* ``both``: the better of the two at each step.
* ``yes``: the review's own order (the learnt order as shipped, RANKER), its questions the owner would
  refuse skipped without costing an answer: what a perfect guess of the yes alone would give.

The chosen change is put to the owner through the service (``questions.candidates`` is replaced for the
run by a function returning the oracle's choice first), so a yes is applied, pinned and re-aggregated as
any yes is. When no action left raises the ARI the oracle stops (its ARI stays). Printed per fixture
and mode: the ARI at 0 / 10 / 20 / 30 / 40 answers and the first answer at which it reaches 0.80.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import review as bench  # noqa: E402  (benchmarks/review.py)
import review_replay as replay  # noqa: E402

from workshop.aggregation import review as questions  # noqa: E402
from workshop.db.engine import Database  # noqa: E402
from workshop.services import review  # noqa: E402

CHECKPOINTS = (0, 10, 20, 30, 40)


def _gain(truth: list, theme_of: np.ndarray, base: float, rows: np.ndarray, target) -> float:
    after = theme_of.copy()
    after[rows] = target
    return adjusted_rand_score(truth, after) - base


def outside_actions(ids: list[str], theme_of: np.ndarray, labels: dict[str, str]) -> list[questions.Candidate]:
    """The outside study's actions: every merge of two themes, and every pull of one label's stickies
    out of a mixed theme (into a theme of their own, or into the theme holding most of that label)."""
    truth = np.array([labels[s] for s in ids])
    themes = np.unique(theme_of)
    members = {int(t): np.flatnonzero(theme_of == t) for t in themes}
    out = []
    for i, a in enumerate(themes):
        for b in themes[i + 1:]:
            big, small = (int(a), int(b)) if len(members[int(a)]) >= len(members[int(b)]) else (int(b), int(a))
            out.append(questions.Candidate("merge", [ids[j] for j in members[small]], [small], big,
                                           [ids[j] for j in members[big]], [], 1.0))
    for t, rows in members.items():
        present = np.unique(truth[rows])
        if len(present) < 2:
            continue
        for label in present:
            moving = rows[truth[rows] == label]
            rest = rows[truth[rows] != label]
            elsewhere = np.flatnonzero((truth == label) & (theme_of != t))
            left = [ids[j] for j in rest]
            kind = "split" if len(moving) >= 2 and len(rest) >= 2 else "move"
            out.append(questions.Candidate(kind, [ids[j] for j in moving], [t], None, left, left, 1.0))
            if len(elsewhere):
                holders, counts = np.unique(theme_of[elsewhere], return_counts=True)
                target = int(holders[np.argmax(counts)])
                out.append(questions.Candidate("move", [ids[j] for j in moving], [t], target,
                                               [ids[j] for j in members[target]], left, 1.0))
    return out


def oracle(mode: str, labels: dict[str, str], original):
    """A replacement for questions.candidates: the oracle's pick first (scores rewritten so that no title
    question comes before it), or nothing when no action raises the ARI."""

    def candidates(ids, theme_of, p, ranks, asked=frozenset(), new_themes=frozenset(), gone_themes=frozenset(),
                   answers=()):
        ids = [str(s) for s in ids]
        theme_of = np.asarray(theme_of, dtype=np.int64)
        pool: list = []
        if mode in ("pool", "both"):
            saved, questions.RANKER = questions.RANKER, None
            try:
                pool += original(ids, theme_of, p, ranks, asked, new_themes, gone_themes, answers)
            finally:
                questions.RANKER = saved
        if mode == "yes":  # the review's own order, its no's skipped: a perfect guess of the yes alone
            pool += original(ids, theme_of, p, ranks, asked, new_themes, gone_themes, answers)
        if mode in ("outside", "both"):
            pool += [c for c in outside_actions(ids, theme_of, labels) if c.key not in asked]
        truth = [labels[s] for s in ids]
        base = adjusted_rand_score(truth, theme_of)
        index = {s: i for i, s in enumerate(ids)}
        new_id = int(theme_of.max()) + 1
        scored = []
        for c in pool:
            rows = np.array([index[s] for s in c.moving], dtype=np.int64)
            scored.append((_gain(truth, theme_of, base, rows, new_id if c.target is None else c.target), c))
        if mode != "yes":
            scored.sort(key=lambda gc: (-gc[0], gc[1].kind, gc[1].key))
        else:
            scored = [gc for gc in scored if gc[0] > 1e-12]
        out = []
        for rank, (g, c) in enumerate(scored):
            if g <= 1e-12:
                break
            c.score = 1e6 - rank
            out.append(c)
        return out

    return candidates


def run(name: str, mode: str, answers: int) -> dict:
    path, labels, discovery_id = replay.template(name)
    work = replay.CACHE / f"{name}-ceiling.db"
    for stale in (Path(f"{work}-wal"), Path(f"{work}-shm")):  # a run stopped midway leaves its journal
        stale.unlink(missing_ok=True)
    shutil.copy(path, work)
    db = Database(f"sqlite:///{work}")
    original = questions.candidates
    questions.candidates = oracle(mode, labels, original)
    review_titles = review.TITLE_TOP
    review.TITLE_TOP = 0  # the oracle never asks a title (it moves nothing)
    try:
        with db.session() as session:
            frame = review.pain_stickies(session, discovery_id)
            history, kinds = [bench.ari(frame, labels)], []
            while len(history) <= answers:
                suggestion = review.next_suggestion(session, discovery_id)
                if suggestion is None:
                    break
                accepted = bench.owner_says_yes(frame, labels, suggestion.changes)
                review.answer(session, discovery_id, suggestion.id, accepted)
                kinds.append({"merge": "M", "move": "v", "split": "s"}.get(suggestion.kind, "?")
                             + ("+" if accepted else "-"))
                frame = review.pain_stickies(session, discovery_id)
                history.append(bench.ari(frame, labels))
    finally:
        questions.candidates = original
        review.TITLE_TOP = review_titles
        db.dispose()
    return {"history": history, "kinds": "".join(kinds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--fixtures", default=",".join(bench.DOMAINS))
    parser.add_argument("--modes", default="pool,outside,both")
    parser.add_argument("--cache", default=str(replay.CACHE), help="where the imported databases are kept")
    parser.add_argument("--set", action="append", default=[], help="a module constant of aggregation.review")
    args = parser.parse_args()
    for item in args.set:
        key, value = item.split("=", 1)
        setattr(questions, key, eval(value))
    replay.CACHE = Path(args.cache)
    results: dict = {}
    for mode in args.modes.split(","):
        for name in args.fixtures.split(","):
            started = time.perf_counter()
            r = run(name, mode, args.answers)
            h = r["history"]
            results.setdefault(mode, {})[name] = h
            first = next((i for i, v in enumerate(h) if v >= 0.80), None)
            print(f"{mode:8s} {name[:14]:14s} " + " ".join(f"{h[min(c, len(h) - 1)]:.3f}" for c in CHECKPOINTS)
                  + f"  first 0.80 at {first if first is not None else '> %d' % (len(h) - 1)}  {r['kinds']}"
                  + f"  {time.perf_counter() - started:.0f}s", flush=True)
    print("\n| oracle over | fixture | ARI at 0 / 10 / 20 / 30 / 40 answers | first >= 0.80 |")
    print("|---|---|---|---|")
    for mode, per in results.items():
        for name, h in per.items():
            first = next((i for i, v in enumerate(h) if v >= 0.80), None)
            print(f"| {mode} | {name} | {' / '.join(f'{h[min(c, len(h) - 1)]:.3f}' for c in CHECKPOINTS)} | "
                  f"{first if first is not None else '> %d' % (len(h) - 1)} |")
    print(json.dumps({m: {k: [round(x, 4) for x in v] for k, v in per.items()} for m, per in results.items()}))


if __name__ == "__main__":
    main()
