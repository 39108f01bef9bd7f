"""What stood near a theme's stickies on their boards: the events, systems and times around them,
and the deep-dive notes that point at them.

Pure pandas: the stickies frame (report.STICKY_COLUMNS) in, a frame of neighbours out.
"""
from __future__ import annotations

import pandas as pd

CONTEXT_KINDS = ("event", "system", "time")


def neighbours(stickies: pd.DataFrame, sticky_ids: list[str], window: float = 0.05, limit: int = 12) -> pd.DataFrame:
    """Events, systems and times within `window` of each given sticky along the same workshop's timeline.

    Returns columns kind, text, team, workshop, stage, duration_minutes, distance; nearest first,
    each neighbour once, at most `limit` rows.
    """
    columns = ["kind", "text", "team", "workshop", "stage", "duration_minutes", "distance"]
    if stickies.empty or not sticky_ids:
        return pd.DataFrame(columns=columns)
    sources = stickies.loc[stickies["sticky_id"].isin(sticky_ids), ["workshop_id", "position"]]
    context = stickies.loc[stickies["kind"].isin(CONTEXT_KINDS)]
    if sources.empty or context.empty:
        return pd.DataFrame(columns=columns)
    pairs = context.merge(sources.rename(columns={"position": "source_position"}), on="workshop_id")
    pairs = pairs.assign(distance=(pairs["position"] - pairs["source_position"]).abs())
    near = pairs.loc[pairs["distance"] <= window].sort_values(["distance", "sticky_id"])
    near = near.drop_duplicates("sticky_id").head(limit)
    return near[columns].reset_index(drop=True)


def notes_on(stickies: pd.DataFrame, sticky_ids: list[str]) -> pd.DataFrame:
    """The deep-dive notes (and other stickies) that point at the given stickies (``link_to``), e.g.
    "Only 2 security reviewers for 14 teams" on a pain point: columns kind, text, team, stage, on
    (the text they point at), in board order."""
    columns = ["kind", "text", "team", "stage", "on"]
    if stickies.empty or not sticky_ids or "link_to" not in stickies:
        return pd.DataFrame(columns=columns)
    pointing = stickies.loc[stickies["link_to"].isin(sticky_ids) & ~stickies["sticky_id"].isin(sticky_ids)]
    if pointing.empty:
        return pd.DataFrame(columns=columns)
    text_of = stickies.set_index("sticky_id")["text"]
    pointing = pointing.assign(on=pointing["link_to"].map(text_of))
    return pointing.sort_values(["workshop_id", "position", "sticky_id"])[columns].reset_index(drop=True)
