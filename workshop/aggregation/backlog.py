"""The backlog frame (BACKLOG_COLUMNS) and the stickies frame with themes attached (STICKY_COLUMNS).

Pure steps, composed by workshop.services.backlog around the database:

    proposal = propose_themes(themed(stickies))            # themes.py: the machine proposes
    rec = reconcile(proposal, previous, themes)            # reconcile.py: the person's decisions win
    ... the service creates the new themes and learns their ids ...
    stickies = attach_themes(stickies, assignments, titles)
    backlog = build_backlog(stickies, themes, total_teams, stages)   # priority.py ranks it
    heatmap = pain_heatmap(stickies, stages, teams)                  # heatmap.py

``aggregate`` runs the whole chain with provisional ids for new themes (tests, benchmarks).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from workshop.domain.kinds import THEMED_KINDS

from .heatmap import pain_heatmap
from .priority import prioritise
from .reconcile import Reconciliation, empty_themes, reconcile
from .report import BACKLOG_COLUMNS, STICKY_COLUMNS
from .themes import DEFAULT_CONFIG, GroupingConfig, propose_themes


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
                  stages: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per live theme that has at least one live sticky, in rank order (BACKLOG_COLUMNS).

    ``stickies``: STICKY_COLUMNS with theme_id filled. ``themes``: theme_id, title, value, effort,
    status (and merged_into_id; merged themes never appear). ``total_teams``: teams in the discovery
    (breadth's denominator), by default the teams present in ``stickies``.
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
                           "quick_win": bool})
    tagged["theme_id"] = tagged["theme_id"].astype("int64")
    tagged["team"] = tagged["team"].astype(str)
    tagged["workshop"] = tagged["workshop"].astype(str)
    tagged["votes"] = tagged["votes"].fillna(0).astype("int64")
    tagged["_pain"] = (tagged["kind"] == "pain").astype("int64")
    tagged["_opportunity"] = (tagged["kind"] == "opportunity").astype("int64")
    grouped = tagged.groupby("theme_id", sort=True)
    stats = pd.DataFrame({
        "team_count": grouped["team"].nunique(),
        "workshop_count": grouped["workshop_id"].nunique(),
        "sticky_count": grouped.size(),
        "pain_count": grouped["_pain"].sum(),
        "opportunity_count": grouped["_opportunity"].sum(),
        "votes": grouped["votes"].sum(),
    })
    tagged["_team_key"] = tagged["team"].str.casefold()
    stats["teams"] = _unique_lists(tagged, "team", "_team_key")
    stats["workshops"] = _unique_lists(tagged, "workshop", "workshop_id")
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
    return ranked.loc[:, BACKLOG_COLUMNS]


@dataclass
class Aggregation:
    stickies: pd.DataFrame       # STICKY_COLUMNS
    backlog: pd.DataFrame        # BACKLOG_COLUMNS
    heatmap: pd.DataFrame
    reconciliation: Reconciliation
    themes: pd.DataFrame         # the themes after this run (provisional ids for new ones)


def aggregate(stickies: pd.DataFrame, stages: Sequence[str], previous: pd.DataFrame | None = None,
              themes: pd.DataFrame | None = None, total_teams: int | None = None,
              config: GroupingConfig = DEFAULT_CONFIG) -> Aggregation:
    """The whole pure chain. New themes get provisional ids above the largest existing id."""
    themes = empty_themes() if themes is None else themes
    proposal = propose_themes(themed(stickies), config)
    rec = reconcile(proposal, previous, themes)
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
    backlog = build_backlog(out, all_themes, total_teams, stages)
    heat = pain_heatmap(out, stages)
    return Aggregation(stickies=out, backlog=backlog, heatmap=heat, reconciliation=rec, themes=all_themes)
