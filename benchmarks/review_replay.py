"""A faster replay of `make bench-review`'s review half, for trying question orders (not a result).

    PYTHONPATH=. .venv/bin/python benchmarks/review_replay.py [--answers 40] [--set NAME=VALUE ...]
        [--record states.pkl] [--fixtures a,b]

The same as benchmarks/review.py's ``run_review`` (a fresh database per fixture, every team but the
last imported, the simulated owner through services.review's interface), except that:
the imported database is made once per fixture and copied for every run, and the similarity matrix of
a discovery's pain points is memoised (its texts do not change during a review); everything else
(re-aggregation after a yes, the backlog's ranks, title questions) runs as shipped. ``--set`` changes a
module constant of workshop.aggregation.review for the run (e.g. ``--set MERGE_FACTOR=0.5``);
``--record`` keeps the inputs of every ``candidates`` call (for offline analysis); ``--cache DIR`` keeps
the imported databases and the run's copy there (default /tmp/review_replay: two replays running at once
need two directories, or they answer into one database); ``--by-worth`` asks
by worth alone (no learnt order); ``--held-out STATES`` replays each fixture with the learnt order
fitted on the other three fixtures' question pools only (benchmarks/review_fit.py), the figure
docs/benchmarks.md reports as held out.
The figures this prints are for iteration only; the reported ones come from benchmarks/review.py.
"""
from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import review as bench  # noqa: E402  (benchmarks/review.py)

from workshop.aggregation import review as questions  # noqa: E402
from workshop.db.engine import Database  # noqa: E402
from workshop.services import review  # noqa: E402

CACHE = Path("/tmp/review_replay")
_SIM: dict[tuple, np.ndarray] = {}
_original_similarity = review._similarity


def _memo_similarity(session, texts):
    key = tuple(texts)
    if key not in _SIM:
        _SIM[key] = _original_similarity(session, texts)
    return _SIM[key]


review._similarity = _memo_similarity


def template(name: str) -> tuple[Path, dict, int]:
    """The fixture's early teams imported once (and aggregated, embeddings stored)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}.db"
    meta = CACHE / f"{name}.json"
    if not path.exists() or not meta.exists():
        if path.exists():
            path.unlink()
        df, stages = bench.load(name)
        from workshop.db.migrate import upgrade
        upgrade(f"sqlite:///{path}")
        db = Database(f"sqlite:///{path}")
        teams = list(dict.fromkeys(df["team"]))[:-1]
        with db.session() as session:
            discovery_id = bench.import_teams(session, df, teams, name, stages)
            labels = bench.labels_of(session, discovery_id, df)
            review.next_suggestion(session, discovery_id)
        db.dispose()
        meta.write_text(json.dumps({"labels": labels, "discovery_id": discovery_id}))
    data = json.loads(meta.read_text())
    return path, data["labels"], data["discovery_id"]


def run(name: str, answers: int, record: list | None = None, ranker: dict | None | str = "shipped") -> dict:
    path, labels, discovery_id = template(name)
    work = CACHE / f"{name}-run.db"
    shutil.copy(path, work)
    db = Database(f"sqlite:///{work}")
    original = questions.candidates
    calls: list = []

    def recording(ids, theme_of, p, ranks, asked=frozenset(), new_themes=frozenset(), gone_themes=frozenset(),
                  answers=()):
        calls.append((list(ids), np.asarray(theme_of).copy(), p.copy(), dict(ranks), set(asked),
                      set(new_themes), set(gone_themes)))
        return original(ids, theme_of, p, ranks, asked, new_themes, gone_themes, answers)

    if record is not None:
        questions.candidates = recording
    saved = questions.RANKER
    if ranker != "shipped":
        questions.RANKER = ranker
    try:
        with db.session() as session:
            frame = review.pain_stickies(session, discovery_id)
            history, kinds, yes, slowest = [bench.ari(frame, labels)], [], 0, 0.0
            while len(history) <= answers:
                start = time.perf_counter()
                suggestion = review.next_suggestion(session, discovery_id)
                slowest = max(slowest, time.perf_counter() - start)
                if suggestion is None:
                    break
                accepted = bench.owner_says_yes(frame, labels, suggestion.changes)
                if record is not None and calls:
                    record.append({"fixture": name, "step": len(history) - 1, "inputs": calls[-1],
                                   "asked": suggestion.id, "accepted": accepted, "labels": labels})
                review.answer(session, discovery_id, suggestion.id, accepted)
                yes += accepted
                letter = {"merge": "M", "move": "v", "split": "s", "title": "t"}.get(suggestion.kind, "r")
                kinds.append(letter + ("+" if accepted else "-"))
                frame = review.pain_stickies(session, discovery_id)
                history.append(bench.ari(frame, labels))
    finally:
        questions.candidates = original
        questions.RANKER = saved
        db.dispose()
    return {"history": history, "yes": yes, "kinds": "".join(kinds), "slowest": slowest}


def set_cache(path: str) -> None:
    """Keep the imported databases and the run's copy in ``path``."""
    global CACHE
    CACHE = Path(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--fixtures", default=",".join(bench.DOMAINS))
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--record")
    parser.add_argument("--cache", default=str(CACHE), help="where the imported databases are kept (one per "
                        "replay running at once)")
    parser.add_argument("--by-worth", action="store_true", help="no learnt order (RANKER None)")
    parser.add_argument("--held-out", metavar="STATES", help="each fixture with RANKER fitted on the other "
                        "fixtures' pools (review_fit.py's recorded states; made and kept if missing)")
    args = parser.parse_args()
    set_cache(args.cache)
    for item in args.set:
        key, value = item.split("=", 1)
        setattr(questions, key, eval(value))  # a number, or None
    record: list | None = [] if args.record else None
    out = {}
    for name in args.fixtures.split(","):
        started = time.perf_counter()
        ranker = None if args.by_worth else "shipped"
        if args.held_out:
            import review_fit
            review_fit.replay.set_cache(args.cache)  # its own copy of this module records the pools
            others = [f for f in bench.DOMAINS if f != name]
            ranker = review_fit.fit(*review_fit.pools(args.held_out, others))
        r = run(name, args.answers, record, ranker)
        h = r["history"]
        out[name] = h
        print(f"{name[:14]:14s} " + " ".join(f"{h[min(c, len(h) - 1)]:.3f}" for c in (0, 10, 20, 25, 30, 40))
              + f"  yes {r['yes']:2d}  {r['kinds']}  slowest {r['slowest']:.2f}s  {time.perf_counter() - started:.0f}s",
              flush=True)
    at40 = [h[min(40, len(h) - 1)] for h in out.values()]
    print(f"mean@40 {np.mean(at40):.3f}  " + json.dumps({k: [round(x, 4) for x in v] for k, v in out.items()}))
    if record is not None:
        with open(args.record, "wb") as f:
            pickle.dump(record, f)


if __name__ == "__main__":
    main()
