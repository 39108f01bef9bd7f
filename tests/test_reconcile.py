"""reconcile.py on small frames, without an app or a database: which stored decisions survive a new
proposal, and how ties are broken. Each test states an outcome that a wrong rule would change."""
from __future__ import annotations

import pandas as pd
import pytest

from workshop.aggregation.reconcile import (ASSIGNMENT_COLUMNS, decided_themes, empty_previous, pin_groups,
                                            reconcile, resolve_merges)


def themes(*rows: dict) -> pd.DataFrame:
    """Each row: theme_id and any of title, title_is_custom, value, effort, status, merged_into_id."""
    full = [{"title": f"theme {r['theme_id']}", "title_is_custom": False, "value": None, "effort": None,
             "status": "proposed", "merged_into_id": None, **r} for r in rows]
    return pd.DataFrame({
        "theme_id": pd.array([r["theme_id"] for r in full], dtype="Int64"),
        "title": [r["title"] for r in full],
        "title_is_custom": [r["title_is_custom"] for r in full],
        "value": pd.array([r["value"] for r in full], dtype="Int64"),
        "effort": pd.array([r["effort"] for r in full], dtype="Int64"),
        "status": [r["status"] for r in full],
        "merged_into_id": pd.array([r["merged_into_id"] for r in full], dtype="Int64")})


def proposal(clusters: dict[str, int], titles: dict[int, str] | None = None) -> pd.DataFrame:
    """sticky_id -> cluster; each cluster titled "C<n>" unless ``titles`` says otherwise."""
    titles = titles or {}
    return pd.DataFrame({"sticky_id": list(clusters), "cluster": list(clusters.values()),
                         "title": [titles.get(c, f"C{c}") for c in clusters.values()]})


def previous(*rows: tuple) -> pd.DataFrame:
    """Each row: (sticky_id, theme_id, pinned); None stands for a value stored as missing."""
    return pd.DataFrame({"sticky_id": [r[0] for r in rows],
                         "theme_id": pd.array([r[1] for r in rows], dtype="Int64"),
                         "pinned": [r[2] for r in rows]})


def theme_of(rec) -> dict[str, object]:
    """sticky_id -> theme id, or the new theme's key when it goes to a new theme."""
    a = rec.assignments
    return {s: (int(t) if pd.notna(t) else k) for s, t, k in zip(a["sticky_id"], a["theme_id"], a["new_key"])}


# --- which themes count as decided -------------------------------------------------------------------

DECISIONS = [
    pytest.param({}, False, id="nothing"),
    pytest.param({"title_is_custom": None}, False, id="custom title stored as missing"),
    pytest.param({"status": None}, False, id="status stored as missing"),
    pytest.param({"title_is_custom": True}, True, id="custom title"),
    pytest.param({"value": 3}, True, id="value"),
    pytest.param({"value": 0}, True, id="value 0"),
    pytest.param({"effort": 2}, True, id="effort"),
    pytest.param({"status": "accepted"}, True, id="accepted"),
    pytest.param({"status": "done"}, True, id="done"),
    pytest.param({"status": "rejected"}, True, id="rejected"),
    pytest.param({"title_is_custom": True, "value": 5, "effort": 1, "status": "accepted"}, True, id="all four"),
    pytest.param({"title_is_custom": False, "value": None, "effort": 4, "status": "proposed"}, True,
                 id="effort only, the rest proposed"),
]


@pytest.mark.parametrize(("decision", "decided"), DECISIONS)
def test_a_theme_counts_as_decided_when_any_one_decision_is_stored(decision, decided):
    frame = themes({"theme_id": 1}, {"theme_id": 2, **decision}, {"theme_id": 3, "value": 1})
    assert decided_themes(frame) == ({2, 3} if decided else {3})


@pytest.mark.parametrize(("decision", "decided"), DECISIONS)
def test_a_decided_theme_is_kept_by_every_cluster_an_undecided_one_by_one(decision, decided):
    # Theme 10's stickies are proposed in two clusters now; each cluster overlaps theme 10 most.
    prop = proposal({"a": 0, "b": 0, "c": 0, "d": 1, "e": 1})
    prev = previous(*[(s, 10, False) for s in "abcde"])
    rec = reconcile(prop, prev, themes({"theme_id": 10, **decision}))
    got = theme_of(rec)
    assert got["a"] == got["b"] == got["c"] == 10  # the bigger cluster keeps it either way
    if decided:
        assert got["d"] == got["e"] == 10  # a decided theme is never silently split
        assert rec.new_themes.empty
    else:
        assert got["d"] == got["e"] == "new-1"  # the machine may split its own proposal
        assert rec.new_themes.to_dict("records") == [{"new_key": "new-1", "title": "C1"}]


# --- duplicate and missing stored values -----------------------------------------------------------

def test_of_two_stored_assignments_of_one_sticky_the_last_counts():
    prop = proposal({"s1": 0, "x": 0, "y": 1})
    prev = previous(("s1", 10, False), ("x", 11, False), ("s1", 12, True))
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 11}, {"theme_id": 12}))
    assert rec.assignments["sticky_id"].tolist() == ["s1", "x", "y"]  # one row per sticky
    assert theme_of(rec)["s1"] == 12 and rec.assignments.set_index("sticky_id").at["s1", "pinned"]
    # the other order: the unpinned row is the last, so s1 follows its cluster like any sticky
    rec = reconcile(prop, previous(("s1", 12, True), ("x", 11, False), ("s1", 10, False)),
                    themes({"theme_id": 10}, {"theme_id": 11}, {"theme_id": 12}))
    assert rec.assignments["sticky_id"].tolist() == ["s1", "x", "y"]
    assert not rec.assignments["pinned"].any()
    assert theme_of(rec)["s1"] == theme_of(rec)["x"] == 10  # cluster 0: one sticky of 10, one of 11: the smaller id


def test_a_pin_stored_as_missing_is_no_pin():
    prop = proposal({"s1": 0, "s2": 0, "s3": 0})
    prev = previous(("s1", 20, None), ("s2", 10, False), ("s3", 10, False), ("gone", 20, None))
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 20}))
    assert theme_of(rec) == {"s1": 10, "s2": 10, "s3": 10}  # s1 goes with its cluster; "gone" is not kept
    assert rec.assignments["pinned"].tolist() == [False, False, False]
    assert rec.assignments["pinned"].dtype == bool


def test_flags_stored_as_missing_in_nullable_boolean_columns_count_as_false():
    prop = proposal({"s1": 0, "s2": 0, "s3": 0}, titles={0: "now"})
    prev = previous(("s1", 20, None), ("s2", 10, False), ("s3", 10, False), ("gone", 20, None))
    prev["pinned"] = prev["pinned"].astype("boolean")
    frame = themes({"theme_id": 10, "title": "before"}, {"theme_id": 20, "status": "accepted"})
    frame["title_is_custom"] = pd.array([None, None], dtype="boolean")
    assert decided_themes(frame) == {20}
    rec = reconcile(prop, prev, frame)
    assert theme_of(rec) == {"s1": 10, "s2": 10, "s3": 10} and not rec.assignments["pinned"].any()
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "now"}]  # a missing flag: auto title
    assert pin_groups(prev, frame).empty


def test_a_pin_without_a_theme_or_in_an_unknown_theme_is_dropped():
    prop = proposal({"s1": 0, "s2": 0})
    prev = previous(("s1", None, True), ("s2", 99, True), ("s3", None, True), ("s4", 99, True))
    rec = reconcile(prop, prev, themes({"theme_id": 10}))
    assert theme_of(rec) == {"s1": "new-1", "s2": "new-1"}
    assert not rec.assignments["pinned"].any()
    assert pin_groups(prev, themes({"theme_id": 10}))["sticky_id"].tolist() == ["s2", "s4"]  # theme 99 as given


def test_a_new_sticky_is_not_pinned_and_a_pinned_one_absent_from_the_proposal_keeps_its_theme():
    prop = proposal({"new": 0, "old": 0})
    prev = previous(("old", 10, False), ("blank", 11, True), ("unpinned", 11, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 11}))
    assert rec.assignments.to_dict("records") == [
        {"sticky_id": "blank", "theme_id": 11, "new_key": None, "pinned": True},
        {"sticky_id": "new", "theme_id": 10, "new_key": None, "pinned": False},
        {"sticky_id": "old", "theme_id": 10, "new_key": None, "pinned": False}]
    assert list(rec.assignments.columns) == ASSIGNMENT_COLUMNS
    assert str(rec.assignments["theme_id"].dtype) == "Int64"


def test_sticky_ids_are_compared_as_text():
    prop = pd.DataFrame({"sticky_id": [1, 2], "cluster": [0, 0], "title": ["C0", "C0"]})
    prev = pd.DataFrame({"sticky_id": ["1", 3], "theme_id": pd.array([10, 11], dtype="Int64"),
                         "pinned": [False, True]})
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 11}))
    assert theme_of(rec) == {"1": 10, "2": 10, "3": 11}


def test_without_stored_decisions_every_cluster_is_a_new_theme_in_cluster_order():
    prop = proposal({"a": 2, "b": 0, "c": 2, "d": 1}, titles={0: "zero", 1: "one", 2: "two"})
    for rec in (reconcile(prop), reconcile(prop, empty_previous(), themes())):
        assert theme_of(rec) == {"a": "new-3", "b": "new-1", "c": "new-3", "d": "new-2"}
        assert rec.new_themes.to_dict("records") == [{"new_key": "new-1", "title": "zero"},
                                                     {"new_key": "new-2", "title": "one"},
                                                     {"new_key": "new-3", "title": "two"}]
        assert rec.retitled.empty and list(rec.retitled.columns) == ["theme_id", "title"]
        assert rec.assignments["theme_id"].isna().all() and not rec.assignments["pinned"].any()
        assert str(rec.assignments["theme_id"].dtype) == "Int64"  # even when no sticky has a theme


def test_the_input_frames_are_not_changed():
    prop = proposal({"a": 0, "b": 1})
    prev = previous(("a", 10, None), ("b", 11, True))
    frame = themes({"theme_id": 10}, {"theme_id": 11, "merged_into_id": 10})
    copies = [f.copy(deep=True) for f in (prop, prev, frame)]
    reconcile(prop, prev, frame)
    for before, after in zip(copies, (prop, prev, frame)):
        pd.testing.assert_frame_equal(before, after)


# --- merges -------------------------------------------------------------------------------------------

def test_merges_are_followed_to_the_live_theme_and_survive_cycles_and_unknown_targets():
    frame = themes({"theme_id": 1, "merged_into_id": 2}, {"theme_id": 2, "merged_into_id": 3}, {"theme_id": 3},
                   {"theme_id": 4, "merged_into_id": 5}, {"theme_id": 5, "merged_into_id": 4},
                   {"theme_id": 6, "merged_into_id": 99}, {"theme_id": 7, "merged_into_id": 4})
    final = resolve_merges(frame)
    assert final[1] == final[2] == final[3] == 3
    assert final[4] == 5 and final[5] == 4  # a cycle stops where it would come back
    assert final[7] == 5  # a chain that runs into a cycle stops too (7 -> 4 -> 5, not round again)
    assert final[6] == 6  # merged into a theme that is not there: stays itself


def test_stickies_of_a_merged_theme_count_for_the_theme_it_was_merged_into():
    prop = proposal({"a": 0, "b": 0, "c": 0, "p": 1})
    prev = previous(("a", 1, False), ("b", 1, False), ("c", 2, False), ("p", 1, True))
    rec = reconcile(prop, prev, themes({"theme_id": 1, "merged_into_id": 3}, {"theme_id": 2},
                                       {"theme_id": 3, "title": "kept", "title_is_custom": True}))
    assert theme_of(rec) == {"a": 3, "b": 3, "c": 3, "p": 3}  # two of 3 (via 1) beat one of 2; the pin follows
    assert 1 not in set(rec.assignments["theme_id"].dropna())


# --- ties between overlaps ----------------------------------------------------------------------------

def test_a_cluster_that_overlaps_two_themes_equally_keeps_the_smaller_id():
    for order in (("x", "y"), ("y", "x")):
        prev = previous(*[(s, {"x": 11, "y": 10}[s], False) for s in order])
        rec = reconcile(proposal({"x": 0, "y": 0, "new": 0}), prev, themes({"theme_id": 11}, {"theme_id": 10}))
        assert set(theme_of(rec).values()) == {10}


def test_a_cluster_keeps_the_theme_it_overlaps_most_not_the_smallest_id():
    prev = previous(("a", 10, False), ("b", 11, False), ("c", 11, False))
    rec = reconcile(proposal({"a": 0, "b": 0, "c": 0}), prev, themes({"theme_id": 10}, {"theme_id": 11}))
    assert set(theme_of(rec).values()) == {11}


def test_the_cluster_with_the_larger_overlap_claims_an_undecided_theme():
    # cluster 0 has one of theme 10's stickies, cluster 1 two: cluster 1 keeps 10 though its number is larger
    prop = proposal({"a": 0, "n1": 0, "n2": 0, "n3": 0, "b": 1, "c": 1})
    prev = previous(("a", 10, False), ("b", 10, False), ("c", 10, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10}))
    got = theme_of(rec)
    assert got["b"] == got["c"] == 10
    assert got["a"] == got["n1"] == "new-1"


def test_on_equal_overlap_the_bigger_cluster_claims_an_undecided_theme():
    prop = proposal({"a": 0, "b": 1, "n1": 1, "n2": 1})
    prev = previous(("a", 10, False), ("b", 10, False))
    got = theme_of(reconcile(prop, prev, themes({"theme_id": 10})))
    assert got["b"] == got["n1"] == 10 and got["a"] == "new-1"


def test_on_equal_overlap_and_size_the_first_cluster_claims_an_undecided_theme():
    prop = proposal({"a": 1, "an": 1, "b": 2, "bn": 2, "n": 0})
    prev = previous(("a", 10, False), ("b", 10, False))
    got = theme_of(reconcile(prop, prev, themes({"theme_id": 10})))
    assert got["a"] == got["an"] == 10
    assert got["b"] == got["bn"] == "new-2" and got["n"] == "new-1"


def test_a_cluster_that_lost_its_theme_to_a_bigger_one_follows_its_pinned_sticky():
    # Theme 10 (undecided) is claimed by cluster 0; cluster 1's former member of 10 and its new sticky
    # go where cluster 1's pinned sticky is, not to a new theme.
    prop = proposal({"a": 0, "b": 0, "c": 1, "p": 1, "new": 1})
    prev = previous(("a", 10, False), ("b", 10, False), ("c", 10, False), ("p", 20, True))
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 20}))
    assert theme_of(rec) == {"a": 10, "b": 10, "c": 20, "p": 20, "new": 20}
    assert rec.new_themes.empty and rec.assignments["new_key"].isna().all()


def test_two_undecided_themes_go_to_two_clusters_and_nothing_is_lost():
    prop = proposal({"a": 0, "b": 0, "c": 1, "d": 1})
    prev = previous(("a", 10, False), ("b", 10, False), ("c", 11, False), ("d", 11, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10}, {"theme_id": 11}))
    assert theme_of(rec) == {"a": 10, "b": 10, "c": 11, "d": 11} and rec.new_themes.empty


# --- pins: where a person put a sticky ---------------------------------------------------------------

@pytest.mark.parametrize(("stored", "expected"), [
    # two stickies pinned into 20 outweigh one unpinned kept in 10
    pytest.param([("p1", 20, True), ("p2", 20, True), ("u", 10, False)], {"p1": 20, "p2": 20, "u": 10, "new": 20},
                 id="most are pinned elsewhere"),
    # one sticky moved by hand does not pull its cluster after it
    pytest.param([("a", 10, False), ("b", 10, False), ("moved", 20, True)], {"a": 10, "b": 10, "moved": 20, "new": 10},
                 id="one was moved by hand"),
    # equal counts: the theme with more pins
    pytest.param([("p", 20, True), ("u", 10, False)], {"p": 20, "u": 10, "new": 20}, id="tie: more pins"),
    # equal counts and pins: the smaller id
    pytest.param([("p", 30, True), ("q", 20, True)], {"p": 30, "q": 20, "new": 20}, id="tie: smaller id"),
])
def test_a_new_sticky_joins_the_theme_most_of_its_clusters_earlier_stickies_are_in_now(stored, expected):
    prop = proposal({s: 0 for s in expected})
    frame = themes(*({"theme_id": t} for t in sorted({r[1] for r in stored})))
    assert theme_of(reconcile(prop, previous(*stored), frame)) == expected


def test_a_cluster_of_only_pinned_and_new_stickies_joins_the_pinned_theme_and_keeps_no_new_key():
    prop = proposal({"p": 0, "new": 0, "other": 1})
    rec = reconcile(prop, previous(("p", 20, True)), themes({"theme_id": 20}))
    assert theme_of(rec) == {"p": 20, "new": 20, "other": "new-1"}
    keys = rec.assignments.set_index("sticky_id")["new_key"]
    assert keys.isna()[["p", "new"]].all() and keys["other"] == "new-1"
    assert rec.new_themes.to_dict("records") == [{"new_key": "new-1", "title": "C1"}]


def test_pin_groups_are_the_live_themes_a_person_put_stickies_in():
    frame = themes({"theme_id": 1, "merged_into_id": 2}, {"theme_id": 2}, {"theme_id": 3})
    prev = previous(("a", 1, True), ("b", 2, True), ("c", 3, True), ("d", 3, False), ("e", 2, None),
                    ("f", None, True))
    groups = pin_groups(prev, frame)
    assert groups.to_dict("records") == [{"sticky_id": "a", "group": 2}, {"sticky_id": "b", "group": 2},
                                         {"sticky_id": "c", "group": 3}]
    assert str(groups["group"].dtype) == "int64"
    # must-link: a and b (a's theme was merged into b's); cannot-link: c against both
    assert groups.groupby("group")["sticky_id"].agg(list).to_dict() == {2: ["a", "b"], 3: ["c"]}
    # without a themes frame, the stored theme ids are the groups
    assert pin_groups(prev, None)["group"].tolist() == [1, 2, 3]


def test_pin_groups_of_nothing_stored_is_empty_and_typed():
    for prev in (None, empty_previous(), previous(("a", 1, False))):
        groups = pin_groups(prev, themes({"theme_id": 1}))
        assert groups.empty and list(groups.columns) == ["sticky_id", "group"]
        assert str(groups["group"].dtype) == "int64"
    assert pin_groups(pd.DataFrame({"sticky_id": [7], "theme_id": pd.array([1], dtype="Int64"), "pinned": [True]}),
                      None)["sticky_id"].tolist() == ["7"]


# --- titles -------------------------------------------------------------------------------------------

def test_an_auto_title_follows_the_cluster_that_brings_the_theme_most_stickies():
    prop = proposal({"a": 0, "b": 1, "c": 1}, titles={0: "small", 1: "big"})
    prev = previous(("a", 10, True), ("b", 10, False), ("c", 10, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10, "title": "old"}))
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "big"}]


def test_a_custom_title_is_never_retitled_and_an_unchanged_one_is_not_listed():
    prop = proposal({"a": 0, "b": 1}, titles={0: "A now", 1: "B"})
    prev = previous(("a", 10, False), ("b", 11, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10, "title": "Named", "title_is_custom": True},
                                       {"theme_id": 11, "title": "B"}))
    assert rec.retitled.empty
    rec = reconcile(prop, prev, themes({"theme_id": 10, "title": "Named", "title_is_custom": None},
                                       {"theme_id": 11, "title": "B"}))
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "A now"}]  # missing flag: auto


def test_on_equal_counts_the_title_comes_from_the_smaller_cluster_number():
    prop = proposal({"a": 1, "b": 2, "c": 3}, titles={1: "one", 2: "two", 3: "three"})
    prev = previous(("b", 10, True), ("a", 10, True), ("c", 11, False))
    rec = reconcile(prop, prev, themes({"theme_id": 10, "title": "old"}, {"theme_id": 11, "title": "three"}))
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "one"}]


def test_retitled_themes_are_listed_by_theme_id():
    prop = proposal({"a": 0, "b": 1}, titles={0: "zero now", 1: "one now"})
    prev = previous(("a", 11, False), ("b", 10, False))
    rec = reconcile(prop, prev, themes({"theme_id": 11, "title": "eleven"}, {"theme_id": 10, "title": "ten"}))
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "one now"},
                                               {"theme_id": 11, "title": "zero now"}]


def test_an_auto_title_stays_while_its_sticky_is_in_the_theme():
    """A walkthrough saw titles nobody set change on every move and every import ("Builders call…"
    became "Inspection requests only by phone"): an owner learns a theme by its title."""
    # the theme's cluster is now represented by another sticky ("big")
    prop = proposal({"a": 1, "b": 1, "c": 1}, titles={1: "big"})
    prev = previous(("a", 10, False), ("b", 10, False), ("c", 10, False))
    texts = pd.Series({"a": "Builders call the office   to ask", "b": "big", "c": "other"})
    theme = themes({"theme_id": 10, "title": "Builders call the…"})
    assert reconcile(prop, prev, theme, texts=texts).retitled.empty
    # its sticky has gone to another theme: the title follows the theme's biggest cluster again
    prop = proposal({"a": 0, "b": 1, "c": 1}, titles={0: "small", 1: "big"})
    moved = previous(("a", 11, True), ("b", 10, False), ("c", 10, False))
    rec = reconcile(prop, moved, themes({"theme_id": 10, "title": "Builders call the…"}, {"theme_id": 11, "title": "x",
                                                                                          "title_is_custom": True}),
                    texts=texts)
    assert rec.retitled.to_dict("records") == [{"theme_id": 10, "title": "big"}]
    # without texts the old rule holds (the title follows the biggest cluster)
    assert reconcile(prop, prev, theme).retitled.to_dict("records") == [{"theme_id": 10, "title": "big"}]
