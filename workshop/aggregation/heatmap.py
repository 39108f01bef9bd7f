"""Heatmap: where on the journey it hurts, team by team.

Rows are teams, columns are every stage of the discovery in timeline order (a stage nobody
complained about still shows, as zeros: an empty column is information too). Values are counts of
pain stickies. Pure: DataFrame in, DataFrame out.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def pain_heatmap(stickies: pd.DataFrame, stages: Sequence[str], teams: Sequence[str] | None = None) -> pd.DataFrame:
    """Count pain stickies by team (index, sorted; or ``teams`` in the order given) x stage (columns).

    Input columns: team, kind, stage_index. ``teams`` lets teams with no pain still appear as a row.
    """
    stages = list(stages)
    pain = stickies[stickies["kind"] == "pain"]
    if teams is None:
        teams = sorted(set(stickies["team"].astype(str)))
    counts = pd.crosstab(pain["team"].astype(str), pain["stage_index"].astype("int64")) if not pain.empty \
        else pd.DataFrame()
    counts = counts.reindex(index=list(teams), columns=range(len(stages)), fill_value=0)
    counts = counts.astype("int64")
    counts.columns = pd.Index(stages, name="stage")
    counts.index = pd.Index(list(teams), name="team", dtype=object)
    return counts
