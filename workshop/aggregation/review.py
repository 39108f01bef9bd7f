"""The guided review's questions (issue 22): which change to put to the product owner next.

Plain Python (no Flask, no SQL): the service (workshop.services.review) loads the pain points, their
themes, a similarity matrix and the answers given so far, and asks :func:`candidates` for every
question worth asking, best first.

How a question is chosen (docs/adr/0018-the-guided-review.md):

* **How likely two pain points are one problem** (``pair_probability``): a logistic curve of where
  their similarity stands among all of the discovery's pairs (its percentile, so no constant depends
  on one domain's scale) and whether the machine put them in one theme. Fitted once on the four
  labelled fixtures (pooled: three numbers); within a theme 0.07-0.8, across themes 0.02-0.5.
* **What the owner said overrides it** (``apply_answers``): a yes moves the pairs it joins toward 1
  and the pairs it parts toward 0; a no on "same problem as X?" moves those pairs toward 0 (a
  cannot-link), a no on "two problems here?" the two halves' pairs toward 1 (80 % of the way: a set
  the machine proposed is rarely all one theme). So the next questions learn from every answer.
* **What a question is worth** (``worth``): the expected gain of the owner's yes, who says yes only
  when the change helps (a no costs one answer, never the grouping). Its pairs joined and parted, each
  right pair worth ``1 - theta`` and each wrong one ``-theta``, where theta is the precision above
  which joining raises the adjusted Rand index at the index the probabilities expect
  (``expected_threshold``); half as if the set stands or falls together, half pair by pair. Big
  themes' questions move many pairs, so the broad themes come first; a question about a theme in the
  backlog's top 10 counts 1.5 times (that is what a steering meeting reads); a merge a quarter (two
  of the machine's themes are rarely both pure, and the owner said no to most merges in the
  simulation: with a quarter, mean ARI after 40 answers 0.52 instead of 0.49 on the four fixtures). Every change proposed is one a person could make by hand: merge two themes; move a set of
  stickies (a branch of the theme's own tree, or the stickies from anywhere that fit a theme best)
  into another theme or into a theme of their own; "is this new round-2 pain the old one?".
* A question asked before (same kind, same stickies, same target) is never asked again.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage, to_tree
from scipy.spatial.distance import squareform

#: The pair probability's curve: sigmoid(A * -log(1 - percentile + 1e-3) + B * same_theme + C).
CURVE = (0.91, 1.44, -4.61)
TOP = 10            # the backlog's top themes (their questions count TOP_WEIGHT times)
TOP_WEIGHT = 1.5
GATHER = 5          # at most this many stickies gathered into a theme by one question
MIN_SCORE = 0.05    # a change worth less than this (in pairs) is not asked
MERGE_FACTOR = 0.25  # a merge's worth counts a quarter: two machine themes are rarely both pure
RHO = 0.5           # how much a set's pairs stand or fall together (1: all or none, 0: each on its own)


def pair_probability(similarity: np.ndarray, same_theme: np.ndarray) -> np.ndarray:
    """n x n: how likely each pair of pain points is one problem (diagonal 1)."""
    n = len(similarity)
    if n < 2:
        return np.ones((n, n))
    iu = np.triu_indices(n, 1)
    values = similarity[iu]
    pct = pd.Series(values).rank(pct=True).to_numpy()
    a, b, c = CURVE
    p = 1.0 / (1.0 + np.exp(-(a * -np.log(1.0 - pct + 1e-3) + b * same_theme[iu] + c)))
    out = np.zeros((n, n))
    out[iu] = p
    out = out + out.T
    np.fill_diagonal(out, 1.0)
    return out


@dataclass
class Answer:
    """A kept answer as the questions read it: the stickies that would move, the stickies they were
    compared with (the target theme's, or the rest of their own theme's for a split), the kind, yes/no."""

    kind: str
    moving: Sequence[str]
    others: Sequence[str]
    accepted: bool
    key: str = ""
    parted: Sequence[str] = ()  # a yes's: the stickies the moving ones left


#: How far an answer moves the pairs it is about toward 1 (one problem) or 0. Not all the way: a yes or
#: no is about sets of stickies, and a set the machine proposed is rarely all of one theme.
YES = 1.0
NO = 1.0


def _blend(p: np.ndarray, a: np.ndarray, b: np.ndarray, to: float, share: float) -> None:
    block = p[np.ix_(a, b)] * (1.0 - share) + to * share
    p[np.ix_(a, b)] = block
    p[np.ix_(b, a)] = block.T


def apply_answers(p: np.ndarray, index: dict[str, int], answers: Iterable[Answer]) -> np.ndarray:
    """The pair probabilities with what the owner said written over them (later answers win)."""
    p = p.copy()

    def rows(ids):
        return np.array([index[s] for s in ids if s in index], dtype=np.int64)

    for a in answers:
        moving, others = rows(a.moving), rows(a.others)
        if not len(moving):
            continue
        if a.kind == "title":
            continue
        if a.accepted:
            if len(others):
                _blend(p, moving, others, 1.0, YES)
            _blend(p, moving, moving, 1.0, YES)
            parted = rows(a.parted)
            if len(parted):
                _blend(p, moving, parted, 0.0, YES)
        elif not len(others):
            continue
        elif a.kind == "split":   # "two problems here?" no: one problem
            _blend(p, moving, others, 1.0, NO)
        else:                     # "same problem as ...?" no: a cannot-link
            _blend(p, moving, others, 0.0, NO)
    np.fill_diagonal(p, 1.0)
    return p


@dataclass
class Candidate:
    kind: str                   # merge | move | split | round
    moving: list[str]           # pain points a yes moves
    source: list[int]           # the themes they leave
    target: int | None          # the theme they join (None: a new theme)
    others: list[str]           # what they are compared with (the target's, or the rest of their theme's)
    parted: list[str]           # the stickies they leave (their old themes' others)
    score: float
    key: str = field(default="")

    def __post_init__(self):
        if not self.key:
            self.key = question_key(self.kind, self.moving, self.target)


def question_key(kind: str, moving: Iterable[str], target: int | str | None) -> str:
    """The same question is the same key: its kind, its stickies and where they would go."""
    what = "|".join([kind if kind != "round" else "merge", ",".join(sorted(map(str, moving))),
                     "new" if target is None else str(target)])
    return hashlib.sha1(what.encode()).hexdigest()[:16]


def expected_threshold(p: np.ndarray, codes: np.ndarray) -> float:
    """The precision above which joining pairs raises the adjusted Rand index, at the index the pair
    probabilities expect for the themes now: T/N + ARI * (1/2 - T/N) (T: expected same-problem pairs,
    N: all pairs). Low while the grouping is poor (joining pays), higher as it gets good."""
    n = len(p)
    iu = np.triu_indices(n, 1)
    total = n * (n - 1) / 2
    true_pairs = float(p[iu].sum())
    together = (codes[:, None] == codes[None, :])[iu]
    predicted = float(together.sum())
    hits = float(p[iu][together].sum())
    expected = predicted * true_pairs / total
    top = (predicted + true_pairs) / 2 - expected
    ari = (hits - expected) / top if top > 0 else 0.0
    base = true_pairs / total
    return float(np.clip(base + max(ari, 0.0) * (0.5 - base), 0.05, 0.5))


def _clades(members: np.ndarray, p: np.ndarray) -> list[np.ndarray]:
    """Every branch of the theme's own average-linkage tree (on 1 - p), the root left out."""
    if len(members) < 2:
        return []
    if len(members) == 2:
        return [members[:1], members[1:]]
    sub = np.clip(1.0 - p[np.ix_(members, members)], 0.0, 1.0)
    np.fill_diagonal(sub, 0.0)
    root = to_tree(linkage(squareform(sub, checks=False), method="average"))
    out = []
    stack = [root.get_left(), root.get_right()]
    while stack:
        node = stack.pop()
        out.append(members[np.asarray(node.pre_order(), dtype=np.int64)])
        if not node.is_leaf():
            stack.extend([node.get_left(), node.get_right()])
    return out


def worth(joined: float, q: float, parted: float, r: float, theta: float) -> float:
    """What asking is worth: the expected gain of a yes, the owner saying yes only when the change
    helps (a no costs one answer, never the grouping). ``joined`` pairs put together, one problem
    with probability ``q`` (all or none: a set of stickies is that theme's or not); ``parted`` pairs
    pulled apart, one problem with probability ``r``. In pairs, each right pair worth 1 - theta and
    each wrong one -theta (see expected_threshold)."""
    independent = max(joined * (q - theta) - parted * (r - theta), 0.0)
    total = 0.0
    for same_j, pj in ((True, q), (False, 1.0 - q)):
        for same_r, pr in ((True, r), (False, 1.0 - r)):
            delta = (joined * (1.0 - theta) if same_j else -joined * theta) \
                + (-parted * (1.0 - theta) if same_r else parted * theta)
            total += pj * pr * max(delta, 0.0)
    return RHO * total + (1.0 - RHO) * independent


def candidates(ids: Sequence[str], theme_of: Sequence[int], p: np.ndarray, ranks: dict[int, int],
               asked: set[str] = frozenset(), new_themes: set[int] = frozenset(),
               gone_themes: set[int] = frozenset()) -> list[Candidate]:
    """Every change worth putting to the owner, best first (see the module doc).

    ``ids``/``theme_of``: the pain points and their themes now; ``p``: pair probabilities with the
    answers applied; ``ranks``: theme -> rank in the backlog; ``asked``: keys never to ask again;
    ``new_themes``/``gone_themes``: themes only in a later round / only in earlier rounds.
    """
    ids = [str(s) for s in ids]
    theme_of = np.asarray(theme_of, dtype=np.int64)
    n = len(ids)
    if n < 2:
        return []
    themes, codes = np.unique(theme_of, return_inverse=True)
    k = len(themes)
    member = np.zeros((k, n))
    member[codes, np.arange(n)] = 1.0
    theta = expected_threshold(p, codes)
    q = p.copy()
    np.fill_diagonal(q, 0.0)
    per_theme = q @ member.T                  # n x k: each sticky's summed probability with each theme
    block = member @ per_theme                # k x k
    size = member.sum(axis=1)
    top = {t for t, r in ranks.items() if r <= TOP}
    weight = np.array([TOP_WEIGHT if int(t) in top else 1.0 for t in themes])
    out: list[Candidate] = []
    by_theme = [np.flatnonzero(codes == a) for a in range(k)]

    def add(kind, moving_rows, source_codes, target_code, score):
        if score <= MIN_SCORE:
            return
        moving_set = set(int(i) for i in moving_rows)
        moving = [ids[i] for i in moving_rows]
        target = None if target_code is None else int(themes[target_code])
        left = [ids[i] for c in source_codes for i in by_theme[c] if i not in moving_set]
        others = [ids[i] for i in by_theme[target_code]] if target_code is not None else left
        cand = Candidate(kind, moving, [int(themes[c]) for c in source_codes], target, others, left, score)
        if cand.key not in asked:
            out.append(cand)

    def move_to_best(clade, a, parted, r):
        """Offer moving `clade` out of theme `a` into the theme it fits best (if it fits any at all)."""
        means = per_theme[clade].sum(axis=0) / (len(clade) * size)
        means[a] = -1.0
        best = int(np.argmax(means))
        if means[best] > 0.02:
            add("move", list(clade), [a], best,
                worth(len(clade) * size[best], means[best], parted, r, theta) * max(weight[a], weight[best]))

    # merges (and round 2's "the same problem as the gone one?")
    for a in range(k):
        for b in range(a + 1, k):
            pairs = size[a] * size[b]
            mean = block[a, b] / pairs
            if mean <= 0.02:
                continue
            big, small = (a, b) if (size[a], -themes[a]) >= (size[b], -themes[b]) else (b, a)
            kind = "merge"
            ta, tb = int(themes[a]), int(themes[b])
            bonus = max(weight[a], weight[b]) * MERGE_FACTOR
            if (ta in new_themes and tb in gone_themes) or (tb in new_themes and ta in gone_themes):
                kind, bonus = "round", max(weight[a], weight[b]) * 2.0  # never scaled down: ask it early
                big, small = (a, b) if ta in gone_themes else (b, a)
            add(kind, list(by_theme[small]), [small], big, worth(pairs, mean, 0, 0, theta) * bonus)
    # moves out: a branch of a theme's own tree, to the theme it fits best or to a theme of its own
    for a in range(k):
        rows = by_theme[a]
        if len(rows) < 2:
            continue
        for clade in _clades(rows, p):
            if len(clade) == len(rows):
                continue
            rest = np.setdiff1d(rows, clade)
            parted = len(clade) * len(rest)
            r = float(q[np.ix_(clade, rest)].sum()) / parted
            move_to_best(clade, a, parted, r)
            kind = "split" if len(clade) >= 2 and len(rest) >= 2 else "move"
            add(kind, list(clade), [a], None, worth(0, 0, parted, r, theta) * weight[a])
    # the stickies that fit their theme least (its tail), out of it: to where they fit, or on their own
    for a in range(k):
        rows = by_theme[a]
        if len(rows) < 3:
            continue
        inner = q[np.ix_(rows, rows)]
        fit = inner.sum(axis=1) / (len(rows) - 1)
        order = rows[np.argsort(fit, kind="stable")]
        for size_k in range(1, len(rows) // 2 + 1):
            clade = order[:size_k]
            rest = order[size_k:]
            parted = len(clade) * len(rest)
            r = float(q[np.ix_(clade, rest)].sum()) / parted
            add("move" if size_k == 1 or len(rest) < 2 else "split", list(clade), [a], None,
                worth(0, 0, parted, r, theta) * weight[a])
            move_to_best(clade, a, parted, r)
    # gathering: the stickies from anywhere that fit a theme best, into it
    own = per_theme[np.arange(n), codes] / np.maximum(size[codes] - 1, 1)
    for t in range(k):
        fit = per_theme[:, t] / size[t] - own
        fit[codes == t] = -np.inf
        pick = np.argsort(-fit, kind="stable")[:GATHER]
        pick = pick[fit[pick] > 0]
        if len(pick) < 2:
            continue
        joined = len(pick) * size[t]
        mean = float(per_theme[pick, t].sum()) / joined
        sources = sorted(set(codes[pick].tolist()))
        left = [i for c in sources for i in by_theme[c] if i not in set(pick.tolist())]
        parted = len(pick) * len(left) if left else 0
        r = float(q[np.ix_(pick, left)].sum()) / parted if parted else 0.0
        add("move", list(pick), sources, t, worth(joined, mean, parted, r, theta) * weight[t])
    out.sort(key=lambda c: (-c.score, c.kind, c.key))
    seen: set[str] = set()
    unique = []
    for c in out:
        if c.key not in seen:
            seen.add(c.key)
            unique.append(c)
    return unique
