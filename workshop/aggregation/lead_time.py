"""Lead time from the teams' own time stickies (the seed's "the time it takes for different parts"):
per team and round, the sum of its time-taken stickies along the timeline (from the start label to the
end label), in days, in total and per stage; per round, the median and the 85th percentile across the
teams that put time stickies on their board. Pure pandas, no database.

A day is 24 hours of waiting or work, as the board's durations count (a "2w" sticky is 14 days).
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

MINUTES_PER_DAY = 24 * 60


def lead_times(stickies: pd.DataFrame, workshop_round: Mapping[int, int], stages: list[str]) -> pd.DataFrame:
    """One row per (round, team) with time stickies: ``round``, ``team``, ``lead_time_days``, then one
    column per stage (its days), sorted by round and team."""
    columns = ["round", "team", "lead_time_days", *stages]
    if not len(stickies) or "duration_minutes" not in stickies.columns:
        return pd.DataFrame(columns=columns)
    timed = stickies[(stickies["kind"] == "time") & stickies["duration_minutes"].notna()].copy()
    if not len(timed):
        return pd.DataFrame(columns=columns)
    timed["round"] = timed["workshop_id"].map(lambda w: workshop_round.get(int(w), 1)).astype("int64")
    timed["days"] = timed["duration_minutes"].astype(float) / MINUTES_PER_DAY
    by_stage = timed.pivot_table(index=["round", "team"], columns="stage", values="days", aggfunc="sum",
                                 fill_value=0.0)
    by_stage = by_stage.reindex(columns=stages, fill_value=0.0)
    out = by_stage.reset_index()
    out.insert(2, "lead_time_days", by_stage.sum(axis=1).to_numpy())
    return out[columns].sort_values(["round", "team"], kind="stable").reset_index(drop=True)


def per_round(lead: pd.DataFrame) -> pd.DataFrame:
    """Per round: ``round``, ``teams`` (with time stickies), ``median_days``, ``p85_days``."""
    if not len(lead):
        return pd.DataFrame(columns=["round", "teams", "median_days", "p85_days"])
    grouped = lead.groupby("round")["lead_time_days"]
    return pd.DataFrame({"round": grouped.size().index.astype("int64"), "teams": grouped.size().to_numpy(),
                         "median_days": grouped.median().to_numpy(),
                         "p85_days": grouped.quantile(0.85).to_numpy()})


def time_stickies_without_duration(stickies: pd.DataFrame) -> list[str]:
    """The texts of the time-taken stickies that carry no duration: they count in no lead time."""
    if not len(stickies) or "duration_minutes" not in stickies.columns:
        return []
    undated = stickies[(stickies["kind"] == "time") & stickies["duration_minutes"].isna()]
    return [str(text) for text in undated["text"]]


def no_duration_note(stickies: pd.DataFrame, shown: int = 3) -> str | None:
    """Says how many time-taken stickies have no duration (and names a few), or None when all have one:
    where the lead time would be, so that a missing or partial lead time is never silent."""
    texts = time_stickies_without_duration(stickies)
    if not texts:
        return None
    named = ", ".join(f"“{_shortened(text)}”" for text in texts[:shown])
    more = f" and {len(texts) - shown} more" if len(texts) > shown else ""
    count = "1 time-taken sticky has" if len(texts) == 1 else f"{len(texts)} time-taken stickies have"
    return (f"{count} no duration, so the lead time leaves them out: {named}{more}. Type one in the sticky's "
            "duration field, or name it in its text (“Security review 2d”).")


def _shortened(text: str, most: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= most else one_line[:most - 1] + "…"
