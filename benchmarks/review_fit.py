"""Fit the guided review's learnt order (workshop.aggregation.review.RANKER) from the simulated owner.

    PYTHONPATH=. .venv/bin/python benchmarks/review_fit.py [--fixtures a,b,c] [--states states.pkl]

1. The review as shipped before the learnt order (questions by worth alone, RANKER None) is replayed on
   each fixture (benchmarks/review_replay.py: the simulated owner, 40 answers) and every question pool
   it chose from is kept (the inputs of each ``candidates`` call).
2. Every candidate of every pool: its features (``question_features``) and what the owner's answer
   would be worth (ARI after the change minus before; the owner says yes exactly when it is > 0).
3. A logistic regression of the yes on the standardised features (C = 1) and a ridge regression of the
   log of a yes's gain (alpha = 1); printed as the RANKER dict the module keeps.

Leave-one-fixture-out: ``--fixtures`` fits on those only (the held-out figures in docs/benchmarks.md
come from fitting on three fixtures and replaying the fourth). sklearn and the fixtures' labels are
needed here only; the app reads the printed numbers.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import review as bench  # noqa: E402
import review_replay as replay  # noqa: E402

from workshop.aggregation import review as questions  # noqa: E402


def pool(state: dict) -> tuple[np.ndarray, np.ndarray]:
    """A recorded state's candidates: features and the owner's gain."""
    ids, theme_of, p, ranks, asked, new, gone = state["inputs"]
    labels = state["labels"]
    saved, questions.RANKER = questions.RANKER, None
    try:
        cands = questions.candidates(ids, theme_of, p, ranks, asked, new, gone)
    finally:
        questions.RANKER = saved
    index = {s: i for i, s in enumerate(ids)}
    truth = [labels[s] for s in ids]
    _, codes = np.unique(theme_of, return_inverse=True)
    theta = questions.expected_threshold(p, codes)
    base = adjusted_rand_score(truth, theme_of)
    top = {t for t, r in ranks.items() if r <= questions.TOP}
    rows, gains = [], []
    new_id = int(np.max(theme_of)) + 1
    for c in cands:
        moving = np.array([index[s] for s in c.moving], dtype=np.int64)
        target = np.flatnonzero(theme_of == c.target) if c.target is not None else np.zeros(0, dtype=np.int64)
        parted = np.array([index[s] for s in c.parted if s in index], dtype=np.int64)
        about_top = any(int(t) in top for t in [*c.source, *([] if c.target is None else [c.target])])
        rows.append(questions.question_features(c.kind, len(c.source), moving, target, parted, p, theta,
                                                c.score, about_top))
        after = theme_of.copy()
        after[moving] = c.target if c.target is not None else new_id
        gains.append(adjusted_rand_score(truth, after) - base)
    return np.array(rows, dtype=float), np.array(gains)


def fit(X: np.ndarray, gain: np.ndarray) -> dict:
    yes = gain > 1e-12
    scaler = StandardScaler().fit(X)
    T = scaler.transform(X)
    logistic = LogisticRegression(C=1.0, max_iter=3000).fit(T, yes)
    ridge = Ridge(alpha=1.0).fit(T[yes], np.log(gain[yes]))
    return {"mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
            "yes": logistic.coef_[0].round(6).tolist(), "yes0": round(float(logistic.intercept_[0]), 6),
            "gain": ridge.coef_.round(6).tolist(), "gain0": round(float(ridge.intercept_), 6)}


def states_of(path: str | None) -> list[dict]:
    """The recorded pools of the review by worth alone on the four fixtures (made, and kept at
    ``path``, when missing)."""
    if path and Path(path).exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    states: list[dict] = []
    for name in bench.DOMAINS:
        replay.run(name, 40, states, ranker=None)
    if path:
        with open(path, "wb") as f:
            pickle.dump(states, f)
    return states


_POOLS: dict = {}


def pools(path: str | None, fixtures: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Features and gains of every candidate of the recorded pools of ``fixtures``."""
    states = states_of(path)
    rows, gains = [], []
    for i, state in enumerate(states):
        if state["fixture"] not in fixtures:
            continue
        if (path, i) not in _POOLS:
            _POOLS[(path, i)] = pool(state)
        x, g = _POOLS[(path, i)]
        if len(g):
            rows.append(x)
            gains.append(g)
    return np.vstack(rows), np.concatenate(gains)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", default=",".join(bench.DOMAINS))
    parser.add_argument("--states", help="a pickle of recorded states (made and kept if missing)")
    args = parser.parse_args()
    X, gain = pools(args.states, args.fixtures.split(","))
    print(f"{len(gain)} candidates, {np.mean(gain > 1e-12):.2f} would be a yes")
    print("RANKER =", fit(X, gain))


if __name__ == "__main__":
    main()
