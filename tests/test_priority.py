"""Priority and quick wins at their boundaries (aggregation/priority.py), table by table: each case
moves one input so that a changed weight, comparison, operator or status order shows."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from workshop.aggregation.priority import DEFAULT_EFFORT, DEFAULT_VALUE, STATUS_ORDER, prioritise

# The loudest theme of the discovery: every share below is relative to its 9 votes and 9 stickies.
LOUDEST = dict(theme_id=99, title="loudest", team_count=4, votes=9, sticky_count=9, value=None, effort=None,
               status="proposed")


def frame(*themes: dict) -> pd.DataFrame:
    rows = [{**LOUDEST, "theme_id": 100 + i, "title": f"t{i}", **t} for i, t in enumerate(themes)]
    out = pd.DataFrame(rows)
    out["value"] = out["value"].astype("Int64")
    out["effort"] = out["effort"].astype("Int64")
    return out


def one(theme: dict, total_teams: int = 4) -> pd.Series:
    """The theme's row, ranked beside the loudest theme (which sets the maxima)."""
    ranked = prioritise(frame(LOUDEST | {"theme_id": 1, "title": "loudest"}, theme), total_teams)
    return ranked.set_index("title").loc[theme.get("title", "t1")]


LOG_SHARE = math.log(2) / math.log(10)  # one vote (or sticky) against the loudest theme's nine


@pytest.mark.parametrize("teams, votes, stickies, demand", [
    (4, 0, 0, 0.5),                    # breadth alone weighs 0.5
    (2, 0, 0, 0.25),
    (6, 0, 0, 0.5),                    # more teams than the discovery has: breadth is capped at 1
    (0, 9, 0, 0.3),                    # votes alone weigh 0.3
    (0, 0, 9, 0.2),                    # stickies alone weigh 0.2
    (0, 1, 0, 0.3 * LOG_SHARE),        # log-scaled against the most votes
    (0, 0, 1, 0.2 * LOG_SHARE),
    (1, 1, 1, 0.125 + 0.5 * LOG_SHARE),
    (4, 9, 9, 1.0),
])
def test_demand_weighs_breadth_votes_and_stickies_half_three_tenths_and_a_fifth(teams, votes, stickies, demand):
    row = one({"team_count": teams, "votes": votes, "sticky_count": stickies})
    assert row["demand"] == pytest.approx(demand, abs=1e-6)
    assert row["priority"] == pytest.approx(DEFAULT_VALUE * (1 + 2 * demand) / DEFAULT_EFFORT, abs=1e-5)


def test_shares_are_zero_when_no_theme_has_votes_or_stickies():
    ranked = prioritise(frame({"team_count": 2, "votes": 0, "sticky_count": 0},
                              {"team_count": 1, "votes": 0, "sticky_count": 0}), total_teams=0)
    # no teams counted: breadth divides by one team (capped at 1), never by zero
    assert ranked["demand"].tolist() == [0.5, 0.5]


@pytest.mark.parametrize("value, effort, expected", [
    (None, None, DEFAULT_VALUE * 3 / DEFAULT_EFFORT),
    (5, 1, 15.0),                      # the ceiling: value 5, effort 1, demand 1
    (1, 5, 0.6),
    (5, None, 5 * 3 / DEFAULT_EFFORT),
    (None, 1, DEFAULT_VALUE * 3 / 1),
])
def test_priority_is_value_times_one_plus_twice_demand_over_effort(value, effort, expected):
    row = one({"team_count": 4, "votes": 9, "sticky_count": 9, "value": value, "effort": effort})
    assert row["priority"] == pytest.approx(expected)


def test_priority_floor_is_a_fifth():
    row = one({"team_count": 0, "votes": 0, "sticky_count": 0, "value": 1, "effort": 5})
    assert row["priority"] == pytest.approx(0.2)


# demand of each case: 0.5 * breadth only (no votes, no stickies), with 100 teams in the discovery
@pytest.mark.parametrize("effort, value, teams, status, quick", [
    (2, 4, 0, "proposed", True),       # effort at its limit, value at its threshold
    (1, 5, 0, "proposed", True),
    (3, 5, 0, "proposed", False),      # effort one above the limit
    (None, 5, 100, "proposed", False),  # effort not estimated: never a quick win
    (2, 3, 0, "proposed", False),      # value below 4 and little demand
    (2, 3, 100, "proposed", True),     # value below 4 but demand exactly 0.5: either is enough
    (2, 3, 98, "proposed", False),     # demand 0.49
    (2, None, 100, "proposed", True),  # value not estimated, demand carries it
    (2, 4, 0, "accepted", True),
    (2, 4, 0, "in progress", True),
    (2, 4, 100, "done", False),        # done and rejected themes are never quick wins
    (2, 4, 100, "rejected", False),
])
def test_quick_win_needs_low_effort_and_value_or_demand_and_an_open_theme(effort, value, teams, status, quick):
    theme = {"team_count": teams, "votes": 0, "sticky_count": 0, "value": value, "effort": effort, "status": status}
    ranked = prioritise(frame(theme), total_teams=100)
    assert bool(ranked.loc[0, "quick_win"]) is quick


def test_open_themes_rank_first_then_done_then_rejected_whatever_their_priority():
    themes = frame(
        {"title": "rejected but loud", "status": "rejected", "value": 5, "effort": 1},
        {"title": "done and loud", "status": "done", "value": 5, "effort": 1},
        {"title": "done and quiet", "status": "done", "value": 1, "effort": 5},
        {"title": "open and quiet", "status": "proposed", "value": 1, "effort": 5},
        {"title": "accepted", "status": "accepted", "value": 3, "effort": 3},
        {"title": "in progress", "status": "in progress", "value": 4, "effort": 3},
        {"title": "no status", "status": None, "value": 2, "effort": 3},
    )
    ranked = prioritise(themes, total_teams=4)
    assert ranked["title"].tolist() == ["in progress", "accepted", "no status", "open and quiet",
                                        "done and loud", "done and quiet", "rejected but loud"]
    assert ranked["rank"].tolist() == list(range(1, 8))
    assert STATUS_ORDER["done"] < STATUS_ORDER["rejected"]


def test_equal_priorities_are_ordered_by_title_ignoring_case_then_by_id():
    themes = frame(*({"theme_id": theme_id, "title": title, "team_count": 1, "votes": 1, "sticky_count": 1}
                     for theme_id, title in ((7, "b"), (6, "B"), (5, "a"), (4, "z"), (2, "z"), (3, "Z"))))
    ranked = prioritise(themes, total_teams=2)
    assert ranked["priority"].nunique() == 1
    assert ranked["theme_id"].tolist() == [5, 6, 7, 2, 3, 4]


@pytest.mark.parametrize("column", ["team_count", "votes", "sticky_count"])
def test_a_tie_in_priority_goes_to_more_teams_votes_or_stickies(column, monkeypatch):
    import workshop.aggregation.priority as priority
    base = {"value": 3, "effort": 3, "status": "proposed", "team_count": 1, "votes": 1, "sticky_count": 1}
    themes = pd.DataFrame([{**base, "theme_id": 1, "title": "a"}, {**base, "theme_id": 2, "title": "b", column: 2}])
    themes["value"] = themes["value"].astype("Int64")
    themes["effort"] = themes["effort"].astype("Int64")
    # the same demand for both, so only the tie-break decides
    monkeypatch.setattr(priority, "_log_share", lambda x: pd.Series(0.0, index=x.index))
    ranked = prioritise(themes.assign(team_count=[1, 2] if column == "team_count" else 1), total_teams=10**9)
    assert ranked["priority"].nunique() == 1
    assert ranked["theme_id"].tolist() == [2, 1]


def test_no_themes_give_an_empty_frame_with_the_added_columns():
    empty = prioritise(pd.DataFrame(columns=list(LOUDEST)), total_teams=3)
    assert empty.empty and {"demand", "priority", "quick_win", "rank"} <= set(empty.columns)
    assert [str(empty[c].dtype) for c in ("demand", "priority", "quick_win", "rank")] == \
        ["float64", "float64", "bool", "int64"]


def test_when_the_loudest_theme_has_one_vote_one_vote_is_a_full_share():
    ranked = prioritise(frame({"title": "one", "team_count": 0, "votes": 1, "sticky_count": 0},
                              {"title": "none", "team_count": 0, "votes": 0, "sticky_count": 0}), total_teams=4)
    assert ranked.set_index("title")["demand"].to_dict() == {"one": 0.3, "none": 0.0}


def test_pain_points_not_all_stickies_make_the_pain_share():
    themes = frame({"title": "ideas", "team_count": 0, "votes": 0, "sticky_count": 9, "pain_count": 0},
                   {"title": "pains", "team_count": 0, "votes": 0, "sticky_count": 3, "pain_count": 3})
    ranked = prioritise(themes, total_teams=4).set_index("title")
    assert ranked.at["ideas", "demand"] == 0.0 and ranked.at["pains", "demand"] == pytest.approx(0.2)
    # without a pain_count column, sticky_count stands in (and is shown as the pain count)
    ranked = prioritise(themes.drop(columns="pain_count"), total_teams=4).set_index("title")
    assert ranked.at["ideas", "demand"] == pytest.approx(0.2)
    assert ranked["pain_count"].to_dict() == {"ideas": 9, "pains": 3}


def test_demand_and_priority_are_rounded_to_six_places():
    share = math.log(3) / math.log(10)  # two votes against the loudest theme's nine
    row = one({"team_count": 0, "votes": 2, "sticky_count": 0})
    assert row["demand"] == round(0.3 * share, 6)
    assert row["priority"] == round(1 + 2 * 0.3 * share, 6)


def test_a_status_the_ranking_does_not_know_counts_as_open():
    themes = frame({"title": "done", "status": "done", "value": 5, "effort": 1},
                   {"title": "odd", "status": "parked", "value": 1, "effort": 2})
    ranked = prioritise(themes, total_teams=4)
    assert ranked["title"].tolist() == ["odd", "done"]
    assert bool(ranked.set_index("title").at["odd", "quick_win"]) is True  # open, effort 2, demand 1


def test_a_missing_title_sorts_first_among_equals():
    themes = frame(*({"theme_id": i, "title": t, "team_count": 1, "votes": 1, "sticky_count": 1}
                     for i, t in ((1, "m"), (2, None), (3, "a"))))
    assert prioritise(themes, total_teams=2)["theme_id"].tolist() == [2, 3, 1]


def test_at_equal_pain_points_more_stickies_rank_first():
    base = {"value": 3, "effort": 3, "status": "proposed", "team_count": 1, "votes": 1, "pain_count": 2}
    themes = pd.DataFrame([{**base, "theme_id": 1, "title": "a", "sticky_count": 2},
                           {**base, "theme_id": 2, "title": "b", "sticky_count": 5}])
    themes[["value", "effort"]] = themes[["value", "effort"]].astype("Int64")
    ranked = prioritise(themes, total_teams=3)
    assert ranked["priority"].nunique() == 1 and ranked["theme_id"].tolist() == [2, 1]


def test_prioritise_adds_its_columns_and_nothing_else():
    themes = frame({"team_count": 1}, {"team_count": 2})
    ranked = prioritise(themes, total_teams=2)
    assert list(ranked.columns) == list(themes.columns) + ["demand", "priority", "quick_win", "pain_count", "rank"]
    assert ranked.index.tolist() == [0, 1] and ranked["rank"].tolist() == [1, 2]


def test_a_tie_as_the_page_shows_it_goes_to_teams_then_pain_points_then_votes(monkeypatch):
    """Issue 22, item 4: three top themes all read "2.60"; the one more teams have wins, then the one
    with more pain points, then more votes, even when a third decimal said otherwise."""
    import workshop.aggregation.priority as priority
    base = {"value": 3, "effort": 3, "status": "proposed", "team_count": 2, "votes": 1, "sticky_count": 3,
            "pain_count": 3}
    rows = [{**base, "theme_id": 1, "title": "a", "votes": 9},               # most votes
            {**base, "theme_id": 2, "title": "b", "pain_count": 5, "sticky_count": 5},  # more pain points
            {**base, "theme_id": 3, "title": "c", "team_count": 3}]          # more teams
    themes = pd.DataFrame(rows)
    themes["value"] = themes["value"].astype("Int64")
    themes["effort"] = themes["effort"].astype("Int64")
    monkeypatch.setattr(priority, "_log_share", lambda x: pd.Series(0.0, index=x.index) + x.astype(float) * 1e-5)
    ranked = prioritise(themes, total_teams=10**9)
    assert ranked["priority"].round(2).nunique() == 1 and ranked["priority"].nunique() > 1
    assert ranked["theme_id"].tolist() == [3, 2, 1]
