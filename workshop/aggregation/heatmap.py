"""Heatmap: where on the journey it hurts, team by team.

Rows are teams, columns are every stage of the discovery in timeline order (a stage nobody
complained about still shows, as zeros: an empty column is information too). Values are counts of
pain stickies. ``pain_cells`` lists the pain stickies behind those counts, one row each, so that a
reader can open a cell and see what its number stands for. Pure: DataFrame in, DataFrame out.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

#: pain_cells: one row per pain sticky the heatmap counts (the sticky's STICKY_COLUMNS of the same name),
#: and "round" (int): the round of its workshop.
CELL_COLUMNS = ["team", "stage", "stage_index", "sticky_id", "text", "workshop", "round", "votes", "theme_id",
                "theme"]


def _teams(stickies: pd.DataFrame, teams: Sequence[str] | None) -> list[str]:
    """The heatmap's rows: ``teams`` in the order given, or every team of the stickies, sorted."""
    return list(teams) if teams is not None else sorted(set(stickies["team"].astype(str)))


def _counted(stickies: pd.DataFrame, n_stages: int, teams: Sequence[str]) -> pd.DataFrame:
    """The stickies the heatmap counts: pain points of one of its teams, at one of its stages."""
    return stickies[(stickies["kind"] == "pain") & stickies["team"].astype(str).isin(list(teams))
                    & stickies["stage_index"].between(0, n_stages - 1)]


def pain_heatmap(stickies: pd.DataFrame, stages: Sequence[str], teams: Sequence[str] | None = None) -> pd.DataFrame:
    """Count pain stickies by team (index, sorted; or ``teams`` in the order given) x stage (columns).

    Input columns: team, kind, stage_index. ``teams`` lets teams with no pain still appear as a row.
    """
    stages = list(stages)
    teams = _teams(stickies, teams)
    pain = _counted(stickies, len(stages), teams)
    counts = pd.crosstab(pain["team"].astype(str), pain["stage_index"].astype("int64")) if not pain.empty \
        else pd.DataFrame()
    counts = counts.reindex(index=teams, columns=range(len(stages)), fill_value=0)
    counts = counts.astype("int64")
    counts.columns = pd.Index(stages, name="stage")
    counts.index = pd.Index(teams, name="team", dtype=object)
    return counts


def pain_cells(stickies: pd.DataFrame, stages: Sequence[str], teams: Sequence[str] | None = None,
               rounds: Mapping[int, int] | None = None) -> pd.DataFrame:
    """The pain stickies behind each cell of ``pain_heatmap(stickies, stages, teams)``: CELL_COLUMNS,
    one row per sticky counted, with the heatmap's team (str) and stage name. Grouped by (team, stage)
    the sizes are the heatmap's values. In the heatmap's order (its teams, then stages), and within a
    cell the most voted first, then along the timeline. ``rounds``: workshop id -> its round (1 for a
    workshop it does not name, and for all without it).

    Input columns: STICKY_COLUMNS (team, kind, stage_index, position, workshop_id, and what CELL_COLUMNS
    names).
    """
    stages = list(stages)
    teams = _teams(stickies, teams)
    pain = _counted(stickies, len(stages), teams)
    row = {team: i for i, team in enumerate(teams)}
    out = pain.assign(team=pain["team"].astype(str), stage_index=pain["stage_index"].astype("int64"),
                      round=pd.Series([int((rounds or {}).get(int(w), 1)) for w in pain["workshop_id"]],
                                      index=pain.index, dtype="int64"))
    out = out.assign(stage=[stages[i] for i in out["stage_index"]], _row=out["team"].map(row))
    out = out.sort_values(["_row", "stage_index", "votes", "position", "sticky_id"],
                          ascending=[True, True, False, True, True], kind="stable")
    return out[CELL_COLUMNS].reset_index(drop=True)
