"""Theme proposal: group pain points and opportunities that say the same thing in different words.

Why this method (measured, see docs/benchmarks.md and docs/adr/0005-theme-clustering.md):
each sticky's text is normalised with a general platform-engineering vocabulary (synonyms and
abbreviations to one concept word), turned into TF-IDF word 1-2 grams of the normalised text plus
character 3-5 grams of the normalised text at half weight (which absorb typos and word forms; char
grams of the raw text measured worse: shared English fragments make unrelated stickies look alike), and grouped by average-linkage
agglomerative clustering on cosine distance with a fixed threshold. The sticky's stage on the
timeline is a weak extra signal (a one-hot at weight 0.3 before normalising: two stickies of the same
stage are a little more alike; measured +0.06 ARI on the fixture, whose stages are partly synthetic).

Scale: identical normalised texts are clustered once. Up to ``max_exact`` distinct texts are
clustered exactly (a dense matrix of at most ``max_exact``² distances). Beyond that a sample of
representatives is clustered exactly and every other text joins the cluster whose members it is on
average similar enough to (the average-linkage criterion, computed sparsely against cluster sums);
texts that join nothing are clustered in further rounds. No n² matrix is ever built for n stickies.

Pure: DataFrame in, DataFrame out; inputs are never mutated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .vocabulary import normalise_text

# A proposed theme's title (its most central sticky's text) is cut shorter than the longest title a
# person may give (domain.validation.THEME_TITLE_MAX), to read at a glance in the backlog.
PROPOSED_TITLE_CHARS = 80


@dataclass(frozen=True)
class GroupingConfig:
    """How stickies are compared and cut into themes. Defaults are the measured winner."""

    use_vocabulary: bool = True
    word_weight: float = 1.0   # TF-IDF word 1-2 grams (of the normalised text when use_vocabulary)
    char_weight: float = 0.5   # TF-IDF char_wb 3-5 grams (absorb typos and word forms)
    char_on_normalised: bool = True  # char grams of the normalised text (raw text: noisier)
    word_ngrams: tuple[int, int] = (1, 2)
    stage_weight: float = 0.3  # weight of a one-hot of the sticky's stage (a weak signal)
    threshold: float = 0.88    # average-linkage cut, cosine distance
    max_exact: int = 2000      # distinct texts clustered exactly; beyond that: representatives
    rounds: int = 4            # representative rounds before leftovers become one-offs
    seed: int = 0


DEFAULT_CONFIG = GroupingConfig()

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


def vectorise(texts: list[str], stages: np.ndarray | None, config: GroupingConfig) -> sp.csr_matrix:
    """Rows are L2-normalised feature vectors, so a dot product is cosine similarity.

    IDF is fitted on the discovery's own texts: words everybody uses ("slow", "wait") weigh less
    than the words that distinguish one pain from another.
    """
    blocks: list[sp.csr_matrix] = []
    raw = [str(t).lower() for t in texts]
    if config.word_weight > 0:
        words = [normalise_text(t) for t in texts] if config.use_vocabulary else raw
        vec = TfidfVectorizer(ngram_range=config.word_ngrams, sublinear_tf=True, token_pattern=r"(?u)\b\w+\b",
                              stop_words=None if config.use_vocabulary else "english",
                              dtype=np.float32)
        try:
            blocks.append(config.word_weight * normalize(vec.fit_transform(words)))
        except ValueError:  # empty vocabulary: only stop words / digits
            pass
    if config.char_weight > 0:
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                              dtype=np.float32)
        try:
            source = [normalise_text(t) or t.lower() for t in texts] if config.char_on_normalised else raw
            blocks.append(config.char_weight * normalize(vec.fit_transform(source)))
        except ValueError:
            pass
    if config.stage_weight > 0 and stages is not None and len(texts):
        codes = np.asarray(stages, dtype=np.int64)
        codes = np.where(codes < 0, 0, codes)
        onehot = sp.csr_matrix((np.full(len(codes), config.stage_weight, dtype=np.float32),
                                (np.arange(len(codes)), codes)), shape=(len(codes), int(codes.max()) + 1))
        blocks.append(onehot)
    if not blocks:
        return sp.csr_matrix((len(texts), 1), dtype=np.float32)
    return normalize(sp.hstack(blocks, format="csr"))


def _cluster_exact(X: sp.csr_matrix, threshold: float) -> np.ndarray:
    """Average-linkage on cosine distance; labels 0..k-1."""
    n = X.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    sim = (X @ X.T).toarray().astype(np.float64)
    dist = np.clip(1.0 - sim, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    Z = linkage(squareform(dist, checks=False), method="average")
    return fcluster(Z, t=threshold, criterion="distance").astype(np.int64) - 1


def _cluster_large(X: sp.csr_matrix, weights: np.ndarray, config: GroupingConfig) -> np.ndarray:
    """Representatives clustered exactly; the rest assigned by average similarity to cluster sums."""
    n = X.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    rng = np.random.default_rng(config.seed)
    next_label = 0
    min_sim = 1.0 - config.threshold
    for _ in range(config.rounds):
        if len(remaining) <= config.max_exact:
            break
        # Half the sample: the most repeated texts (they anchor the big themes); half at random.
        order = remaining[np.argsort(-weights[remaining], kind="stable")]
        top = order[: config.max_exact // 2]
        rest_pool = order[config.max_exact // 2:]
        sample = np.concatenate([top, rng.choice(rest_pool, config.max_exact - len(top), replace=False)])
        sub = _cluster_exact(X[sample], config.threshold)
        k = int(sub.max()) + 1
        member = sp.csr_matrix((np.ones(len(sample), dtype=np.float32), (sub, np.arange(len(sample)))),
                               shape=(k, len(sample)))
        sizes = np.asarray(member.sum(axis=1)).ravel()
        sums_t = (member @ X[sample]).T.tocsc()  # features x k
        labels[sample] = sub + next_label
        others = np.setdiff1d(remaining, sample, assume_unique=True)
        joined = np.zeros(len(others), dtype=bool)
        for start in range(0, len(others), 4096):
            idx = others[start:start + 4096]
            mean_sim = (X[idx] @ sums_t).toarray() / sizes  # average similarity to each cluster
            best = mean_sim.argmax(axis=1)
            ok = mean_sim[np.arange(len(idx)), best] >= min_sim
            labels[idx[ok]] = best[ok] + next_label
            joined[start:start + len(idx)] = ok
        next_label += k
        remaining = others[~joined]
    if len(remaining):
        if len(remaining) <= config.max_exact:
            labels[remaining] = _cluster_exact(X[remaining], config.threshold) + next_label
        else:  # still too many after all rounds: one-offs
            labels[remaining] = np.arange(len(remaining)) + next_label
    return labels


def propose_themes(stickies: pd.DataFrame, config: GroupingConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """Propose a cluster for every sticky given (filter to THEMED_KINDS before calling).

    Input columns: sticky_id, text, and optionally stage_index (used when ``stage_weight`` > 0).
    Output (PROPOSAL_COLUMNS): one row per sticky with non-blank text; ``cluster`` is 0..k-1, biggest
    first (ties: smallest sticky_id); ``centrality`` is the sticky's average similarity to its cluster;
    ``title`` is the cluster's most representative text, shortened. Blank stickies get no row.
    """
    if stickies.empty:
        return pd.DataFrame({"sticky_id": pd.Series(dtype=object), "cluster": pd.Series(dtype="int64"),
                             "centrality": pd.Series(dtype="float64"), "title": pd.Series(dtype=object)})
    frame = stickies.loc[:, ["sticky_id", "text"]].copy()
    frame["sticky_id"] = frame["sticky_id"].astype(str)
    frame["text"] = frame["text"].fillna("").astype(str)
    use_stage = config.stage_weight > 0 and "stage_index" in stickies.columns
    frame["stage_index"] = stickies["stage_index"].fillna(0).astype("int64").to_numpy() if use_stage else 0
    frame = frame[frame["text"].str.strip() != ""]
    if frame.empty:
        return propose_themes(stickies.iloc[0:0], config)
    # One vector per distinct (normalised text, stage): repeated stickies are clustered once.
    frame["key"] = frame["text"].map(normalise_text) if config.use_vocabulary else frame["text"].str.lower().str.strip()
    frame.loc[frame["key"] == "", "key"] = frame["text"].str.lower()
    frame["key"] = frame["key"] + "\x00" + frame["stage_index"].astype(str)
    codes, uniques = pd.factorize(frame["key"], sort=True)
    first_text = frame.groupby(codes, sort=True)["text"].first().to_numpy()
    first_stage = frame.groupby(codes, sort=True)["stage_index"].first().to_numpy()
    weights = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    X = vectorise(list(first_text), first_stage if use_stage else None, config)
    if len(uniques) <= config.max_exact:
        ulabels = _cluster_exact(X, config.threshold)
    else:
        ulabels = _cluster_large(X, weights, config)
    # Centrality: average similarity of each distinct text to its cluster (weighted by repeats).
    k = int(ulabels.max()) + 1
    member = sp.csr_matrix((weights.astype(np.float32), (ulabels, np.arange(len(ulabels)))),
                           shape=(k, len(ulabels)))
    sizes = np.asarray(member.sum(axis=1)).ravel()
    sums = (member @ X).tocsr()
    centrality = np.ones(len(ulabels), dtype=np.float64)
    order = np.argsort(ulabels, kind="stable")
    bounds = np.searchsorted(ulabels[order], np.arange(k + 1))
    for label in np.flatnonzero(sizes > 1):
        part = order[bounds[label]:bounds[label + 1]]
        if len(part) > 1:
            centrality[part] = (X[part] @ sums[label].T).toarray().ravel() / sizes[label]
    frame["ulabel"] = ulabels[codes]
    frame["centrality"] = centrality[codes]
    # Deterministic cluster numbering: biggest first, then by smallest sticky id.
    stats = frame.groupby("ulabel").agg(size=("sticky_id", "size"), first=("sticky_id", "min"))
    stats = stats.sort_values(["size", "first"], ascending=[False, True])
    renumber = pd.Series(np.arange(len(stats)), index=stats.index)
    frame["cluster"] = frame["ulabel"].map(renumber).astype("int64")
    # Title: the most central text; ties -> shorter text, then smallest sticky id.
    frame["_len"] = frame["text"].str.len()
    best = frame.sort_values(["cluster", "centrality", "_len", "sticky_id"],
                             ascending=[True, False, True, True]).drop_duplicates("cluster")
    titles = best.set_index("cluster")["text"].map(shorten_title)
    frame["title"] = frame["cluster"].map(titles)
    out = frame.loc[:, PROPOSAL_COLUMNS].sort_values(["cluster", "sticky_id"], kind="stable")
    return out.reset_index(drop=True)
