"""Priority: *most value, quickest* first.

Formula (documented in docs/adr/0005-theme-clustering.md too):

    demand   = 0.5 * breadth + 0.3 * votes_score + 0.2 * pain_score            (0..1)
      breadth     = team_count / teams in the discovery     (how widely it hurts: teams with a pain point in it)
      votes_score = log(1 + votes) / log(1 + most votes on any theme)     (votes on its pain points)
      pain_score  = log(1 + pain_count) / log(1 + most pain points on any theme)
    Opportunities attach to the theme they address and show as ideas; they never rank it.
    priority = value * (1 + 2 * demand) / effort                               (0.2 .. 15)
      value, effort: the product owner's 1..5 estimates; 3 when unset.

Why: breadth weighs most because a pain shared by many teams is what a platform fixes once for
all; votes and sticky counts are log-scaled so one loud workshop cannot drown the others. Until the
product owner estimates, value = effort = 3 and the order is by demand alone; once estimated, value
per unit of effort dominates (a factor of up to 25) and demand refines it (a factor of up to 3).

Quick win: effort is set and <= 2, and either value >= 4 or demand >= 0.5 (strong breadth/votes);
never for themes that are done or rejected.

Rank: open themes (proposed, accepted, in progress) first, then done, then rejected; within each,
priority as the page shows it (two decimals) descending, then team_count, pain_count, votes, the exact
priority, sticky_count descending, then title (case-insensitive) and theme_id ascending, so equal
scores always come out in the same order, and a tie the reader sees is broken by what the page shows
(issue 22: three top themes at "2.60" gave no order; "Why 2.60" says how the tie was broken).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_VALUE = 3
DEFAULT_EFFORT = 3
STATUS_ORDER = {"proposed": 0, "accepted": 0, "in progress": 0, "done": 1, "rejected": 2}


def _log_share(x: pd.Series) -> pd.Series:
    top = float(x.max()) if len(x) else 0.0
    if top <= 0:
        return pd.Series(0.0, index=x.index)
    return np.log1p(x.astype("float64")) / np.log1p(top)


def demand_terms(backlog: pd.DataFrame, total_teams: int) -> dict[int, dict]:
    """theme_id -> the three terms of its demand as the formula above weighs them (``breadth``,
    ``votes_score``, ``pain_score``) and the most votes and pain points on any theme they are counted
    against: what "Why 2.60" spells out, so a reader can redo the sum (a new product owner could not)."""
    if backlog is None or not len(backlog):
        return {}
    pains = backlog["pain_count"] if "pain_count" in backlog else backlog["sticky_count"]
    breadth = (backlog["team_count"].astype("float64") / max(int(total_teams), 1)).clip(upper=1.0)
    votes, pain = _log_share(backlog["votes"]), _log_share(pains)
    most_votes, most_pains = int(backlog["votes"].max()), int(pains.max())
    return {int(t): {"breadth": float(b), "votes_score": float(v), "pain_score": float(q),
                     "most_votes": most_votes, "most_pains": most_pains}
            for t, b, v, q in zip(backlog["theme_id"], breadth, votes, pain)}


def prioritise(themes: pd.DataFrame, total_teams: int) -> pd.DataFrame:
    """Add demand, priority, quick_win and rank; return the rows in rank order (a new frame).

    Input columns: theme_id, title, team_count, votes, sticky_count, value, effort, status, and
    pain_count (sticky_count stands in when it is absent).
    """
    out = themes.copy()
    if out.empty:
        for col, dtype in (("demand", "float64"), ("priority", "float64"), ("quick_win", bool), ("rank", "int64")):
            out[col] = pd.Series(dtype=dtype)
        return out
    breadth = out["team_count"].astype("float64") / max(int(total_teams), 1)
    demand = 0.5 * breadth.clip(upper=1.0) + 0.3 * _log_share(out["votes"]) + 0.2 * _log_share(out["pain_count"] if "pain_count" in out else out["sticky_count"])
    value = out["value"].astype("Float64").fillna(DEFAULT_VALUE).astype("float64")
    effort = out["effort"].astype("Float64").fillna(DEFAULT_EFFORT).astype("float64")
    out["demand"] = demand.round(6)
    out["priority"] = (value * (1.0 + 2.0 * demand) / effort).round(6)
    status = out["status"].fillna("proposed")
    open_ = status.map(STATUS_ORDER).fillna(0).astype("int64")
    out["quick_win"] = (out["effort"].notna() & (effort <= 2) & ((value >= 4) | (demand >= 0.5))
                        & (open_ == 0)).astype(bool)
    out["_status_rank"] = open_
    out["_title_key"] = out["title"].fillna("").astype(str).str.casefold()
    if "pain_count" not in out:
        out["pain_count"] = out["sticky_count"]
    # Ties as the page shows them (two decimals: three themes at "2.60" are tied to whoever reads it)
    # go to what the page knows: more teams with the pain, then more pain points, then more votes.
    out["_shown"] = out["priority"].round(2)
    out = out.sort_values(["_status_rank", "_shown", "team_count", "pain_count", "votes", "priority", "sticky_count",
                           "_title_key", "theme_id"],
                          ascending=[True, False, False, False, False, False, False, True, True], kind="mergesort")
    out = out.drop(columns=["_status_rank", "_title_key", "_shown"])
    out["rank"] = np.arange(1, len(out) + 1, dtype=np.int64)
    return out.reset_index(drop=True)
