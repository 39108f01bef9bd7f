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
* **The order they are asked in is learnt** (``ranked``, RANKER; issue 22's third attempt): the worth
  above says little about whether the owner will say yes (AUC about 0.5 within a kind). So the pool
  is asked in the order of a learnt chance of a yes times a learnt gain of a yes, both read from 21
  features of the question (``question_features``: its kind and sizes, the pair probabilities it
  joins, parts and moves, how many of those pairs an answer already decided, its worth...), fitted by
  benchmarks/review_fit.py on the simulated owner's answers to the four fixtures' pools; and the
  chance is corrected by this owner's own answers so far, per group of questions (merges, moves into
  a theme, moves into a theme of their own, splits; ``ONLINE``): a group that keeps getting no is
  asked less. The worths themselves still decide what is asked at all and when a title comes (once
  the best worth left is below a title's: later than by worth alone, which asks the high worths first).
* A question asked before (same kind, same stickies, same target) is never asked again, nor one the
  owner refused in another shape (``refused_before``: nearly the same stickies into a theme that still
  holds most of what it held, as after "Group afresh"); and stickies the owner just refused to put into another theme are not offered to the next one straight away
  (``not_again_at_once``: a new owner was shown the same wrong set for one theme after another); once
  they were refused for OFFERS_REFUSED themes, no other theme is offered them (their own still may be).
* A gathering question ("these stickies from elsewhere are the same problem as 'X'?") takes only
  stickies whose fit with X is above the threshold at which joining pays (GATHER_FLOOR), not every
  sticky that fits X better than it fits its own theme: a new owner found strangers ticked in it.
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
#: A theme whose latest-round pain is at most KEEPERS stickies that fit its older ones loosely is asked
#: about them first: they alone keep it from being gone. Loosely: a mean pair probability below the
#: threshold at which joining pays (expected_threshold), or below KEEPER_RELATIVE times how well the
#: older stickies fit one another (the theme's outlier, as its tail is).
KEEPERS = 2
KEEPER_RELATIVE = 0.6
RHO = 0.5           # how much a set's pairs stand or fall together (1: all or none, 0: each on its own)
#: A sticky gathered into a theme (the stickies from anywhere that fit it best) must be one problem with
#: it with a mean pair probability of at least GATHER_FLOOR times the threshold at which joining pays
#: (expected_threshold): a new owner was offered five stickies for a theme, two of them strangers that
#: only fitted their own themes worse (0: any sticky that fits the theme better than its own).
GATHER_FLOOR = 1.0
#: After the owner refused to put (mostly) the same stickies into this many other themes, they are not
#: offered to yet another one (a theme of their own still may be): a new owner was shown one sticky
#: for theme after theme (0: no limit; they only come later, see not_again_at_once).
OFFERS_REFUSED = 3
#: Stickies the owner kept in their theme by hand (left unticked in a yes for some of "... into a theme
#: of their own?") are offered to no other theme while that theme holds mostly what it held then: a new
#: owner kept "CI 50 min" in its theme by unticking it and was asked next to move it into another one.
#: (Not every no to "... of their own?": for the simulated owner such a no often means "not on its
#: own", and blocking every later move out of that theme cost 0.095 ARI after 40 answers on data/ML.)
KEPT_BY_HAND_STAY = True


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
    #: the stickies left unticked in a yes for some (the page's ticks): the owner kept them by hand
    kept: bool = False


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
        elif a.kind == "split" or within_own_theme(a.others, a.parted):
            # "two problems here?" or "... into a theme of their own?" no: one problem with the rest
            # (they were compared with their own theme's others; a no to one target is a cannot-link).
            # Not the rest with itself as well: that stopped every later split of a theme the
            # simulated owner kept whole for now (mean ARI after 40 answers -0.02, one fixture -0.06)
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
    features: tuple = field(default=(), repr=False)
    #: the latest round's only pain in an older theme, fitting it loosely: a yes makes that theme gone
    keeps_round: bool = False

    def __post_init__(self):
        if not self.key:
            self.key = question_key(self.kind, parting(self.moving, self.parted, self.target), self.target)


def within_own_theme(others: Sequence[str] | None, parted: Sequence[str] | None) -> bool:
    """Whether a question compared its stickies with the rest of their own theme ("two problems
    here?", "... into a theme of their own?"): then a no means one problem with the rest, not a
    cannot-link, and the question has one key whichever half it names."""
    return bool(parted) and set(map(str, others or [])) == set(map(str, parted))


def parting(moving: Sequence[str], parted: Sequence[str], target) -> list[str]:
    """The stickies a question's key names: for a theme cut in two (no target: the moving stickies
    become a theme of their own) the smaller-named half, so that "A apart from B" and "B apart from A"
    are one question (asked, answered and skipped once); otherwise the moving stickies."""
    moving = sorted(map(str, moving))
    if target is None and parted:
        return min(moving, sorted(map(str, parted)))
    return moving


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


#: The learnt order (see :func:`ranked`; None: by worth alone). Fitted by benchmarks/review_fit.py on the
#: question pools of the four labelled fixtures (the review by worth alone, replayed with the simulated
#: owner: 160 pools, 90,448 candidates, 22 % of them a yes): a logistic regression of the owner's yes and
#: a ridge regression of the log of a yes's gain, on the standardised features of question_features.
RANKER: dict | None = {
    "mean": [0.257131, 0.348897, 0.044523, 0.201221, 0.148229, 1.18051, 1.17246, 1.23538, 0.044048, 0.473694, 0.778804, -0.429646, 0.344617, -1.46175, 0.789923, 1.67394, 1.56434, 0.001338, 0.263657, 0.032252, 0.492894],
    "scale": [0.437052, 0.476621, 0.206254, 0.400913, 0.355327, 0.47044, 0.98707, 0.96146, 0.046974, 0.376095, 0.298228, 0.374297, 0.043432, 0.925154, 0.407363, 1.46012, 1.269, 0.02067, 0.370105, 0.043559, 0.384989],
    "yes": [-0.389716, 0.1931, -0.704264, 0.45527, 0.115455, -0.569848, -0.040081, -0.292828, 0.65604, -0.648766, -0.201354, 0.734214, -0.012352, 0.736083, -0.434118, -0.558795, -0.628819, 0.100508, 0.561535, -0.292169, 0.68136],
    "yes0": -1.778521,
    "gain": [0.263066, -0.293352, -0.216678, 0.093299, 0.090425, 0.255322, 0.988638, 0.623012, 0.279246, 0.170705, -0.117653, -0.13648, 0.036095, 0.265491, -0.01536, -0.413081, -0.236042, 0.082462, 0.112754, -0.12518, -0.057229],
    "gain0": -5.802336,
}


def question_features(kind: str, sources: int, moving: np.ndarray, target: np.ndarray, parted: np.ndarray,
                      p: np.ndarray, theta: float, score: float, top: bool) -> tuple:
    """What the learnt order reads of a question (the same list as RANKER's coefficients): its kind,
    its sizes, the pair probabilities joined (to the target) and parted (from the stickies left) and
    within the moving set, how many of those pairs an answer already decided (0 or 1), its weakest
    joined and strongest parted sticky, theta, its worth and whether it is about the top."""
    m, t, pr = len(moving), len(target), len(parted)
    q = r = kq = kr = qmin = rmax = 0.0
    if t:
        block = p[np.ix_(moving, target)]
        q = float(block.mean())
        kq = float(((block <= 1e-9) | (block >= 1 - 1e-9)).mean())
        qmin = float(block.mean(axis=1).min())
    if pr:
        block = p[np.ix_(moving, parted)]
        r = float(block.mean())
        kr = float(((block <= 1e-9) | (block >= 1 - 1e-9)).mean())
        rmax = float(block.mean(axis=1).max())
    s = float((p[np.ix_(moving, moving)].sum() - m) / (m * (m - 1))) if m >= 2 else 1.0
    gather = kind == "move" and sources > 1
    return (float(kind in ("merge", "round")), float(kind == "move" and t > 0 and not gather), float(gather),
            float(kind == "move" and not t), float(kind == "split"), np.log1p(m), np.log1p(t), np.log1p(pr),
            q, r, s, q - r, theta, np.log(max(score, 1e-6)), float(top), np.log1p(m * t), np.log1p(m * pr),
            kq, kr, qmin, rmax)


#: The group of a kept answer for the learnt order's own correction (:func:`ranked`): the kinds of
#: question the features tell apart (merges, moves into a theme, moves into a theme of their own, splits).
GROUPS = ("merge", "move", "new", "split")
#: The correction: this discovery's own yes rate per group, drawn toward PRIOR_YES by ONLINE answers.
ONLINE = 10.0
PRIOR_YES = 0.35


def answer_group(a: Answer) -> str | None:
    """Which group of questions a kept answer is about (None: a title)."""
    if a.kind in ("merge", "round"):
        return "merge"
    if a.kind == "split":
        return "split"
    if a.kind == "move":
        return "new" if list(a.others) == list(a.parted) else "move"
    return None


def _group_of(features: tuple) -> str:
    merge, move_to, gather, move_new, split = features[:5]
    return "merge" if merge else "split" if split else "new" if move_new else "move"


def ranked(out: list[Candidate], answers: Iterable[Answer] = ()) -> list[Candidate]:
    """The candidates in the learnt order: the chance of a yes times what a yes is worth, both read
    from :func:`question_features` (RANKER); round 2's question first still. The worths, sorted, are
    handed down the new order, so a title question comes, as before, once the best worth left in the
    pool is below its own (later in practice: this order leaves questions of high worth unasked; in
    `make bench-review` no title question within 40 answers, 1-3 by worth alone)."""
    x = (np.array([c.features for c in out], dtype=float) - np.asarray(RANKER["mean"])) / np.asarray(RANKER["scale"])
    logit = x @ np.asarray(RANKER["yes"]) + RANKER["yes0"]
    # what this discovery's owner said so far, per group: a group that keeps getting no is asked less
    counts: dict[str, list[int]] = {}
    for a in answers:
        group = answer_group(a)
        if group is not None:
            n_y = counts.setdefault(group, [0, 0])
            n_y[0] += 1
            n_y[1] += int(bool(a.accepted))
    if counts and ONLINE > 0:
        prior = np.log(PRIOR_YES / (1.0 - PRIOR_YES))
        shift = {g: np.log((y + ONLINE * PRIOR_YES) / (n - y + ONLINE * (1.0 - PRIOR_YES))) - prior
                 for g, (n, y) in counts.items()}
        logit = logit + np.array([shift.get(_group_of(c.features), 0.0) for c in out])
    yes = 1.0 / (1.0 + np.exp(-logit))
    gain = x @ np.asarray(RANKER["gain"]) + RANKER["gain0"]
    learnt = RANKER.get("power", 1.0) * np.log(np.maximum(yes, 1e-300)) + gain
    worths = sorted((c.score for c in out), reverse=True)
    order = sorted(range(len(out)), key=lambda i: (not _about_rounds(out[i]), -learnt[i], out[i].kind, out[i].key))
    result = [out[i] for i in order]
    for c, w in zip(result, worths):
        c.score = w
    return result


def _about_rounds(c: Candidate) -> bool:
    """Round 2's questions come first: a wrong "gone", "new" or "still there" is the worst thing a
    steering meeting can be told."""
    return c.kind == "round" or c.keeps_round


#: How much of a set must be the one just refused to count as the same set (Jaccard).
SAME_SET = 0.5


def _same_set(a: Sequence[str], b: Sequence[str]) -> bool:
    a, b = set(map(str, a)), set(map(str, b))
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_SET


#: No's to "is this new round-2 pain the old one?" about one new theme after which its other old
#: themes are asked about as ordinary merges (in their turn, not first): a new owner was asked about
#: one new sticky seven times in a row, most of the old themes only sharing a word with it.
ROUND_NOES = 2


#: The last answers about one theme after which the next question is about another one, if any.
IN_A_ROW = 2


def not_one_theme_thrice(out: list[Candidate], answers: Sequence[Answer], theme_of: dict[str, int]) -> list[Candidate]:
    """The pool with its first question moved behind the first one about another theme, when the last
    IN_A_ROW answers were all about the stickies of the theme it asks about (where those stickies are
    now): a new owner was asked about the same four themes for 26 answers while the 5th of the top 10
    got no question."""
    if len(answers) < IN_A_ROW or not out or out[0].kind == "round":
        return out

    def themes_of(stickies) -> set[int]:
        return {theme_of[s] for s in map(str, stickies) if s in theme_of}

    recent = [themes_of(a.moving) for a in answers[-IN_A_ROW:]]
    first = set(out[0].source)
    if not first or not all(first & r for r in recent):
        return out
    other = next((i for i, c in enumerate(out) if c.kind != "title" and not set(c.source) & first), None)
    if other is None:
        return out
    return [out[other], *out[:other], *out[other + 1:]]


def refused_before(moving: Sequence[str], target_members: Sequence[str], refusals: Sequence[Answer]) -> bool:
    """Whether the owner already said no to (mostly) these stickies going into (mostly) this theme: the
    same set or nearly (see SAME_SET) into a theme that still holds at least half of what it held then.
    After "Group afresh" a theme has a new id and a question a new key, and a new owner was asked the
    same thing again; a sticky added to a refused set made a new key too."""
    target = set(map(str, target_members))
    for a in refusals:
        if _same_set(moving, a.moving):
            before = set(map(str, a.others))
            if before and len(before & target) / len(before) >= 0.5:
                return True
    return False


def not_again_at_once(out: list[Candidate], answers: Sequence[Answer]) -> list[Candidate]:
    """The pool with its first question moved behind the first one about other stickies, when it
    offers (mostly) the stickies the last answer refused to put into another theme: the same set
    for one theme after another reads as the review not listening. Dropping such questions
    altogether cost 0.013 of mean ARI after 40 answers (the simulated owner does put some of them
    in a third theme): they come later instead."""
    last = answers[-1] if answers else None
    if (not out or last is None or last.accepted or last.kind != "move" or within_own_theme(last.others, last.parted)
            or out[0].kind != "move" or out[0].target is None or not _same_set(out[0].moving, last.moving)):
        return out
    other = next((i for i, c in enumerate(out) if not _same_set(c.moving, last.moving)), None)
    if other is None:
        return out
    return [out[other], *out[:other], *out[other + 1:]]


def candidates(ids: Sequence[str], theme_of: Sequence[int], p: np.ndarray, ranks: dict[int, int],
               asked: set[str] = frozenset(), new_themes: set[int] = frozenset(),
               gone_themes: set[int] = frozenset(), answers: Sequence[Answer] = (),
               latest: Sequence[bool] | None = None) -> list[Candidate]:
    """Every change worth putting to the owner, best first (see the module doc).

    ``ids``/``theme_of``: the pain points and their themes now; ``p``: pair probabilities with the
    answers applied; ``ranks``: theme -> rank in the backlog; ``asked``: keys never to ask again;
    ``new_themes``/``gone_themes``: themes only in a later round / only in earlier rounds;
    ``latest``: per pain point, whether it is from the latest round (None: one round only).
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
    # the no's to "put them in 'Y'?" and "same problem?" (not "... of their own?": that keeps them home)
    refusals = [a for a in answers if not a.accepted and a.kind in ("move", "merge", "round")
                and not within_own_theme(a.others, a.parted)]
    round_noes = [a.moving for a in answers if not a.accepted and a.kind == "round"]
    # the themes the owner said are one problem (a no to "two problems here?" / "... of their own?")
    # while they still hold mostly what they held then: no other cut of them is offered (a new owner
    # said no to a 6-sticky split of the CAB theme and was offered a 2-sticky split of it next)
    said_one = [set(map(str, [*a.moving, *a.others])) for a in answers
                if not a.accepted and within_own_theme(a.others, a.parted)]
    one_problem = [bool(said_one) and any(_same_set([ids[i] for i in by_theme[c]], one) for one in said_one)
                   for c in range(k)]
    # the stickies kept home by hand -> the rest of the theme they were kept with
    kept_home: dict[str, set[str]] = {}
    for a in answers:
        if a.kept and not a.accepted and within_own_theme(a.others, a.parted):
            for s in map(str, a.moving):
                kept_home.setdefault(s, set()).update(map(str, a.others))
    row_of = {s: i for i, s in enumerate(ids)}

    def home_of(sticky: str) -> set[str]:
        """The stickies of the theme `sticky` is in now, when it still holds at least half of those it
        was kept with (else nothing)."""
        here = {ids[i] for i in by_theme[codes[row_of[sticky]]]} if sticky in row_of else set()
        with_ = kept_home.get(sticky, set())
        return here if with_ and len(here & with_) * 2 >= len(with_) else set()

    def add(kind, moving_rows, source_codes, target_code, score, keeps_round=False):
        if score <= MIN_SCORE and not keeps_round:
            return
        moving_set = set(int(i) for i in moving_rows)
        moving = [ids[i] for i in moving_rows]
        target = None if target_code is None else int(themes[target_code])
        left = [ids[i] for c in source_codes for i in by_theme[c] if i not in moving_set]
        others = [ids[i] for i in by_theme[target_code]] if target_code is not None else left
        cand = Candidate(kind, moving, [int(themes[c]) for c in source_codes], target, others, left, score,
                         keeps_round=keeps_round)
        if target is not None and refusals and refused_before(moving, others, refusals):
            return
        if (target is not None and OFFERS_REFUSED
                and sum(_same_set(moving, a.moving) for a in refusals) >= OFFERS_REFUSED):
            return
        if target is None and len(source_codes) == 1 and one_problem[source_codes[0]]:
            return
        if KEPT_BY_HAND_STAY and target is not None and kind not in ("merge", "round") and kept_home and any(
                s in kept_home and kept_home[s] & home_of(s) for s in moving):
            return
        if cand.key not in asked:
            if RANKER is not None:
                left_rows = np.array([i for c in source_codes for i in by_theme[c] if i not in moving_set],
                                     dtype=np.int64)
                target_rows = by_theme[target_code] if target_code is not None else np.zeros(0, dtype=np.int64)
                top_here = max(weight[c] for c in [*source_codes, *([] if target_code is None else [target_code])])
                cand.features = question_features(kind, len(source_codes), np.asarray(moving_rows, dtype=np.int64),
                                                  target_rows, left_rows, p, theta, score, top_here > 1.0)
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
                old, new = (a, b) if ta in gone_themes else (b, a)
                new_ids = [ids[i] for i in by_theme[new]]
                if sum(_same_set(new_ids, m) for m in round_noes) < ROUND_NOES:
                    kind, bonus = "round", max(weight[a], weight[b]) * 2.0  # never scaled down: ask it early
                    big, small = old, new
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
    # round 2's only pain in an older theme, fitting it loosely: out of it? (a no keeps it there)
    if latest is not None:
        latest = np.asarray(latest, dtype=bool)
        for a in range(k):
            rows = by_theme[a]
            keepers, older = rows[latest[rows]], rows[~latest[rows]]
            if not (1 <= len(keepers) <= KEEPERS) or not len(older):
                continue
            parted = len(keepers) * len(older)
            r = float(q[np.ix_(keepers, older)].sum()) / parted
            cohesion = float(q[np.ix_(older, older)].sum()) / max(len(older) * (len(older) - 1), 1)
            if r < max(theta, KEEPER_RELATIVE * cohesion):
                add("move" if len(keepers) == 1 else "split", list(keepers), [a], None,
                    max(worth(0, 0, parted, r, theta) * weight[a], MIN_SCORE), keeps_round=True)
    # gathering: the stickies from anywhere that fit a theme best, into it
    own = per_theme[np.arange(n), codes] / np.maximum(size[codes] - 1, 1)
    for t in range(k):
        fit = per_theme[:, t] / size[t] - own
        fit[codes == t] = -np.inf
        fits = per_theme[:, t] / size[t]
        fit[fits < GATHER_FLOOR * theta] = -np.inf
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
        elif c.keeps_round:  # the same cut found another way: asked as round 2's, about its pain
            at = next(i for i, u in enumerate(unique) if u.key == c.key)
            c.score = max(c.score, unique[at].score)
            unique[at] = c
    if RANKER is not None and unique:
        unique = ranked(unique, answers)
    unique = not_again_at_once(unique, list(answers))
    return not_one_theme_thrice(unique, list(answers), dict(zip(ids, (int(t) for t in theme_of))))
