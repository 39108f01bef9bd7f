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


def teams_in_every_round(lead: pd.DataFrame) -> list[str]:
    """The teams with a lead time in every round there is (both rounds, with two): the ones a change
    of lead time is judged on, as a theme's change is judged on the teams that ran both rounds. A
    round-1 median over ten teams against a round-2 median over the three that ran it compares
    different teams (33.5 -> 14.0 days in the demo, where the same three teams went 40 -> 14)."""
    if not len(lead):
        return []
    rounds = lead["round"].nunique()
    keys = lead.assign(key=lead["team"].astype(str).str.casefold())
    per_team = keys.groupby("key")["round"].nunique()
    both = set(per_team[per_team == rounds].index)
    names = keys[keys["key"].isin(both)].drop_duplicates("key")["team"].astype(str)
    return sorted(names, key=str.casefold)


def compared_per_round(lead: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Per round, the lead time over the teams with one in every round (``per_round``'s columns), and
    those teams. With fewer than two rounds, or no team in every round, each round over its own teams
    and an empty list."""
    teams = teams_in_every_round(lead) if len(lead) and lead["round"].nunique() >= 2 else []
    if not teams:
        return per_round(lead), []
    keys = {t.casefold() for t in teams}
    return per_round(lead[lead["team"].astype(str).str.casefold().isin(keys)]), teams


def comparison_sentence(lead: pd.DataFrame, names: int = 8) -> str | None:
    """Beside the figures: on which teams each round's lead time is taken, and what every team's
    median was ('Compared on the 3 teams with times in both rounds (Checkout, Logistics and
    Payments); over every team with times: round 1 33.5 days (10 teams), round 2 14.0 (3).').
    None with fewer than two rounds."""
    if not len(lead) or lead["round"].nunique() < 2:
        return None
    _, teams = compared_per_round(lead)
    every = per_round(lead)
    both = "both rounds" if len(every) == 2 else "every round"
    overall = ", ".join(f"round {int(r.round)} {r.median_days:.1f} days ({int(r.teams)} team{'s' if r.teams != 1 else ''})"
                        for r in every.itertuples())
    if not teams:
        return f"No team has times in {both} yet, so each round's median is over its own teams: {overall}."
    shown = teams[:names] + ([f"{len(teams) - names} more"] if len(teams) > names else [])
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    who = f"the {len(teams)} teams" if len(teams) != 1 else "the one team"
    return (f"Compared on {who} with times in {both} ({listed}), as each theme's change is; "
            f"over every team with times: {overall}.")
