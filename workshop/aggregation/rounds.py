"""Round by round: for each theme, how many teams had a pain point in it and how many pain points it had
in each round of a discovery, and what changed between the last two rounds.

Themes are formed across all rounds together (the aggregation runs over every workshop of the
discovery), so one theme id follows a pain through the rounds. Pure pandas, no database.

    compare_rounds(stickies, backlog, workshop_round) -> DataFrame
    comparison_basis(stickies, workshop_round) -> Basis (which teams the change is judged on, in words)

Columns: ``theme_id``, ``title``, ``full_title`` (the backlog's), then ``teams_<r>`` and ``pains_<r>`` for each round r (1, 2, ...),
then ``change`` (one of CHANGES, GONE_SO_FAR, NOT_RUN or NO_PAIN) and ``judged`` (how many of the theme's
teams in the two rounds compared ran both, the teams its change is judged on) and ``of_teams`` (its
teams in either of them), in the backlog's rank order. Only pain points
count, as everywhere in the backlog: a theme's teams in a round are the teams with one of its pain
points on a board of that round (an opportunity is an idea; it never ranks nor judges a theme).

The change compares like with like: only the teams that ran both rounds (stickies on a board of each)
count on either side. A pain is not "gone" or "fewer" because a team has not had its round-2 workshop
yet: if none of the theme's teams ran both rounds, it is NOT_RUN (or "new" when it hurts in the latest
round only, for a team that had not run the previous one). Nor is a pain "gone" while some of the teams
that had it have not run the latest round: it is GONE_SO_FAR (gone for the ones that ran it), and the
page and the workbook say on how many of its teams each change is judged (issue 26: "Gone in round 2:
11 themes" when 3 of 10 teams had run round 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

CHANGES = ("gone", "fewer teams", "same", "more teams", "new")
GONE_SO_FAR = "gone so far"  # gone for its teams that ran the latest round; others of its teams have not yet
NOT_RUN = "not run yet"  # none of the theme's earlier teams has run the latest round yet
NO_PAIN = "no pain points"  # no pain point in either round compared (ideas only, or gone before)
NAMED_TEAMS = 8  # teams named in the basis sentence; beyond, "and N more"


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


def verdict(before: set[str], after: set[str], ran_both: set[str]) -> str:
    """A theme's change from its pain teams in the previous round to those in the latest, judged on the
    teams that ran both rounds only. "New" and "gone" keep their plain meaning for the whole theme: a
    pain that hurt other teams in the previous round is not new where it reaches a team that ran both
    (it is "more teams"), and one that hurts a team new to the latest round is not gone where the
    teams that ran both no longer have it (it is "fewer teams"): a steering reader saw "new" beside
    3 teams in round 1."""
    if not before and not after:
        return NO_PAIN
    judged_before, judged_after = len(before & ran_both), len(after & ran_both)
    if judged_before or judged_after:
        word = change(judged_before, judged_after)
        if word == "new" and before:
            return "more teams"
        if word == "gone" and after:
            return "fewer teams"
        if word == "gone" and before - ran_both:
            return GONE_SO_FAR
        return word
    return "new" if after else NOT_RUN


def _with_rounds(stickies: pd.DataFrame, workshop_round: Mapping[int, int]) -> pd.DataFrame:
    """The stickies with their workshop's ``round`` and a ``team_key`` (the team, case aside)."""
    return stickies.assign(
        round=stickies["workshop_id"].map(lambda w: workshop_round.get(int(w), 1)).astype("int64"),
        team_key=stickies["team"].astype(str).str.casefold())


def _rounds(workshop_round: Mapping[int, int]) -> list[int]:
    return sorted(set(workshop_round.values())) or [1]


@dataclass(frozen=True)
class Basis:
    """Which teams the change from ``previous`` to ``latest`` is judged on."""
    previous: int
    latest: int
    ran_both: tuple[str, ...]
    not_run_latest: tuple[str, ...]  # ran the previous round, not (yet) the latest
    only_latest: tuple[str, ...]     # ran the latest round, not the previous one
    teams: int = 0                   # teams that ran any round

    def gone_line(self, rounds: "pd.DataFrame") -> str:
        """'Gone in round 2: 3 themes (and 8 gone so far, for the teams that ran it), judged on the
        3 of 10 teams that ran both rounds.'"""
        gone = int((rounds["change"] == "gone").sum()) if "change" in rounds else 0
        so_far = int((rounds["change"] == GONE_SO_FAR).sum()) if "change" in rounds else 0
        text = f"Gone in round {self.latest}: {gone} theme{'s' if gone != 1 else ''}"
        if so_far:
            text += (f" (and {so_far} gone so far: gone for their teams that ran round {self.latest}, while others "
                     "of their teams have not run it yet)")
        return text + f", judged on {self.judged_on()}."

    def judged_on(self) -> str:
        n = len(self.ran_both)
        return f"the {n} of {self.teams} teams that ran both rounds" if n != 1 else \
            f"the one of {self.teams} teams that ran both rounds"

    def sentence(self) -> str:
        """For a steering meeting: 'Compared on the 4 teams that ran both rounds; Brandschutz has not
        run round 2 yet.'"""
        n = len(self.ran_both)
        text = (f"Compared on the {n} teams that ran both rounds" if n != 1 else
                "Compared on the one team that ran both rounds") if n else "No team has run both rounds yet"
        if self.not_run_latest:
            verb = "has" if len(self.not_run_latest) == 1 else "have"
            text += f"; {_names(self.not_run_latest)} {verb} not run round {self.latest} yet"
        if self.only_latest:
            text += (f"; {_names(self.only_latest)} ran round {self.latest} only "
                     "(a pain point of theirs alone shows as new)")
        return text + "."


def _names(teams: tuple[str, ...]) -> str:
    shown = list(teams[:NAMED_TEAMS])
    if len(teams) > NAMED_TEAMS:
        return ", ".join(shown) + f" and {len(teams) - NAMED_TEAMS} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _teams_that_ran(frame: pd.DataFrame) -> dict[int, dict[str, str]]:
    """round -> {team key: the team's name} of the teams with stickies on a board of that round."""
    ran: dict[int, dict[str, str]] = {}
    for r, key, name in frame[["round", "team_key", "team"]].drop_duplicates(["round", "team_key"]).itertuples(index=False):
        ran.setdefault(int(r), {})[key] = str(name)
    return ran


def comparison_basis(stickies: pd.DataFrame, workshop_round: Mapping[int, int]) -> Basis | None:
    """None with fewer than two rounds."""
    rounds = _rounds(workshop_round)
    if len(rounds) < 2:
        return None
    previous, latest = rounds[-2:]
    ran = _teams_that_ran(_with_rounds(stickies, workshop_round)) if len(stickies) else {}
    before, after = ran.get(previous, {}), ran.get(latest, {})

    def names(keys) -> tuple[str, ...]:
        return tuple(sorted(({**after, **before}[k] for k in keys), key=str.casefold))

    every = {key for teams in ran.values() for key in teams}
    return Basis(previous, latest, names(before.keys() & after.keys()), names(before.keys() - after.keys()),
                 names(after.keys() - before.keys()), len(every))


def compare_rounds(stickies: pd.DataFrame, backlog: pd.DataFrame, workshop_round: Mapping[int, int]) -> pd.DataFrame:
    rounds = _rounds(workshop_round)
    ordered = backlog.sort_values("rank", kind="stable") if "rank" in backlog.columns else backlog
    out = pd.DataFrame({"theme_id": ordered["theme_id"].astype("int64").to_numpy(),
                        "title": ordered["title"].astype(object).to_numpy(),
                        "full_title": ordered.get("full_title", ordered["title"]).astype(object).to_numpy()})
    frame = _with_rounds(stickies, workshop_round) if len(stickies) else None
    if frame is not None:
        pains = frame[frame["theme_id"].notna() & (frame["kind"] == "pain")]
        pains = pains.assign(theme_id=pains["theme_id"].astype("int64"))
        team_sets = pains.groupby(["theme_id", "round"])["team_key"].agg(set)
        counts = pains.groupby(["theme_id", "round"]).size()
    else:
        team_sets = counts = pd.Series(dtype="int64")
    for r in rounds:
        out[f"teams_{r}"] = [len(team_sets.get((t, r), ())) for t in out["theme_id"]]
        out[f"pains_{r}"] = [int(counts.get((t, r), 0)) for t in out["theme_id"]]
    if len(rounds) >= 2 and frame is not None:
        previous, latest = rounds[-2:]
        ran = _teams_that_ran(frame)
        ran_both = ran.get(previous, {}).keys() & ran.get(latest, {}).keys()
        out["change"] = [verdict(team_sets.get((t, previous), set()), team_sets.get((t, latest), set()), ran_both)
                         for t in out["theme_id"]]
        either = [team_sets.get((t, previous), set()) | team_sets.get((t, latest), set()) for t in out["theme_id"]]
        out["judged"] = [len(teams & ran_both) for teams in either]
        out["of_teams"] = [len(teams) for teams in either]
    else:
        out["change"] = "new"
    return out


def pain_by_stage(stickies: pd.DataFrame, workshop_round: Mapping[int, int], stages: list[str]) -> pd.DataFrame:
    """Where it hurts, round by round: per stage (rows, in timeline order) and round (columns
    ``round_<r>``), the pain points per team that ran the round (teams with stickies on a board of
    it), so a round run by three teams compares with one run by ten."""
    rounds = _rounds(workshop_round)
    out = pd.DataFrame({"stage": list(stages)})
    if not len(stickies):
        for r in rounds:
            out[f"round_{r}"] = 0.0
        return out
    frame = _with_rounds(stickies, workshop_round)
    for r in rounds:
        in_round = frame[frame["round"] == r]
        teams = in_round["team_key"].nunique()
        pains = in_round[in_round["kind"] == "pain"].groupby("stage").size()
        out[f"round_{r}"] = [round(float(pains.get(s, 0)) / teams, 2) if teams else 0.0 for s in stages]
    return out
