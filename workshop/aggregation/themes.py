"""Theme proposal: group pain points that say the same thing in different words (in any domain and language).

Why this method (measured leave-one-domain-out, docs/benchmarks.md and docs/adr/0012-multilingual-embeddings.md):

* **Similarity** between two stickies is a weighted mean of cosines of several views of the text: a
  sentence embedding in the English model's space (``embedding.py``; a German, Spanish or French
  sticky is read by the multilingual model and mapped into that space by a map learnt from the
  discovery's own English stickies: :func:`bridge_embeddings`, ADR 0013) and TF-IDF char 3-5 grams
  of the raw text (typos, abbreviations; IDF fitted on the discovery's own texts), each view weighted
  by the inverse spread of its own pairwise cosines (``calibrate``). TF-IDF words, the hand-written
  platform vocabulary and the stage are views one can weigh; all are off by default (no result
  depends on them).
* **The cut** is not a constant: average-linkage clustering is cut at a percentile (``cut_percentile``, 13)
  of the discovery's own distances (``cut_rule``: each text's distance to its nearest other text, or all
  pairwise distances), so a discovery whose stickies are all alike and one whose stickies are all
  different are each cut where their own distribution says.
* **Pain points make themes; opportunities attach** to the theme of pain they address (the one they are
  on average most similar to, if close enough) and form themes of their own only when nothing is.
  When a person moves pain points, the same rule (:func:`pain_fit`) says which ideas go with them.
* **The product owner's corrections are constraints** (``pins``): stickies a person put in the same
  theme are must-link (distance 0), in different themes cannot-link (a huge distance), so a split
  stays split, a merge stays merged, and a new sticky close to a theme the owner shaped joins it.

Scale: identical texts are clustered once. Up to ``max_exact`` distinct texts are clustered exactly (a
dense matrix of at most ``max_exact``² distances). Beyond that a sample of representatives (the pinned
ones and the most repeated first) is clustered exactly and every other text joins the cluster whose
members it is on average similar enough to (computed against cluster sums, chunked); texts that join
nothing are clustered in further rounds. No n² matrix is ever built for n stickies.

Pure: DataFrame in, DataFrame out; inputs are never mutated. Embeddings come from the ``embed``
callable (the service passes one backed by the database cache).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .language import looks_english
from .vocabulary import normalise_text

log = logging.getLogger(__name__)

# A proposed theme's title (its most central sticky's text) is cut shorter than the longest title a
# person may give (domain.validation.THEME_TITLE_MAX), to read at a glance in the backlog.
PROPOSED_TITLE_CHARS = 80
TITLE_MAX = PROPOSED_TITLE_CHARS  # the former name
CANNOT_LINK = 1e9  # the distance between two stickies a person put in different themes

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class GroupingConfig:
    """How stickies are compared and cut into themes. Defaults: chosen leave-one-domain-out.

    Weights are shares of the similarity: sim = sum(weight_b * cosine_b) / sum(weight_b) over the
    views b that a text has (a text with no word left has no word view).
    """

    embedding_weight: float = 0.8   # sentence embeddings (all of their parts)
    embedding_mode: str = "bridge"  # "bridge": the English part for English texts, the multilingual part
                                    # mapped into it for the others (see vectorise); "mix": both parts
                                    # side by side, the first weighted embedding_mix
    embedding_mix: float = 0.7      # "mix" only: share of the first part (English MiniLM)
    bridge_ridge: float = 3.0       # "bridge": ridge penalty of the multilingual -> English map
    bridge_min_english: int = 40    # "bridge": fewer English texts than this -> the multilingual part alone
    centre_min: int = 20            # "bridge": centre the embeddings on the discovery's mean from this many texts
    calibrate: bool = True          # each view weighted by 1 / the spread of its own pairwise cosines
    word_weight: float = 0.0        # TF-IDF word 1-2 grams (raw text, English stop words out)
    char_weight: float = 0.2        # TF-IDF char_wb 3-5 grams (absorb typos and word forms)
    vocabulary_weight: float = 0.0  # TF-IDF words of the platform-vocabulary-normalised text (minor)
    stage_weight: float = 0.0       # one-hot of the sticky's stage
    use_vocabulary: bool = False    # the old method: word grams of the normalised text
    char_on_normalised: bool = False  # the old method: char grams of the normalised text
    word_ngrams: tuple[int, int] = (1, 2)
    cut_rule: str = "pairwise"      # "pairwise": percentile of all pairwise distances;
                                    # "nearest": percentile of each text's distance to its nearest other text
    cut_percentile: float | None = 13.0  # the percentile (None: the fixed threshold below)
    threshold: float = 0.88         # fixed cut (cosine distance), used when cut_percentile is None
    attach_opportunities: bool = True
    max_exact: int = 2000           # distinct texts clustered exactly; beyond that: representatives
    rounds: int = 4                 # representative rounds before leftovers become one-offs
    percentile_sample: int = 2000   # distinct texts whose pairwise distances set the cut
    seed: int = 0


DEFAULT_CONFIG = GroupingConfig()

#: The method shipped before issue 13 (vocabulary + fixed threshold), kept as a measured baseline.
LEGACY_CONFIG = GroupingConfig(embedding_weight=0.0, use_vocabulary=True, word_weight=1.0, char_weight=0.25,
                               char_on_normalised=True, stage_weight=0.09, cut_percentile=None,
                               threshold=0.88, attach_opportunities=False, calibrate=False)

#: The configuration shipped before the bridge (issue 13's first round), kept as a measured baseline.
MIX_CONFIG = GroupingConfig(embedding_weight=0.5, embedding_mode="mix", embedding_mix=0.7, word_weight=0.2,
                            char_weight=0.3, calibrate=False, cut_percentile=10.0)

PROPOSAL_COLUMNS = ["sticky_id", "cluster", "centrality", "title"]


def shorten_title(text: str, limit: int = PROPOSED_TITLE_CHARS) -> str:
    """A sticky text as a theme title: one line, at most ``limit`` characters, cut at a word."""
    one_line = " ".join(str(text).split())
    if len(one_line) <= limit:
        return one_line
    cut = one_line[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—.") + "…"


TITLE_FLAW = 0.05


def title_flaws(text: str) -> int:
    """How far a sticky's text is from a title that names a shared problem: a figure (digits: one
    team's numbers), a note of fewer than three words, a question or exclamation (a retort, not a
    statement), more than PROPOSED_TITLE_CHARS characters (cut when shown)."""
    one_line = " ".join(str(text).split())
    flaws = int(any(ch.isdigit() for ch in one_line))
    flaws += int(len(one_line.split()) < 3)
    flaws += int(one_line.rstrip().endswith(("?", "!")))
    flaws += int(len(one_line) > PROPOSED_TITLE_CHARS)
    return flaws


def uncut_title(title: str, texts) -> str:
    """A title shorten_title cut ("…"), whole again: the longest of ``texts`` it was cut from (a
    workbook's row keeps its whole name, wrapped); any other title as it is."""
    if not title.endswith("…"):
        return title
    stem = title[:-1]
    whole = [one for one in (" ".join(str(t).split()) for t in texts) if one.startswith(stem) and len(one) > len(stem)]
    return max(whole, key=len) if whole else title


@dataclass
class Features:
    """Row-normalised features of distinct texts: a sparse lexical part and a dense embedding part.

    The dot product of two rows (both parts) is the weighted mean cosine of GroupingConfig.
    """

    sparse: sp.csr_matrix
    dense: np.ndarray | None

    def __len__(self) -> int:
        return self.sparse.shape[0]

    def take(self, idx: np.ndarray) -> "Features":
        return Features(self.sparse[idx], None if self.dense is None else self.dense[idx])

    def gram(self) -> np.ndarray:
        sim = (self.sparse @ self.sparse.T).toarray().astype(np.float64)
        if self.dense is not None:
            sim += (self.dense @ self.dense.T).astype(np.float64)
        return sim

    def sums(self, member: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray | None]:
        """Per-group sums of rows (member: groups x rows)."""
        return (member @ self.sparse).tocsr(), (None if self.dense is None else member @ self.dense)

    def dot_sums(self, sums: tuple[sp.csr_matrix, np.ndarray | None]) -> np.ndarray:
        """rows x groups: each row's dot product with each group's sum."""
        out = (self.sparse @ sums[0].T).toarray().astype(np.float64)
        if self.dense is not None and sums[1] is not None:
            out += self.dense @ np.asarray(sums[1]).T
        return out


def _tfidf(texts: list[str], **kwargs) -> sp.csr_matrix | None:
    try:
        return normalize(TfidfVectorizer(sublinear_tf=True, dtype=np.float32, **kwargs).fit_transform(texts))
    except ValueError:  # empty vocabulary: only stop words / digits
        return None


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _centred(x: np.ndarray, rows: np.ndarray, least: int) -> np.ndarray:
    """Unit rows after removing the mean of ``rows`` (the direction every sticky shares says nothing
    about which pain it is), when there are at least ``least`` of them (the mean of a handful of texts
    is mostly those texts); a blank (zero) row stays zero."""
    blank = ~np.any(x, axis=1)
    use = rows & ~blank
    out = _unit_rows(x - x[use].mean(axis=0)) if use.sum() >= max(least, 1) else _unit_rows(x.copy())
    out[blank] = 0.0
    return out


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def bridge_embeddings(vectors: np.ndarray, parts: tuple[int, ...], texts: list[str],
                      config: GroupingConfig) -> np.ndarray:
    """One embedding per text in the English model's space, whatever language it is written in.

    English texts keep the English model's vector (all-MiniLM-L6-v2: the best signal for them); every
    other text gets its multilingual vector (USE) mapped into that space by a ridge regression fitted
    on the discovery's own English texts, where both vectors are known. So "Doku veraltet" lands near
    "docs out of date" instead of near other German stickies, and no translation table or domain word
    is involved: the map is learnt afresh from each discovery. Both spaces are centred on the
    discovery's mean first (from ``centre_min`` texts). With fewer than ``bridge_min_english`` English texts the map cannot be
    fitted and the multilingual vector is used for every text; a one-part model is only centred.
    """
    everyone = np.ones(len(texts), dtype=bool)
    if len(parts) < 2:
        return _centred(vectors, everyone, config.centre_min)
    english_part = vectors[:, :parts[0]].astype(np.float64)
    multilingual = _centred(vectors[:, parts[0]:parts[0] + parts[1]].astype(np.float64), everyone,
                            config.centre_min)
    english = np.array([looks_english(t) for t in texts], dtype=bool) & np.any(english_part, axis=1)
    if english.sum() < config.bridge_min_english:
        return multilingual.astype(np.float32)
    out = _centred(english_part, english, config.centre_min)
    others = np.flatnonzero(~english & np.any(multilingual, axis=1))
    if len(others):
        fit = np.flatnonzero(english)[_sample(int(english.sum()), config.percentile_sample, config.seed)]
        a, b = multilingual[fit], out[fit]
        mapping = np.linalg.solve(a.T @ a + config.bridge_ridge * np.eye(a.shape[1]), a.T @ b)
        out[others] = _unit_rows(multilingual[others] @ mapping)
    return out.astype(np.float32)


def _spread(block, config: GroupingConfig) -> float:
    """The standard deviation of a view's pairwise cosines over a sample of the discovery's texts."""
    idx = _sample(block.shape[0], min(config.percentile_sample, 1000), config.seed)
    rows = block[idx]
    gram = rows @ rows.T
    gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
    values = gram[np.triu_indices(len(idx), k=1)]
    spread = float(values.std()) if len(values) else 0.0
    return spread if spread > 1e-6 else 1.0


def vectorise(texts: list[str], stages: np.ndarray | None, config: GroupingConfig,
              embed: Embed | None = None) -> Features:
    """Features of ``texts`` (one row each). IDF is fitted on the discovery's own texts.

    Each view's rows are unit vectors, scaled by the square root of the view's weight (divided by the
    spread of its pairwise cosines when ``calibrate``: a view whose cosines are all alike would
    otherwise count for little, one with a wide spread for much); the rows are then normalised over
    all views, so the dot product of two rows is the weighted mean of the views' cosines.
    """
    n = len(texts)
    raw = [str(t).lower() for t in texts]
    views: list[tuple[float, object]] = []  # (weight, rows)
    normalised = None
    if config.use_vocabulary or config.char_on_normalised or config.vocabulary_weight > 0:
        normalised = [normalise_text(t) or t.lower() for t in texts]
    if config.word_weight > 0:
        source = normalised if config.use_vocabulary else raw
        views.append((config.word_weight, _tfidf(source, ngram_range=config.word_ngrams,
                                                 token_pattern=r"(?u)\b\w+\b",
                                                 stop_words=None if config.use_vocabulary else "english")))
    if config.char_weight > 0:
        views.append((config.char_weight, _tfidf(normalised if config.char_on_normalised else raw,
                                                 analyzer="char_wb", ngram_range=(3, 5))))
    if config.vocabulary_weight > 0:
        views.append((config.vocabulary_weight, _tfidf(normalised, ngram_range=(1, 1),
                                                       token_pattern=r"(?u)\b\w+\b")))
    if config.stage_weight > 0 and stages is not None and n:
        codes = np.where(np.asarray(stages, dtype=np.int64) < 0, 0, np.asarray(stages, dtype=np.int64))
        views.append((config.stage_weight, sp.csr_matrix((np.ones(n, dtype=np.float32), (np.arange(n), codes)),
                                                         shape=(n, int(codes.max()) + 1))))
    dense_views = _embedding_views(texts, config, embed) if config.embedding_weight > 0 and n else []
    views.extend(dense_views)
    blocks: list[sp.csr_matrix] = []
    dense_blocks: list[np.ndarray] = []
    for weight, rows in views:
        if rows is None:
            continue
        scale = weight / (_spread(rows, config) if config.calibrate and n > 2 else 1.0)
        if sp.issparse(rows):
            blocks.append(sp.csr_matrix(np.float32(np.sqrt(scale)) * rows))
        else:
            dense_blocks.append(np.asarray(rows, dtype=np.float32) * np.float32(np.sqrt(scale)))
    sparse = sp.hstack(blocks, format="csr") if blocks else sp.csr_matrix((n, 1), dtype=np.float32)
    dense = np.hstack(dense_blocks) if dense_blocks else None
    # Normalise each row over both parts, so a row's dot product with itself is 1 (0 for an empty text).
    norm2 = np.asarray(sparse.multiply(sparse).sum(axis=1), dtype=np.float64).ravel()
    if dense is not None:
        norm2 += (dense.astype(np.float64) ** 2).sum(axis=1)
    inv = np.divide(1.0, np.sqrt(norm2), out=np.zeros_like(norm2), where=norm2 > 0)
    sparse = sp.csr_matrix(sp.diags(inv.astype(np.float32)) @ sparse)
    if dense is not None:
        dense = (dense * inv[:, None]).astype(np.float32)
    return Features(sparse, dense)


def _embedding_views(texts: list[str], config: GroupingConfig, embed: Embed | None) -> list[tuple[float, np.ndarray]]:
    """The sentence-embedding view(s) as (weight, unit rows); none when no model can be loaded."""
    from .embedding import EmbeddingUnavailable
    if embed is None:
        from .embedding import get_embedder
        try:
            embed = get_embedder()
        except EmbeddingUnavailable as error:
            log.warning("grouping without sentence embeddings: %s", error)
            return []
    try:
        vectors = np.asarray(embed(list(texts)), dtype=np.float32).copy()
    except EmbeddingUnavailable as error:
        log.warning("grouping without sentence embeddings: %s", error)
        return []
    parts = tuple(getattr(embed, "parts", None) or (vectors.shape[1],))
    if config.embedding_mode == "bridge":
        return [(config.embedding_weight, bridge_embeddings(vectors, parts, texts, config))]
    if len(parts) == 1:
        shares = [1.0]
    else:  # the first part (English) gets embedding_mix, the others share the rest
        shares = [config.embedding_mix] + [(1.0 - config.embedding_mix) / (len(parts) - 1)] * (len(parts) - 1)
    views, start = [], 0
    for width, share in zip(parts, shares):
        views.append((config.embedding_weight * share, vectors[:, start:start + width]))
        start += width
    return views


def cut_threshold(features: Features, config: GroupingConfig) -> float:
    """The average-linkage cut (cosine distance): a percentile of the discovery's own pairwise
    distances (a deterministic sample of at most ``percentile_sample`` distinct texts), or the fixed one."""
    n = len(features)
    if config.cut_percentile is None or n < 3:
        return config.threshold
    idx = np.arange(n)
    if n > config.percentile_sample:
        idx = np.sort(np.random.default_rng(config.seed).choice(n, config.percentile_sample, replace=False))
    dist = 1.0 - features.take(idx).gram()
    if config.cut_rule == "nearest":
        np.fill_diagonal(dist, np.inf)
        values = dist.min(axis=1)
    else:
        values = dist[np.triu_indices(len(idx), k=1)]
    return float(np.clip(np.percentile(values, config.cut_percentile), 0.0, 2.0))


def _cluster_exact(features: Features, threshold: float, groups: np.ndarray | None = None,
                   apart: np.ndarray | None = None) -> np.ndarray:
    """Average-linkage on cosine distance with must-/cannot-link between pinned rows, and cannot-link
    between the row pairs of ``apart`` (k x 2; a pinned pair's must-link wins); labels 0..k-1."""
    n = len(features)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    dist = np.clip(1.0 - features.gram(), 0.0, 2.0)
    if apart is not None and len(apart):
        dist[apart[:, 0], apart[:, 1]] = CANNOT_LINK
        dist[apart[:, 1], apart[:, 0]] = CANNOT_LINK
    if groups is not None and (groups >= 0).sum() > 1:
        pinned = np.flatnonzero(groups >= 0)
        g = groups[pinned]
        dist[np.ix_(pinned, pinned)] = np.where(g[:, None] == g[None, :], 0.0, CANNOT_LINK)
    np.fill_diagonal(dist, 0.0)
    Z = linkage(squareform(dist, checks=False), method="average")
    return fcluster(Z, t=threshold, criterion="distance").astype(np.int64) - 1


def _cluster_large(features: Features, weights: np.ndarray, threshold: float, config: GroupingConfig,
                   groups: np.ndarray | None) -> np.ndarray:
    """Representatives clustered exactly; the rest assigned by average similarity to cluster sums."""
    n = len(features)
    labels = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    rng = np.random.default_rng(config.seed)
    next_label = 0
    min_sim = 1.0 - threshold
    groups = np.full(n, -1, dtype=np.int64) if groups is None else groups
    for _ in range(config.rounds):
        if len(remaining) <= config.max_exact:
            break
        # The sample: pinned texts, then the most repeated (they anchor the big themes), then at random.
        priority = np.where(groups[remaining] >= 0, np.inf, weights[remaining])
        order = remaining[np.argsort(-priority, kind="stable")]
        head = max(config.max_exact // 2, int((groups[remaining] >= 0).sum()))
        head = min(head, config.max_exact)
        top, rest_pool = order[:head], order[head:]
        sample = np.concatenate([top, rng.choice(rest_pool, config.max_exact - len(top), replace=False)])
        sub = _cluster_exact(features.take(sample), threshold, groups[sample])
        k = int(sub.max()) + 1
        member = sp.csr_matrix((np.ones(len(sample), dtype=np.float32), (sub, np.arange(len(sample)))),
                               shape=(k, len(sample)))
        sizes = np.asarray(member.sum(axis=1)).ravel()
        sums = features.take(sample).sums(member)
        labels[sample] = sub + next_label
        others = np.setdiff1d(remaining, sample, assume_unique=True)
        joined = np.zeros(len(others), dtype=bool)
        # A pinned text outside the sample joins its group's cluster when the sample holds that group.
        sampled_groups, first = np.unique(groups[sample], return_index=True)
        keep = sampled_groups >= 0
        sampled_groups, group_labels = sampled_groups[keep], sub[first[keep]]
        follows = np.isin(groups[others], sampled_groups)
        if follows.any():
            labels[others[follows]] = group_labels[np.searchsorted(sampled_groups, groups[others[follows]])] + next_label
            joined |= follows
        free = ~follows & (groups[others] < 0)  # a pinned text whose group is not sampled waits for a later round
        # A free (new) text joins the cluster it is on average similar enough to, a theme's included.
        free_idx = np.flatnonzero(free)
        for start in range(0, len(free_idx), 4096):
            pos = free_idx[start:start + 4096]
            idx = others[pos]
            mean_sim = features.take(idx).dot_sums(sums) / sizes  # average similarity to each cluster
            best = mean_sim.argmax(axis=1)
            ok = mean_sim[np.arange(len(idx)), best] >= min_sim
            labels[idx[ok]] = best[ok] + next_label
            joined[pos] = ok
        next_label += k
        remaining = others[~joined]
    if len(remaining):
        if len(remaining) <= config.max_exact:
            labels[remaining] = _cluster_exact(features.take(remaining), threshold, groups[remaining]) + next_label
        else:  # still too many after all rounds: one-offs
            labels[remaining] = np.arange(len(remaining)) + next_label
    return labels


def _cluster(features: Features, weights: np.ndarray, threshold: float, config: GroupingConfig,
             groups: np.ndarray, apart: np.ndarray | None = None) -> np.ndarray:
    """``apart``: cannot-link row pairs, kept on the exact path (a discovery of up to ``max_exact``
    distinct texts); the representatives' path keeps only the pinned groups' constraints."""
    if len(features) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(features) <= config.max_exact:
        return _cluster_exact(features, threshold, groups, apart)
    return _cluster_large(features, weights, threshold, config, groups)


@dataclass
class Grouping:
    """A proposal and what it was computed from (for cohesion and the review flags)."""

    proposal: pd.DataFrame       # PROPOSAL_COLUMNS
    unit_of: pd.Series           # sticky_id -> row of ``features``
    features: Features
    threshold: float             # the cut used (cosine distance)


def _empty_proposal() -> pd.DataFrame:
    return pd.DataFrame({"sticky_id": pd.Series(dtype=object), "cluster": pd.Series(dtype="int64"),
                         "centrality": pd.Series(dtype="float64"), "title": pd.Series(dtype=object)})


@dataclass
class _Units:
    """The distinct texts the grouping compares: one unit per distinct (text, stage, kind, pin)."""

    frame: pd.DataFrame          # one row per sticky with a text: sticky_id, text, stage_index, opp, group, key
    codes: np.ndarray            # each row's unit
    texts: list[str]             # each unit's text
    stages: np.ndarray | None    # each unit's stage (None: the stage is not a view)
    groups: np.ndarray           # each unit's pin group (-1: not pinned)
    is_opp: np.ndarray           # whether the unit is an opportunity's (when they attach to pain)
    weights: np.ndarray          # how many stickies each unit stands for


def _units(stickies: pd.DataFrame, config: GroupingConfig, pins: pd.DataFrame | None) -> _Units | None:
    """Repeated stickies are compared once: the units of ``stickies`` (None when no sticky has a text)."""
    frame = stickies.loc[:, ["sticky_id", "text"]].copy()
    frame["sticky_id"] = frame["sticky_id"].astype(str)
    frame["text"] = frame["text"].fillna("").astype(str)
    use_stage = config.stage_weight > 0 and "stage_index" in stickies.columns
    frame["stage_index"] = stickies["stage_index"].fillna(0).astype("int64").to_numpy() if use_stage else 0
    use_kind = config.attach_opportunities and "kind" in stickies.columns
    frame["opp"] = (stickies["kind"].to_numpy() == "opportunity") if use_kind else False
    frame = frame[frame["text"].str.strip() != ""]
    if frame.empty:
        return None
    group_of = {}
    if pins is not None and len(pins):
        group_of = dict(zip(pins["sticky_id"].astype(str), pins["group"].astype("int64")))
    frame["group"] = frame["sticky_id"].map(group_of).fillna(-1).astype("int64")
    # One unit per distinct (text, stage, kind, pin): repeated stickies are clustered once.
    if config.use_vocabulary:
        base = frame["text"].map(normalise_text)
        base = base.where(base != "", frame["text"].str.lower())
    else:
        base = frame["text"].str.lower().str.split().str.join(" ")
    frame["key"] = (base + "\x00" + frame["stage_index"].astype(str) + "\x00" + frame["opp"].astype(str)
                    + "\x00" + frame["group"].astype(str))
    codes, uniques = pd.factorize(frame["key"], sort=True)
    firsts = frame.groupby(codes, sort=True).first()
    return _Units(frame, codes, list(firsts["text"]), firsts["stage_index"].to_numpy() if use_stage else None,
                  firsts["group"].to_numpy(dtype=np.int64), firsts["opp"].to_numpy(dtype=bool),
                  np.bincount(codes, minlength=len(uniques)).astype(np.float64))


def _attach(features: Features, rows: np.ndarray, member: sp.csr_matrix,
            threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """How opportunities attach to clusters of pain points. ``member``: clusters x units, how many of
    each cluster's pain points a unit stands for. For each unit of ``rows``: the cluster whose pain
    points it is on average most similar to, and whether that average reaches the cut (1 - threshold)."""
    sums = features.sums(member)
    sizes = np.asarray(member.sum(axis=1)).ravel()
    best = np.zeros(len(rows), dtype=np.int64)
    ok = np.zeros(len(rows), dtype=bool)
    for start in range(0, len(rows), 4096):
        idx = rows[start:start + 4096]
        mean_sim = features.take(idx).dot_sums(sums) / sizes
        best[start:start + len(idx)] = mean_sim.argmax(axis=1)
        ok[start:start + len(idx)] = mean_sim[np.arange(len(idx)), best[start:start + len(idx)]] >= 1.0 - threshold
    return best, ok


def group_stickies(stickies: pd.DataFrame, config: GroupingConfig = DEFAULT_CONFIG, embed: Embed | None = None,
                   pins: pd.DataFrame | None = None, apart: pd.DataFrame | None = None) -> Grouping:
    """Propose a cluster for every sticky given (filter to THEMED_KINDS before calling).

    Input columns: sticky_id, text, optionally kind (opportunities attach to pain clusters) and
    stage_index. ``pins``: sticky_id, group (a person's decision: same group = must-link, different =
    cannot-link). ``apart``: sticky_id_a, sticky_id_b pairs a person said are different problems (the
    guided review's no, issue 22): cannot-link unless a pin says otherwise. Output proposal (PROPOSAL_COLUMNS): one row per sticky with non-blank text;
    ``cluster`` is 0..k-1, biggest first (ties: smallest sticky_id); ``centrality`` is the sticky's
    average similarity to its cluster; ``title`` is the cluster's most representative text (a pain
    point's when it has one; among the central ones a whole statement without one team's figures:
    :func:`title_flaws`), shortened. Blank stickies get no row.
    """
    empty = Grouping(_empty_proposal(), pd.Series(dtype="int64"), Features(sp.csr_matrix((0, 1)), None),
                     config.threshold)
    if stickies.empty:
        return empty
    units = _units(stickies, config, pins)
    if units is None:
        return empty
    frame, codes, texts = units.frame, units.codes, units.texts
    groups, is_opp, weights = units.groups, units.is_opp, units.weights
    features = vectorise(texts, units.stages, config, embed)

    pain = np.flatnonzero(~is_opp)
    opp = np.flatnonzero(is_opp)
    base_units = pain if len(pain) else opp
    threshold = cut_threshold(features.take(base_units), config)
    ulabels = np.full(len(texts), -1, dtype=np.int64)
    ulabels[base_units] = _cluster(features.take(base_units), weights[base_units], threshold, config,
                                   groups[base_units], _apart_rows(apart, frame, codes, base_units))
    k = int(ulabels.max()) + 1
    if len(pain) and len(opp):
        # Opportunities join the pain cluster they are on average most similar to, if close enough;
        # a pinned one joins the cluster of its group's pinned pain points when there is one.
        member = sp.csr_matrix((weights[pain].astype(np.float32), (ulabels[pain], pain)), shape=(k, len(ulabels)))
        best, ok = _attach(features, opp, member, threshold)
        group_cluster = {int(g): int(c) for g, c in zip(groups[pain], ulabels[pain]) if g >= 0}
        left = []
        for j, unit in enumerate(opp):
            g = int(groups[unit])
            if g >= 0:
                if g in group_cluster:
                    ulabels[unit] = group_cluster[g]
                else:
                    left.append(unit)
            elif ok[j]:
                ulabels[unit] = best[j]
            else:
                left.append(unit)
        if left:
            left = np.asarray(left)
            ulabels[left] = _cluster(features.take(left), weights[left], threshold, config, groups[left]) + k
        k = int(ulabels.max()) + 1

    # Centrality: average similarity of each distinct text to its cluster (weighted by repeats).
    member = sp.csr_matrix((weights.astype(np.float32), (ulabels, np.arange(len(ulabels)))),
                           shape=(k, len(ulabels)))
    sizes = np.asarray(member.sum(axis=1)).ravel()
    sums = features.sums(member)
    centrality = np.ones(len(ulabels), dtype=np.float64)
    order = np.argsort(ulabels, kind="stable")
    bounds = np.searchsorted(ulabels[order], np.arange(k + 1))
    for label in np.flatnonzero(sizes > 1):
        part = order[bounds[label]:bounds[label + 1]]
        if len(part) > 1:
            own = (sums[0][label], None if sums[1] is None else np.asarray(sums[1])[label:label + 1])
            centrality[part] = features.take(part).dot_sums(own).ravel() / sizes[label]
    frame["unit"] = codes
    frame["ulabel"] = ulabels[codes]
    frame["centrality"] = centrality[codes]
    # Deterministic cluster numbering: biggest first, then by smallest sticky id.
    stats = frame.groupby("ulabel").agg(size=("sticky_id", "size"), first=("sticky_id", "min"))
    stats = stats.sort_values(["size", "first"], ascending=[False, True])
    renumber = pd.Series(np.arange(len(stats)), index=stats.index)
    frame["cluster"] = frame["ulabel"].map(renumber).astype("int64")
    # Title: the most central pain point's text; ties -> shorter text, then smallest sticky id. In a
    # discovery written mostly in English, an English sticky is preferred (the page, the workbook and
    # the steering meeting read the titles; a theme of eight English and two Spanish stickies is not
    # titled in Spanish); in a discovery mostly in another language, no language is preferred.
    frame["_len"] = frame["text"].str.len()
    english = np.array([looks_english(t) for t in texts], dtype=bool)[codes]
    frame["_other_language"] = ~english if english.mean() >= 0.5 else False
    # A title names what the stickies share (issue 22): among the central ones, a whole statement
    # rather than a figure peculiar to one team ("2 wks", "40 steps"), a two-word note or a retort
    # ("really?"). Each flaw costs TITLE_FLAW of centrality, so a clearly more central sticky still wins.
    frame["_statement"] = frame["centrality"] - TITLE_FLAW * frame["text"].map(title_flaws)
    best = frame.sort_values(["cluster", "opp", "_other_language", "_statement", "_len", "sticky_id"],
                             ascending=[True, True, True, False, True, True]).drop_duplicates("cluster")
    titles = best.set_index("cluster")["text"].map(shorten_title)
    frame["title"] = frame["cluster"].map(titles)
    out = frame.loc[:, PROPOSAL_COLUMNS].sort_values(["cluster", "sticky_id"], kind="stable").reset_index(drop=True)
    unit_of = pd.Series(frame["unit"].to_numpy(), index=frame["sticky_id"].to_numpy())
    return Grouping(out, unit_of, features, threshold)


def _apart_rows(apart: pd.DataFrame | None, frame: pd.DataFrame, codes: np.ndarray,
                base_units: np.ndarray) -> np.ndarray | None:
    """The cannot-link pairs as rows of ``base_units`` (pairs within one unit, or outside it, dropped)."""
    if apart is None or not len(apart):
        return None
    unit = pd.Series(codes, index=frame["sticky_id"].to_numpy())
    unit = unit[~unit.index.duplicated()]
    position = pd.Series(np.arange(len(base_units)), index=base_units)
    a = apart["sticky_id_a"].astype(str).map(unit).map(position)
    b = apart["sticky_id_b"].astype(str).map(unit).map(position)
    keep = a.notna() & b.notna() & (a != b)
    if not keep.any():
        return None
    return np.column_stack([a[keep].astype(np.int64).to_numpy(), b[keep].astype(np.int64).to_numpy()])


@dataclass
class PainFit:
    """The grouping's features of a discovery's pain points and opportunities and its cut: which pain
    points an opportunity addresses, as :func:`group_stickies` attaches opportunities (:func:`pain_fit`)."""

    unit_of: pd.Series           # sticky_id -> its unit (a row of ``features``)
    is_opp: np.ndarray           # per unit: an opportunity's
    features: Features | None    # None: no pain point to address
    threshold: float             # the cut (cosine distance)
    TOP = 2                      # how many of a side's nearest pain points weigh its claim (addressed)

    def addressed(self, sides: Sequence[Sequence[str]], opportunities: Sequence[str]) -> dict[str, int]:
        """opportunity sticky_id -> the side it addresses (an index of ``sides``, lists of pain points'
        sticky ids): the side it is on average most similar to, as the grouping attaches it, when that
        is also the side of its nearest pain points (the mean of its TOP similarities there, a side of
        fewer counting 0 for the missing) and its best similarity there reaches the cut; where the two
        disagree it addresses none clearly and is left out (the caller leaves it where it is). The
        average alone misled: the themes a person cuts apart are the mixed ones, and a few strangers
        among the pain points staying pulled their average below one unrelated sticky's (a new owner
        split "No uptime checks on forms" off a theme of access pains, and "Access granted from HR
        system on day 1" went with it). The nearest alone would let one pain point moved elsewhere take
        the idea its old theme's other pain points address. An opportunity that addresses none of
        them, or has no text, is left out; a side without pain points addresses nothing."""
        if self.features is None:
            return {}
        side_of, unit = [], []
        for side, ids in enumerate(sides):
            units = self.unit_of.reindex([str(s) for s in ids]).dropna().astype("int64").to_numpy()
            units = units[~self.is_opp[units]]
            side_of += [side] * len(units)
            unit += units.tolist()
        ideas = [str(o) for o in dict.fromkeys(opportunities)
                 if str(o) in self.unit_of.index and self.is_opp[self.unit_of[str(o)]]]
        if not unit or not ideas:
            return {}
        pains = sp.csr_matrix((np.ones(len(unit), dtype=np.float32), (np.arange(len(unit)), unit)),
                              shape=(len(unit), len(self.is_opp)))
        sim = self.features.take(self.unit_of.loc[ideas].to_numpy(dtype=np.int64)).dot_sums(self.features.sums(pains))
        side_of = np.asarray(side_of)
        present = sorted(set(side_of.tolist()))
        nearest = np.zeros((len(ideas), len(present)))
        mean = np.zeros((len(ideas), len(present)))
        for k, side in enumerate(present):
            here = sim[:, side_of == side]
            nearest[:, k] = (-np.sort(-here, axis=1)[:, :self.TOP]).sum(axis=1) / self.TOP
            mean[:, k] = here.mean(axis=1)
        best, by_mean = nearest.argmax(axis=1), mean.argmax(axis=1)
        return {idea: present[b] for idea, b, m, row in zip(ideas, best, by_mean, sim)
                if b == m and row[side_of == present[b]].max() >= 1.0 - self.threshold}


def pain_fit(stickies: pd.DataFrame, config: GroupingConfig = DEFAULT_CONFIG, embed: Embed | None = None) -> PainFit:
    """The features and the cut :func:`group_stickies` would compute for ``stickies`` (the discovery's
    pain points and opportunities: sticky_id, text, kind, optionally stage_index), to ask which pain
    points an opportunity addresses (:meth:`PainFit.addressed`) when a person moves pain points."""
    none = PainFit(pd.Series(dtype="int64"), np.zeros(0, dtype=bool), None, config.threshold)
    if stickies.empty or not config.attach_opportunities or "kind" not in stickies.columns:
        return none
    units = _units(stickies, config, None)
    if units is None or units.is_opp.all():
        return none
    features = vectorise(units.texts, units.stages, config, embed)
    unit_of = pd.Series(units.codes, index=units.frame["sticky_id"].to_numpy())
    return PainFit(unit_of[~unit_of.index.duplicated()], units.is_opp, features,
                   cut_threshold(features.take(np.flatnonzero(~units.is_opp)), config))


def propose_themes(stickies: pd.DataFrame, config: GroupingConfig = DEFAULT_CONFIG, embed: Embed | None = None,
                   pins: pd.DataFrame | None = None) -> pd.DataFrame:
    """The proposal of :func:`group_stickies` (PROPOSAL_COLUMNS)."""
    return group_stickies(stickies, config, embed, pins).proposal


def cohesion(grouping: Grouping, assignments: pd.DataFrame) -> pd.Series:
    """theme_id -> the average similarity between two stickies of the theme (0..1; NaN for one sticky).

    ``assignments``: sticky_id, theme_id. Computed from cluster sums: (|sum|² - sum of |x|²) / (n(n-1)).
    """
    rows = assignments.dropna(subset=["theme_id"])
    rows = rows[rows["sticky_id"].astype(str).isin(grouping.unit_of.index)]
    if rows.empty:
        return pd.Series(dtype="float64")
    units = grouping.unit_of.loc[rows["sticky_id"].astype(str)].to_numpy()
    theme_codes, theme_ids = pd.factorize(rows["theme_id"].astype("int64"))
    member = sp.csr_matrix((np.ones(len(units), dtype=np.float32), (theme_codes, units)),
                           shape=(len(theme_ids), len(grouping.features)))
    sums = grouping.features.sums(member)
    total = np.asarray(sums[0].multiply(sums[0]).sum(axis=1), dtype=np.float64).ravel()
    if sums[1] is not None:
        total += (np.asarray(sums[1], dtype=np.float64) ** 2).sum(axis=1)
    self_sim = np.asarray(grouping.features.sparse.multiply(grouping.features.sparse).sum(axis=1)).ravel()
    if grouping.features.dense is not None:
        self_sim = self_sim + (grouping.features.dense.astype(np.float64) ** 2).sum(axis=1)
    diag = member @ self_sim
    n = np.asarray(member.sum(axis=1), dtype=np.float64).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n > 1, (total - diag) / (n * (n - 1)), np.nan)
    return pd.Series(np.clip(value, 0.0, 1.0), index=pd.Index(theme_ids, dtype="int64"), dtype="float64")


def theme_cohesion(stickies: pd.DataFrame, config: GroupingConfig = DEFAULT_CONFIG,
                   embed: Embed | None = None) -> pd.Series:
    """theme_id -> cohesion (see :func:`cohesion`) of stickies that already have a theme_id: the
    backlog's "how sure" when the grouping itself did not run (nothing changed since it last did)."""
    rows = stickies[stickies["theme_id"].notna()].loc[:, ["sticky_id", "text", "theme_id"]].copy()
    rows["text"] = rows["text"].fillna("").astype(str)
    rows = rows[rows["text"].str.strip() != ""]
    if rows.empty:
        return pd.Series(dtype="float64")
    rows["sticky_id"] = rows["sticky_id"].astype(str)
    codes, uniques = pd.factorize(rows["text"].str.lower().str.split().str.join(" "))
    texts = list(rows.groupby(codes, sort=True)["text"].first())
    features = vectorise(texts, None, replace(config, stage_weight=0.0), embed)
    grouping = Grouping(_empty_proposal(), pd.Series(codes, index=rows["sticky_id"].to_numpy()), features,
                        config.threshold)
    return cohesion(grouping, rows[["sticky_id", "theme_id"]])
