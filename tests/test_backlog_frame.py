"""The backlog frame without an app (aggregation/backlog.py): a theme's counts and lists, the phrases
its stickies share, the review flags, attaching themes to stickies, and ``aggregate`` around a
grouping that the test fixes (so these tests do not depend on how stickies are grouped)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import workshop.aggregation.backlog as backlog_module
from workshop.aggregation.backlog import (aggregate, alike_levels, attach_themes, build_backlog, review_flags, shaped_themes,
                                         shared_phrases)
from workshop.aggregation.reconcile import pin_groups
from workshop.aggregation.report import BACKLOG_COLUMNS, STICKY_COLUMNS

STAGES = ["Idea", "Plan", "Build"]


def stickies(*rows: tuple, theme_ids: list | None = None) -> pd.DataFrame:
    """rows: (sticky_id, team, kind, text, stage_index, votes[, workshop_id])."""
    data = []
    for i, row in enumerate(rows):
        sid, team, kind, text, stage, votes = row[:6]
        workshop_id = row[6] if len(row) > 6 else sum(map(ord, team))
        data.append({"sticky_id": sid, "workshop_id": workshop_id, "workshop": f"{team} #{workshop_id}", "team": team,
                     "kind": kind, "text": text, "stage": f"stage {stage}", "stage_index": stage,
                     "position": 0.1 * stage, "votes": votes, "duration_minutes": float("nan"), "author": "",
                     "created_at": pd.Timestamp("2026-10-02 10:00") + pd.Timedelta(minutes=i),
                     "theme_id": None if theme_ids is None else theme_ids[i], "theme": None})
    out = pd.DataFrame(data, columns=STICKY_COLUMNS)
    out["theme_id"] = pd.array(out["theme_id"].tolist(), dtype="Int64")
    return out


def themes(*rows: dict) -> pd.DataFrame:
    full = [{"title": f"theme {r['theme_id']}", "title_is_custom": False, "value": None, "effort": None,
             "status": "proposed", "merged_into_id": None, **r} for r in rows]
    return pd.DataFrame({"theme_id": pd.array([r["theme_id"] for r in full], dtype="Int64"),
                         "title": [r["title"] for r in full], "title_is_custom": [r["title_is_custom"] for r in full],
                         "value": pd.array([r["value"] for r in full], dtype="Int64"),
                         "effort": pd.array([r["effort"] for r in full], dtype="Int64"),
                         "status": [r["status"] for r in full],
                         "merged_into_id": pd.array([r["merged_into_id"] for r in full], dtype="Int64")})


# --- a row's counts and lists ---------------------------------------------------------------------

def test_a_theme_of_opportunities_only_counts_no_team_no_workshop_and_no_vote():
    board = stickies(("p1", "Search", "pain", "slow builds", 1, 2), ("o1", "Risk", "opportunity", "cache builds", 2, 5),
                     ("o2", "Search", "opportunity", "remote cache", 2, 1), theme_ids=[1, 2, 2])
    rows = build_backlog(board, themes({"theme_id": 1}, {"theme_id": 2}), stages=STAGES).set_index("theme_id")
    ideas = rows.loc[2]
    assert (ideas["team_count"], ideas["workshop_count"], ideas["votes"]) == (0, 0, 0)
    assert (ideas["sticky_count"], ideas["pain_count"], ideas["opportunity_count"]) == (2, 0, 2)
    assert ideas["teams"] == [] and ideas["workshops"] == [] and ideas["stages"] == ["Build"]
    pain = rows.loc[1]
    assert (pain["team_count"], pain["workshop_count"], pain["votes"], pain["teams"]) == (1, 1, 2, ["Search"])


def test_teams_are_listed_ignoring_case_and_stages_only_within_the_timeline():
    board = stickies(("a", "beta", "pain", "x", 0, 0), ("b", "Alpha", "pain", "y", 2, 0),
                     ("c", "Gamma", "pain", "z", 3, 0), ("d", "alpha", "pain", "w", -1, 0), theme_ids=[1, 1, 1, 1])
    row = build_backlog(board, themes({"theme_id": 1}), stages=STAGES).iloc[0]
    assert row["teams"] == ["Alpha", "alpha", "beta", "Gamma"]
    assert row["stages"] == ["Idea", "Build"]  # stage 3 and -1 are not stages of this discovery


def test_themes_may_be_missing_or_lack_merges_and_plain_python_values_become_the_contract_types():
    board = stickies(("a", "Search", "pain", "x", 0, 1), ("b", "Risk", "pain", "y", 1, 0), theme_ids=[1, 2])
    assert build_backlog(board, None).empty
    plain = pd.DataFrame([{"theme_id": 1, "title": "one", "value": 5, "effort": None, "status": "accepted"},
                          {"theme_id": 2, "title": "two", "value": None, "effort": 2, "status": None}])
    out = build_backlog(board, plain).set_index("title")
    assert str(out["value"].dtype) == "Int64" and str(out["effort"].dtype) == "Int64"
    assert out.at["one", "value"] == 5 and pd.isna(out.at["two", "value"]) and out.at["two", "effort"] == 2
    assert out.at["two", "status"] == "proposed"


def test_cohesion_is_rounded_to_three_places_and_missing_where_not_given():
    board = stickies(("a", "Search", "pain", "x", 0, 0), ("b", "Risk", "pain", "y", 1, 0), theme_ids=[1, 2])
    out = build_backlog(board, themes({"theme_id": 1}, {"theme_id": 2}), cohesion={1: 0.12345}).set_index("theme_id")
    assert out.at[1, "cohesion"] == 0.123 and pd.isna(out.at[2, "cohesion"])
    assert build_backlog(board, themes({"theme_id": 1}, {"theme_id": 2}))["cohesion"].isna().all()


def test_a_row_lists_its_shared_phrases_and_an_empty_list_when_there_are_none():
    board = stickies(("a", "Search", "pain", "slow build queue", 0, 0), ("b", "Risk", "pain", "build queue stuck", 1, 0),
                     ("c", "Ops", "pain", "printer", 1, 0), theme_ids=[1, 1, 2])
    out = build_backlog(board, themes({"theme_id": 1}, {"theme_id": 2})).set_index("theme_id")
    assert out.at[1, "shared_phrases"] == ["build queue"] and out.at[2, "shared_phrases"] == []
    assert out["check"].tolist() == [False, False]  # a column of booleans, also with no cohesion


# --- shared phrases -------------------------------------------------------------------------------

def phrases(*themes_texts: list[str]) -> dict[int, list[str]]:
    rows = [{"theme_id": t + 1, "text": text} for t, texts in enumerate(themes_texts) for text in texts]
    out = shared_phrases(pd.DataFrame(rows))
    return {int(k): v for k, v in out.items()}


def test_two_stickies_sharing_a_word_are_enough_and_a_lone_sticky_has_no_phrase():
    assert phrases(["Flaky tests", "flaky pipeline"]) == {1: ["flaky"]}
    assert phrases(["flaky tests"]) == {}


def test_a_phrase_needs_a_third_of_the_theme():
    nine = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]
    # 10 stickies: a third is 4 (rounded up); a word in 3 of them is not shared enough
    assert phrases(["vpn down", "vpn slow", "vpn again"] + nine) == {}
    assert phrases(["vpn down", "vpn slow", "vpn again", "vpn"] + nine[:6]) == {1: ["vpn"]}


def test_a_word_counts_once_per_sticky_and_stop_words_and_numbers_never_count():
    assert phrases(["wait wait wait", "the other 42 things"]) == {}
    assert phrases(["build 42 failed", "42 again"]) == {}
    assert phrases(["waiting for the approval", "the approval"]) == {1: ["approval"]}


def test_a_longer_phrase_wins_at_the_same_count_and_more_stickies_win_first():
    texts = ["slow build queue", "build queue full", "build queue stuck", "slow tickets", "slow and more tickets"]
    # slow: 3, build queue / build / queue: 3, tickets: 2 -- at least 2 of 5 stickies
    assert phrases(texts) == {1: ["build queue", "slow", "tickets"]}
    assert phrases(texts + ["slow vpn"]) == {1: ["slow", "build queue", "tickets"]}


def test_at_most_three_phrases_and_no_three_word_phrases():
    texts = ["alpha bravo charlie delta", "alpha bravo charlie delta", "echo"]
    # two-word phrases first (their words are then left out), never three-word ones
    assert phrases(texts) == {1: ["alpha bravo", "bravo charlie", "charlie delta"]}
    more = ["red green blue pink", "red green blue pink", "red gold blue pink gray", "blue gold pink red"]
    assert phrases(more) == {1: ["blue", "pink", "red"]}  # gold and green (2 stickies) would come next


def test_each_theme_gets_its_own_phrases_even_after_a_theme_with_none():
    out = phrases(["printer jam", "coffee"], ["vpn drops", "vpn slow"], ["cab approval", "cab meeting"])
    assert out == {2: ["vpn"], 3: ["cab"]}


def test_missing_texts_share_nothing():
    assert phrases([None, None, "x"]) == {}
    assert shared_phrases(pd.DataFrame({"theme_id": [], "text": []})).empty


# --- review flags ---------------------------------------------------------------------------------

def ranked(*rows: tuple) -> pd.DataFrame:
    """rows: (sticky_count, cohesion, status); ranked in the order given."""
    return pd.DataFrame({"rank": range(1, len(rows) + 1), "sticky_count": [r[0] for r in rows],
                         "cohesion": [r[1] for r in rows], "status": [r[2] for r in rows]})


def test_the_three_least_alike_proposed_themes_with_three_stickies_or_more_are_flagged():
    # accepted, in progress, done, rejected: a person has looked at them (ADR 0014's walkthrough)
    frame = ranked((3, 0.5, "proposed"), (1, 0.1, "proposed"), (3, 0.4, "accepted"), (5, 0.3, "in progress"),
                   (5, 0.2, "done"), (5, 0.1, "rejected"), (4, 0.6, "proposed"), (4, np.nan, "proposed"),
                   (3, 0.7, "proposed"), *[(5, 0.95, "proposed")] * 6)  # the most alike: the 10th and beyond
    assert review_flags(frame).tolist() == [True, False, False, False, False, False, True, False, True] + [False] * 6


def test_two_unrelated_stickies_grouped_together_are_flagged():
    # a second walkthrough: the room's top vote sat in a pair with cohesion 0.10, never flagged
    frame = ranked((2, 0.10, "proposed"), (6, 0.30, "proposed"), (5, 0.35, "proposed"), (4, 0.40, "proposed"),
                   (7, 0.45, "proposed"), (1, 0.05, "proposed"))
    assert review_flags(frame).tolist() == [True, True, True, False, False, False]  # one sticky: nothing to doubt


def test_a_theme_the_page_calls_closely_alike_is_never_flagged():
    # thirds of 0.2, 0.3, 0.9, 0.95: only 0.95 is above the upper third ("closely alike")
    frame = ranked((5, 0.2, "proposed"), (5, 0.9, "proposed"), (5, 0.95, "proposed"), (5, 0.3, "proposed"))
    assert alike_levels(frame).tolist() == [0, 1, 2, 0]
    assert review_flags(frame).tolist() == [True, True, False, True]
    assert alike_levels(frame.iloc[:2]).empty  # two themes: nothing to compare them with


def test_a_theme_a_person_shaped_is_never_flagged():
    """A walkthrough saw a theme merged by hand still flagged "check" until it was accepted."""
    frame = ranked((5, 0.2, "proposed"), (5, 0.25, "proposed"), (5, 0.3, "proposed"), (5, 0.35, "proposed"),
                   (5, 0.9, "proposed")).assign(theme_id=[11, 12, 13, 14, 15])
    assert review_flags(frame).tolist() == [True, True, True, False, False]
    assert review_flags(frame, shaped={11}).tolist() == [False, True, True, False, False]  # 14: "closely alike"
    themes = pd.DataFrame({"theme_id": pd.array([11, 12, 13], dtype="Int64"), "title_is_custom": [False, True, False],
                           "value": pd.array([None, None, 3], dtype="Int64"), "effort": pd.array([None] * 3, dtype="Int64"),
                           "status": ["proposed"] * 3})
    pinned = pd.DataFrame({"theme_id": [14, 11], "pinned": [True, False]})
    assert shaped_themes(themes, pinned) == {12, 13, 14}  # renamed, estimated, a sticky put in by hand
    assert shaped_themes(themes) == {12, 13}


def test_flags_look_at_the_top_ten_only():
    frame = ranked(*([(5, 0.9, "proposed")] * 10 + [(5, 0.1, "proposed")]))
    assert review_flags(frame).tolist() == [True] * 3 + [False] * 8  # the 11th is not looked at
    frame = ranked(*([(5, 0.9, "proposed")] * 9 + [(5, 0.1, "proposed")] * 2))
    assert review_flags(frame).tolist() == [True] * 2 + [False] * 7 + [True] + [False]  # ties: the higher rank


def test_no_flags_without_cohesion_or_themes():
    assert review_flags(ranked((5, 0.1, "proposed")).drop(columns="cohesion")).tolist() == [False]
    assert review_flags(ranked()).empty


# --- attach themes --------------------------------------------------------------------------------

def test_attach_themes_keeps_the_stickies_index_and_types_even_without_assignments():
    board = stickies(("a", "Search", "pain", "x", 0, 0), ("b", "Risk", "pain", "y", 1, 0),
                     ("c", "Ops", "event", "z", 1, 0)).iloc[[2, 0, 1]]
    out = attach_themes(board, pd.DataFrame({"sticky_id": ["a"], "theme_id": pd.array([4], dtype="Int64")}), {4: "four"})
    assert out.index.tolist() == [2, 0, 1]
    assert out["theme"].tolist() == [None, "four", None] and out["theme_id"].tolist() == [pd.NA, 4, pd.NA]
    none = attach_themes(board, pd.DataFrame({"sticky_id": [], "theme_id": pd.array([], dtype="Int64")}), {})
    assert str(none["theme_id"].dtype) == "Int64" and none["theme"].tolist() == [None, None, None]


# --- aggregate around a fixed grouping -------------------------------------------------------------

@pytest.fixture
def grouping(monkeypatch):
    """Replace the grouping: each sticky's cluster comes from ``clusters``; calls are recorded."""
    state = SimpleNamespace(clusters={}, titles={}, calls=[], cohesion_calls=[])

    def group_stickies(frame, config, embed, pins):
        state.calls.append(SimpleNamespace(ids=frame["sticky_id"].tolist(), embed=embed, pins=pins))
        ids = frame["sticky_id"].astype(str).tolist()
        clusters = [state.clusters[s] for s in ids]
        return SimpleNamespace(proposal=pd.DataFrame({"sticky_id": ids, "cluster": clusters, "centrality": 1.0,
                                                      "title": [state.titles[c] for c in clusters]}))

    def cohesion(_grouping, assignments):
        state.cohesion_calls.append(assignments.copy())
        return pd.Series({int(t): 0.5 for t in assignments["theme_id"].dropna()}, dtype="float64")

    monkeypatch.setattr(backlog_module, "group_stickies", group_stickies)
    monkeypatch.setattr(backlog_module, "cohesion", cohesion)
    return state


BOARD = stickies(("a", "Search", "pain", "waiting for environments", 0, 2), ("b", "Risk", "pain", "env wait", 1, 1),
                 ("c", "Ops", "pain", "firewall ticket", 2, 0), ("e", "Ops", "event", "env requested", 0, 0),
                 ("d", "Risk", "opportunity", "self-service firewall", 2, 3))


def test_aggregate_without_stored_themes_numbers_new_themes_from_one(grouping):
    grouping.clusters = {"a": 0, "b": 0, "c": 1, "d": 1}
    grouping.titles = {0: "Environments", 1: "Firewall"}
    embed = object()
    out = aggregate(BOARD, STAGES, embed=embed)
    call = grouping.calls[0]
    assert call.ids == ["a", "b", "c", "d"] and call.embed is embed and call.pins.empty  # themed stickies only
    expected = pd.DataFrame({"theme_id": pd.array([1, 2], dtype="Int64"), "title": ["Environments", "Firewall"],
                             "title_is_custom": [False, False], "value": pd.array([None, None], dtype="Int64"),
                             "effort": pd.array([None, None], dtype="Int64"), "status": ["proposed", "proposed"],
                             "merged_into_id": pd.array([None, None], dtype="Int64")})
    pd.testing.assert_frame_equal(out.themes, expected)
    assert out.stickies.set_index("sticky_id")["theme"].tolist() == ["Environments", "Environments", "Firewall",
                                                                        None, "Firewall"]


def test_aggregate_passes_pins_retitles_and_hands_its_settings_to_the_backlog(grouping):
    grouping.clusters = {"a": 0, "b": 0, "c": 1, "d": 1}
    grouping.titles = {0: "Waiting for environments", 1: "Firewall tickets"}
    stored = themes({"theme_id": 7, "title": "env (old auto title)"}, {"theme_id": 8, "merged_into_id": 9},
                    {"theme_id": 9, "title": "Network", "title_is_custom": True})
    previous = pd.DataFrame({"sticky_id": ["a", "b", "c", "d"], "theme_id": pd.array([7, 7, 8, 9], dtype="Int64"),
                             "pinned": [False, False, True, False]})
    stages = ["Start", "Middle", "End"]
    out = aggregate(BOARD, stages, previous=previous, themes=stored, total_teams=10)
    # every stored assignment holds, pinned or not (ADR 0014); through merges: 8 was merged into 9
    pd.testing.assert_frame_equal(grouping.calls[0].pins, pin_groups(previous.assign(pinned=True), stored))
    assert grouping.calls[0].pins.to_dict("records") == [{"sticky_id": "a", "group": 7}, {"sticky_id": "b", "group": 7},
                                                         {"sticky_id": "c", "group": 9}, {"sticky_id": "d", "group": 9}]
    titles = dict(zip(out.themes["theme_id"], out.themes["title"]))
    assert titles == {7: "Waiting for environments", 8: "theme 8", 9: "Network"}  # the auto title follows
    assert out.themes.index.tolist() == [0, 1, 2]
    assert out.stickies.set_index("sticky_id").at["a", "theme"] == "Waiting for environments"
    cohesion = {7: 0.5, 9: 0.5}
    # 9 is shaped (renamed; c was put in by hand): not one to flag for review
    pd.testing.assert_frame_equal(out.backlog, build_backlog(out.stickies, out.themes, 10, stages, cohesion=cohesion,
                                                             shaped={9}))
    assert out.backlog.set_index("theme_id")["check"].to_dict() == {7: True, 9: False}
    assert out.backlog.set_index("theme_id").at[7, "stages"] == ["Start", "Middle"]
    assert out.backlog["cohesion"].tolist() == [0.5, 0.5]
    assigned = grouping.cohesion_calls[0]
    assert list(assigned.columns) == ["sticky_id", "theme_id"] and assigned["theme_id"].tolist() == [7, 7, 9, 9]


def test_aggregate_adds_new_themes_above_the_stored_ones_with_the_contract_types(grouping):
    grouping.clusters = {"a": 0, "b": 0, "c": 1, "d": 2}
    grouping.titles = {0: "Environments", 1: "Firewall", 2: "Self-service"}
    stored = themes({"theme_id": 4, "title": "Environments", "value": 3})
    previous = pd.DataFrame({"sticky_id": ["a"], "theme_id": pd.array([4], dtype="Int64"), "pinned": [False]})
    out = aggregate(BOARD, STAGES, previous=previous, themes=stored)
    assert out.themes["theme_id"].tolist() == [4, 5, 6] and out.themes.index.tolist() == [0, 1, 2]
    assert out.themes["status"].tolist() == ["proposed"] * 3 and out.themes["title_is_custom"].tolist() == [False] * 3
    assert {c: str(t) for c, t in out.themes.dtypes.items() if c in ("theme_id", "value", "effort", "merged_into_id")} \
        == {"theme_id": "Int64", "value": "Int64", "effort": "Int64", "merged_into_id": "Int64"}
    assert out.reconciliation.new_themes["title"].tolist() == ["Firewall", "Self-service"]
    assert list(out.backlog.columns) == BACKLOG_COLUMNS
