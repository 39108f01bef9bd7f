"""Round by round: for each theme, how many teams raised it and how many pain points it had in each
round of a discovery, and what changed between the last two rounds.

Themes are formed across all rounds together (the aggregation runs over every workshop of the
discovery), so one theme id follows a pain through the rounds. Pure pandas, no database.

    compare_rounds(stickies, backlog, workshop_round) -> DataFrame

Columns: ``theme_id``, ``title``, then ``teams_<r>`` and ``pains_<r>`` for each round r (1, 2, ...),
then ``change`` (one of CHANGES, or NOT_RUN), in the backlog's rank order. A theme's teams in a round
are the teams with one of its stickies (pain point or opportunity) on a board of that round; its pain
points are its pain-point stickies there.

The change compares like with like: the theme's teams in the previous round that have also run the
latest one (a team with stickies on a board of it) against its teams in the latest round. A pain is
not "gone" because its teams have not had their round-2 workshop yet: that is NOT_RUN.
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

CHANGES = ("gone", "fewer teams", "same", "more teams", "new")
NOT_RUN = "not run yet"  # none of the theme's earlier teams has run the latest round yet


def workshops_run(stickies: pd.DataFrame) -> set[int]:
    """The workshops that have run: a board with at least one sticky on it (the frame holds the live,
    revealed ones). A workshop "Start round N" made for a team that has not met yet has none; it is
    not counted as a workshop held, nor its team as one that ran the round."""
    return {int(w) for w in stickies["workshop_id"].unique()} if len(stickies) else set()


def change(before: int, after: int) -> str:
    """What happened to a theme from one round to the next, by its teams."""
    if after == 0:
        return "gone"
    if before == 0:
        return "new"
    if after < before:
        return "fewer teams"
    return "same" if after == before else "more teams"


def compare_rounds(stickies: pd.DataFrame, backlog: pd.DataFrame, workshop_round: Mapping[int, int]) -> pd.DataFrame:
    rounds = sorted(set(workshop_round.values())) or [1]
    ordered = backlog.sort_values("rank", kind="stable") if "rank" in backlog.columns else backlog
    out = pd.DataFrame({"theme_id": ordered["theme_id"].astype("int64").to_numpy(),
                        "title": ordered["title"].astype(object).to_numpy()})
    themed = stickies[stickies["theme_id"].notna()].copy() if len(stickies) else stickies.assign(round=[])
    if len(themed):
        themed["round"] = themed["workshop_id"].map(lambda w: workshop_round.get(int(w), 1)).astype("int64")
        themed["theme_id"] = themed["theme_id"].astype("int64")
        teams = themed.groupby(["theme_id", "round"])["team"].nunique()
        pains = themed[themed["kind"] == "pain"].groupby(["theme_id", "round"]).size()
    else:
        teams = pains = pd.Series(dtype="int64")
    for r in rounds:
        out[f"teams_{r}"] = [int(teams.get((t, r), 0)) for t in out["theme_id"]]
        out[f"pains_{r}"] = [int(pains.get((t, r), 0)) for t in out["theme_id"]]
    if len(rounds) >= 2 and len(themed):
        previous, latest = rounds[-2], rounds[-1]
        ran = set(stickies.loc[stickies["workshop_id"].map(lambda w: workshop_round.get(int(w), 1)) == latest,
                               "team"])
        team_sets = themed.groupby(["theme_id", "round"])["team"].agg(set)
        changes = []
        for theme in out["theme_id"]:
            earlier = team_sets.get((theme, previous), set())
            now = len(team_sets.get((theme, latest), set()))
            comparable = len(earlier & ran)
            changes.append(NOT_RUN if earlier and not comparable and not now else change(comparable, now))
        out["change"] = changes
    else:
        out["change"] = "new"
    return out


def pain_by_stage(stickies: pd.DataFrame, workshop_round: Mapping[int, int], stages: list[str]) -> pd.DataFrame:
    """Where it hurts, round by round: per stage (rows, in timeline order) and round (columns
    ``round_<r>``), the pain points per team that ran the round (teams with stickies on a board of
    it), so a round run by three teams compares with one run by ten."""
    rounds = sorted(set(workshop_round.values())) or [1]
    out = pd.DataFrame({"stage": list(stages)})
    if not len(stickies):
        for r in rounds:
            out[f"round_{r}"] = 0.0
        return out
    frame = stickies.assign(round=stickies["workshop_id"].map(lambda w: workshop_round.get(int(w), 1)))
    for r in rounds:
        in_round = frame[frame["round"] == r]
        teams = in_round["team"].nunique()
        pains = in_round[in_round["kind"] == "pain"].groupby("stage").size()
        out[f"round_{r}"] = [round(float(pains.get(s, 0)) / teams, 2) if teams else 0.0 for s in stages]
    return out
