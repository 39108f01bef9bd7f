"""The backlog frame (BACKLOG_COLUMNS) and the stickies frame with themes attached (STICKY_COLUMNS).

Pure steps, composed by workshop.services.backlog around the database:

    grouping = group_stickies(themed(stickies), config, embed, anchor_groups(previous, themes))  # themes.py
    rec = reconcile(grouping.proposal, previous, themes)   # reconcile.py: the person's decisions win
    ... the service creates the new themes and learns their ids ...
    stickies = attach_themes(stickies, assignments, titles)
    backlog = build_backlog(stickies, themes, total_teams, stages)   # priority.py ranks it
    heatmap = pain_heatmap(stickies, stages, teams)                  # heatmap.py

``aggregate`` runs the whole chain with provisional ids for new themes (tests, benchmarks).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from workshop.domain.kinds import THEMED_KINDS

from .heatmap import pain_heatmap
from .priority import prioritise
from .reconcile import Reconciliation, decided_themes, empty_themes, pin_groups, reconcile
from .report import BACKLOG_COLUMNS, STICKY_COLUMNS
from .themes import DEFAULT_CONFIG, Embed, GroupingConfig, cohesion, group_stickies, uncut_title


def themed(stickies: pd.DataFrame) -> pd.DataFrame:
    """The stickies that the backlog groups into themes (pain points and opportunities)."""
    return stickies[stickies["kind"].isin(THEMED_KINDS)]


def attach_themes(stickies: pd.DataFrame, assignments: pd.DataFrame, titles: pd.Series | dict) -> pd.DataFrame:
    """Return a copy of ``stickies`` with theme_id (Int64) and theme (title or None) filled.

    ``assignments``: sticky_id, theme_id (Int64). ``titles``: theme_id -> title.
    Stickies without an assignment (events, systems, blank pain points) get <NA> / None.
    """
    out = stickies.copy()
    mapping = assignments.dropna(subset=["theme_id"]).drop_duplicates("sticky_id", keep="last") \
                         .set_index("sticky_id")["theme_id"]
    out["theme_id"] = pd.array(out["sticky_id"].astype(str).map(mapping), dtype="Int64")
    titles = pd.Series(titles, dtype=object)
    titles.index = titles.index.astype("int64")
    theme = titles.reindex(out["theme_id"].fillna(-1).astype("int64").to_numpy()).to_numpy(dtype=object, copy=True)
    theme[pd.isna(theme)] = None
    out["theme"] = pd.Series(theme, index=out.index, dtype=object)
    return out.loc[:, STICKY_COLUMNS]


def _unique_lists(frame: pd.DataFrame, col: str, order: str) -> pd.Series:
    keep = ["theme_id", col] if col == order else ["theme_id", col, order]
    pairs = frame.loc[:, keep].drop_duplicates(["theme_id", col]) \
                 .sort_values(list(dict.fromkeys(["theme_id", order, col])), kind="stable")
    return pairs.groupby("theme_id", sort=True)[col].agg(list)


def build_backlog(stickies: pd.DataFrame, themes: pd.DataFrame, total_teams: int | None = None,
                  stages: Sequence[str] | None = None, cohesion: pd.Series | dict | None = None,
                  shaped: set[int] | None = None) -> pd.DataFrame:
    """One row per live theme that has at least one live sticky, in rank order (BACKLOG_COLUMNS).

    ``stickies``: STICKY_COLUMNS with theme_id filled. ``themes``: theme_id, title, value, effort,
    status (and merged_into_id; merged themes never appear). ``total_teams``: teams in the discovery
    (breadth's denominator), by default the teams present in ``stickies``. ``cohesion``: theme_id ->
    average similarity of two of its stickies (themes.cohesion); the review flags use it. ``shaped``:
    themes a person has shaped (:func:`shaped_themes`), which the review flags leave alone.
    """
    cols = {c: pd.Series(dtype=object) for c in BACKLOG_COLUMNS}
    tagged = stickies[stickies["theme_id"].notna()].copy()
    if themes is not None and "merged_into_id" in themes.columns:
        themes = themes[themes["merged_into_id"].isna()]
    themes = empty_themes() if themes is None else themes
    tagged = tagged[tagged["theme_id"].isin(themes["theme_id"].dropna().astype("int64"))]
    if tagged.empty:
        out = pd.DataFrame(cols)
        return out.astype({"rank": "int64", "theme_id": "Int64", "team_count": "int64", "workshop_count": "int64",
                           "sticky_count": "int64", "pain_count": "int64", "opportunity_count": "int64",
                           "votes": "int64", "value": "Int64", "effort": "Int64", "priority": "float64",
                           "quick_win": bool, "cohesion": "float64", "check": bool})
    tagged["theme_id"] = tagged["theme_id"].astype("int64")
    tagged["team"] = tagged["team"].astype(str)
    tagged["workshop"] = tagged["workshop"].astype(str)
    tagged["votes"] = tagged["votes"].fillna(0).astype("int64")
    tagged["_pain"] = (tagged["kind"] == "pain").astype("int64")
    tagged["_opportunity"] = (tagged["kind"] == "opportunity").astype("int64")
    grouped = tagged.groupby("theme_id", sort=True)
    # Breadth and votes count pain points only: opportunities attach to a theme as ideas, never rank it.
    pains = tagged[tagged["_pain"] == 1]
    by_pain = pains.groupby("theme_id", sort=True)
    index = pd.Index(sorted(tagged["theme_id"].unique()), name="theme_id")
    stats = pd.DataFrame({
        "team_count": by_pain["team"].nunique().reindex(index, fill_value=0),
        "workshop_count": by_pain["workshop_id"].nunique().reindex(index, fill_value=0),
        "sticky_count": grouped.size().reindex(index),
        "pain_count": grouped["_pain"].sum().reindex(index),
        "opportunity_count": grouped["_opportunity"].sum().reindex(index),
        "votes": by_pain["votes"].sum().reindex(index, fill_value=0),
    }, index=index)
    pains = pains.assign(_team_key=pains["team"].str.casefold())
    for col, order in (("team", "_team_key"), ("workshop", "workshop_id")):
        lists = _unique_lists(pains, col, order) if len(pains) else pd.Series(dtype=object)
        stats[col + "s"] = [v if isinstance(v, list) else [] for v in lists.reindex(index)]
    stage_idx = _unique_lists(tagged, "stage_index", "stage_index")
    if stages is not None:
        names = list(stages)
        stats["stages"] = stage_idx.map(lambda idx: [names[i] for i in idx if 0 <= i < len(names)])
    else:
        first_name = tagged.drop_duplicates(["stage_index"]).set_index("stage_index")["stage"]
        stats["stages"] = stage_idx.map(lambda idx: [first_name[i] for i in idx])
    stats = stats.reset_index()
    meta = themes.loc[:, ["theme_id", "title", "value", "effort", "status"]].copy()
    meta["theme_id"] = meta["theme_id"].astype("int64")
    stats = stats.merge(meta, on="theme_id", how="left")
    stats["status"] = stats["status"].fillna("proposed")
    teams_total = total_teams if total_teams is not None else stickies["team"].nunique()
    ranked = prioritise(stats, teams_total)
    ranked["theme_id"] = ranked["theme_id"].astype("Int64")
    ranked["value"] = ranked["value"].astype("Int64")
    ranked["effort"] = ranked["effort"].astype("Int64")
    for col in ("team_count", "workshop_count", "sticky_count", "pain_count", "opportunity_count", "votes"):
        ranked[col] = ranked[col].astype("int64")
    ranked["shared_phrases"] = ranked["theme_id"].astype("int64").map(shared_phrases(tagged))
    ranked["shared_phrases"] = [v if isinstance(v, list) else [] for v in ranked["shared_phrases"]]
    coh = pd.Series(cohesion if cohesion is not None else {}, dtype="float64")
    ranked["cohesion"] = ranked["theme_id"].astype("int64").map(coh).astype("float64").round(3)
    ranked["check"] = review_flags(ranked, shaped=shaped)
    texts = tagged.groupby("theme_id")["text"].agg(list)
    ranked["full_title"] = [uncut_title(str(title), texts.get(int(theme), []))
                            for title, theme in zip(ranked["title"], ranked["theme_id"])]
    return ranked.loc[:, BACKLOG_COLUMNS]


#: Words that say nothing about a pain in the languages the embedding covers best (plus English's list).
_STOP = set(ENGLISH_STOP_WORDS) | {
    "der", "die", "das", "und", "ist", "nicht", "mit", "für", "auf", "ein", "eine", "zu", "den", "von", "im",
    "es", "wir", "ich", "bei", "noch", "nur", "wird", "sind", "dem", "des", "oder", "aber", "wie", "immer",
    "el", "la", "los", "las", "de", "del", "que", "y", "en", "un", "una", "por", "para", "con", "no", "se", "lo", "al", "muy", "hay", "le", "les", "et", "est", "pas", "pour", "une", "du", "au",
    "qui", "sur", "dans", "avec", "ne", "on", "nous", "il", "elle", "ce", "sont", "très", "toujours",
    "etc", "via", "ok", "eg", "ie"}


def shared_phrases(tagged: pd.DataFrame, limit: int = 3) -> pd.Series:
    """theme_id -> up to ``limit`` words or two-word phrases that most of its stickies share.

    A phrase counts once per sticky and must appear in at least two stickies and a third of the
    theme's; a longer phrase is preferred to a word it contains at the same count.
    """
    if tagged.empty:
        return pd.Series(dtype=object)
    pairs = tagged.loc[:, ["theme_id", "text"]].copy()
    pairs["text"] = pairs["text"].fillna("").astype(str).str.lower()
    sizes = pairs.groupby("theme_id").size()
    pairs = pairs[pairs["theme_id"].map(sizes) >= 2]
    if pairs.empty:
        return pd.Series(dtype=object)
    codes, texts = pd.factorize(pairs["text"])
    vec = CountVectorizer(binary=True, ngram_range=(1, 2), token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
                          stop_words=sorted(_STOP), dtype=np.int32)
    try:
        X = vec.fit_transform(list(texts))
    except ValueError:
        return pd.Series(dtype=object)
    theme_codes, theme_ids = pd.factorize(pairs["theme_id"].astype("int64"))
    member = sp.csr_matrix((np.ones(len(codes), dtype=np.int32), (theme_codes, codes)),
                           shape=(len(theme_ids), len(texts)))
    counts = (member @ X).tocsr()
    terms = vec.get_feature_names_out()
    n = np.asarray(member.sum(axis=1)).ravel()
    out = {}
    for row in range(counts.shape[0]):
        start, end = counts.indptr[row], counts.indptr[row + 1]
        idx, vals = counts.indices[start:end], counts.data[start:end]
        keep = vals >= max(2, int(np.ceil(n[row] / 3)))
        idx, vals = idx[keep], vals[keep]
        if not len(idx):
            continue
        order = sorted(zip(vals, idx), key=lambda p: (-p[0], -terms[p[1]].count(" "), terms[p[1]]))
        chosen: list[str] = []
        for _v, i in order:
            term = terms[i]
            if any(term in c.split() or term == c for c in chosen) or any(c in term.split() for c in chosen):
                continue
            chosen.append(term)
            if len(chosen) == limit:
                break
        out[int(theme_ids[row])] = chosen
    return pd.Series(out, dtype=object)


#: How alike a theme's stickies are, in words, against the discovery's other themes (see alike_levels).
ALIKE_WORDS = ("loosely alike", "fairly alike", "closely alike")


def alike_levels(ranked: pd.DataFrame) -> pd.Series:
    """Row -> 0, 1 or 2 (an index of ALIKE_WORDS) for the themes with a cohesion: the lowest third of
    the discovery's cohesions is 0, the highest 2 (a bare 0.19 means nothing to a product owner; where
    a theme stands among the discovery's own themes does). Fewer than 3 themes with a cohesion:
    nothing to compare, no level."""
    if ranked.empty or "cohesion" not in ranked:
        return pd.Series(dtype="int64")
    known = ranked["cohesion"].dropna()
    if len(known) < 3:
        return pd.Series(dtype="int64")
    low, high = known.quantile([1 / 3, 2 / 3]).tolist()
    return pd.Series(np.where(known <= low, 0, np.where(known > high, 2, 1)), index=known.index, dtype="int64")


def shaped_themes(themes: pd.DataFrame, previous: pd.DataFrame | None = None) -> set[int]:
    """Themes a person has shaped: decided something about (title, value, effort, status) or put
    stickies in by hand (a move, merge or split pins them). A theme someone curated is not one to
    flag for review (a walkthrough saw a theme merged by hand still flagged "check")."""
    shaped = set(decided_themes(themes)) if themes is not None and len(themes) else set()
    if previous is not None and len(previous):
        pinned = previous[previous["pinned"].fillna(False).astype(bool)]
        shaped |= set(pinned["theme_id"].dropna().astype("int64"))
    return shaped


def review_flags(ranked: pd.DataFrame, top: int = 10, count: int = 3, shaped: set[int] | None = None) -> pd.Series:
    """The least certain groupings worth a look before the steering meeting: among the ``top``
    highest-ranked themes, those nobody has shaped yet (``shaped``: accepted, renamed, estimated,
    stickies moved in or merged by hand: a person has looked at it) and still only proposed with at least 2 stickies (two unrelated stickies grouped together are
    the quickest mistake to see and undo) and not among the discovery's most alike
    (a theme the page calls "closely alike" is not one to doubt), the ``count`` with the lowest
    cohesion. Cohesion is a weak signal (rank correlation 0.28 with a theme's purity on the labelled
    fixtures), but the flags it picks hit 7 of the 12 least pure top-10 themes there (3.6 by chance;
    see docs/benchmarks.md): they say where to look first, not where every mistake is."""
    flags = pd.Series(False, index=ranked.index)
    if ranked.empty or "cohesion" not in ranked:
        return flags
    level = alike_levels(ranked).reindex(ranked.index)
    head = ranked.sort_values("rank", kind="stable").head(top)
    pool = head[(head["status"] == "proposed") & (head["sticky_count"] >= 2) & head["cohesion"].notna()
                & (level.loc[head.index] != 2)]
    if shaped:
        pool = pool[~pool["theme_id"].astype("int64").isin(shaped)]
    flags[pool.sort_values(["cohesion", "rank"]).head(count).index] = True
    return flags


@dataclass
class Aggregation:
    stickies: pd.DataFrame       # STICKY_COLUMNS
    backlog: pd.DataFrame        # BACKLOG_COLUMNS
    heatmap: pd.DataFrame
    reconciliation: Reconciliation
    themes: pd.DataFrame         # the themes after this run (provisional ids for new ones)


def anchor_groups(previous: pd.DataFrame | None, themes: pd.DataFrame | None) -> pd.DataFrame:
    """The constraints of a re-aggregation (sticky_id, group): every stored row of ``previous`` is
    one (must-link within its theme, cannot-link across themes), pinned by a person or not. Once
    grouped, a sticky stays in its theme until a person moves it, so a late workshop or one correction
    never reshuffles the stickies nobody touched; new stickies join the theme whose stickies they are
    close to, or form new themes. (The backlog service's ``regroup`` forgets the unpinned rows to
    group afresh.)"""
    return pin_groups(None if previous is None else previous.assign(pinned=True), themes)


def sticky_texts(stickies: pd.DataFrame) -> pd.Series:
    """sticky_id -> text: what a theme's automatic title may still be taken from."""
    return pd.Series(stickies["text"].to_numpy(), index=stickies["sticky_id"].astype(str).to_numpy())


def aggregate(stickies: pd.DataFrame, stages: Sequence[str], previous: pd.DataFrame | None = None,
              themes: pd.DataFrame | None = None, total_teams: int | None = None,
              config: GroupingConfig = DEFAULT_CONFIG, embed: Embed | None = None) -> Aggregation:
    """The whole pure chain. New themes get provisional ids above the largest existing id.

    The grouping's constraints are :func:`anchor_groups`."""
    themes = empty_themes() if themes is None else themes
    grouping = group_stickies(themed(stickies), config, embed, anchor_groups(previous, themes))
    rec = reconcile(grouping.proposal, previous, themes, texts=sticky_texts(stickies))
    start = int(themes["theme_id"].max()) + 1 if len(themes) else 1
    ids = {key: start + i for i, key in enumerate(rec.new_themes["new_key"])}
    assignments = rec.assignments.copy()
    fill = assignments["new_key"].map(ids).astype("Int64")
    assignments["theme_id"] = assignments["theme_id"].fillna(fill)
    new_rows = pd.DataFrame({"theme_id": pd.array(list(ids.values()), dtype="Int64"),
                             "title": rec.new_themes["title"].tolist(), "title_is_custom": False,
                             "value": pd.array([None] * len(ids), dtype="Int64"),
                             "effort": pd.array([None] * len(ids), dtype="Int64"), "status": "proposed",
                             "merged_into_id": pd.array([None] * len(ids), dtype="Int64")})
    all_themes = pd.concat([themes, new_rows], ignore_index=True) if len(themes) else new_rows
    if len(rec.retitled):
        retitle = rec.retitled.set_index("theme_id")["title"]
        all_themes = all_themes.copy()
        all_themes["title"] = [retitle.get(int(t), old) for t, old in zip(all_themes["theme_id"], all_themes["title"])]
    titles = dict(zip(all_themes["theme_id"].astype("int64"), all_themes["title"]))
    out = attach_themes(stickies, assignments, titles)
    backlog = build_backlog(out, all_themes, total_teams, stages,
                            cohesion=cohesion(grouping, assignments[["sticky_id", "theme_id"]]),
                            shaped=shaped_themes(all_themes, assignments))
    heat = pain_heatmap(out, stages)
    return Aggregation(stickies=out, backlog=backlog, heatmap=heat, reconciliation=rec, themes=all_themes)
