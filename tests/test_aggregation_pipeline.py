"""The pure aggregation chain on small frames: grouping, reconciliation, priority, heatmap, backlog."""
from __future__ import annotations

import pandas as pd
import pytest

from workshop.aggregation.backlog import aggregate, build_backlog
from workshop.aggregation.heatmap import pain_heatmap
from workshop.aggregation.priority import prioritise
from workshop.aggregation.reconcile import reconcile
from workshop.aggregation.report import BACKLOG_COLUMNS, STICKY_COLUMNS
from workshop.aggregation.themes import LEGACY_CONFIG, propose_themes, shorten_title
from workshop.aggregation.vocabulary import normalise_text

STAGES = ["Idea", "Plan", "Build", "Test", "Release", "Operate"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (sticky_id, team, kind, text, stage_index, votes)."""
    data = []
    for i, (sid, team, kind, text, stage, votes) in enumerate(rows):
        data.append({"sticky_id": sid, "workshop_id": hash(team) % 1000, "workshop": f"{team} (2026-10-02)",
                     "team": team, "kind": kind, "text": text, "stage": STAGES[stage], "stage_index": stage,
                     "position": (stage + 0.5) / len(STAGES), "votes": votes, "duration_minutes": float("nan"),
                     "author": "", "created_at": pd.Timestamp("2026-10-02 10:00") + pd.Timedelta(minutes=i),
                     "theme_id": pd.NA, "theme": None})
    out = pd.DataFrame(data, columns=STICKY_COLUMNS)
    out["theme_id"] = out["theme_id"].astype("Int64")
    return out


SAMPLE = [
    ("a1", "Payments", "pain", "Waiting weeks for a new environment", 2, 3),
    ("a2", "Search", "pain", "Provisioning a test env takes three weeks", 3, 1),
    ("a3", "Risk", "pain", "new test enviroment takes 3 wks", 3, 0),
    ("b1", "Payments", "pain", "Firewall change takes 2 weeks", 4, 2),
    ("b2", "Search", "pain", "Opening a port needs a network ticket", 4, 0),
    ("b3", "Risk", "opportunity", "firewall rules as code", 4, 1),
    ("c1", "Risk", "pain", "CAB meets only on Thursdays", 4, 5),
    ("c2", "Search", "pain", "waiting for change advisory board approval", 4, 0),
    ("e1", "Payments", "event", "Environment requested", 2, 0),
    ("x1", "Payments", "pain", "Coffee machine broken", 0, 0),
]


def test_vocabulary_maps_synonyms_to_one_concept():
    assert "network" in normalise_text("Opening a port").split()
    assert "network" in normalise_text("firewall change").split()
    assert normalise_text("CAB") == normalise_text("change approval board") == "cab"
    assert normalise_text("env") == normalise_text("environments") == "environment"
    assert normalise_text("") == ""


def test_paraphrases_are_grouped_and_one_offs_stay_alone():
    # The old vocabulary method, still a configuration (a baseline of benchmarks/grouping.py): on a
    # discovery this small the default's percentile cut has too few distances to go by
    # (test_grouping_signals.py and tests/test_aggregation_fixture.py test the default).
    proposal = propose_themes(frame(SAMPLE)[lambda f: f["kind"] != "event"], LEGACY_CONFIG)
    cluster = dict(zip(proposal["sticky_id"], proposal["cluster"]))
    assert cluster["a1"] == cluster["a2"] == cluster["a3"]
    assert cluster["b1"] == cluster["b2"] == cluster["b3"]
    assert cluster["c1"] == cluster["c2"]
    assert len({cluster["a1"], cluster["b1"], cluster["c1"], cluster["x1"]}) == 4


def test_empty_discovery():
    out = aggregate(frame([]), STAGES)
    assert list(out.backlog.columns) == BACKLOG_COLUMNS
    assert out.backlog.empty and out.stickies.empty
    assert list(out.heatmap.columns) == STAGES and out.heatmap.empty


def test_pipeline_does_not_mutate_input_and_fills_contract():
    stickies = frame(SAMPLE)
    before = stickies.copy(deep=True)
    out = aggregate(stickies, STAGES, config=LEGACY_CONFIG)
    pd.testing.assert_frame_equal(stickies, before)
    assert list(out.stickies.columns) == STICKY_COLUMNS
    assert list(out.backlog.columns) == BACKLOG_COLUMNS
    events = out.stickies[out.stickies["kind"] == "event"]
    assert events["theme_id"].isna().all() and events["theme"].isna().all()
    themed = out.stickies[out.stickies["kind"].isin(["pain", "opportunity"])]
    assert themed["theme_id"].notna().all()
    top = out.backlog.iloc[0]
    assert top["rank"] == 1 and top["team_count"] == 3
    assert out.backlog["rank"].tolist() == list(range(1, len(out.backlog) + 1))
    row = out.backlog.set_index("title").loc[out.stickies.set_index("sticky_id").at["b1", "theme"]]
    # Teams and votes count pain points only (the opportunity, from Risk with 1 vote, is an idea).
    assert row["teams"] == ["Payments", "Search"] and row["stages"] == ["Release"]
    assert row["pain_count"] == 2 and row["opportunity_count"] == 1 and row["votes"] == 2


def test_one_team_unicode_emoji_and_blank_text():
    out = aggregate(frame([
        ("u1", "Équipe Zürich", "pain", "Déploiement manuel 😩 chaque vendredi", 4, 1),
        ("u2", "Équipe Zürich", "pain", "🔥🔥🔥", 5, 0),
        ("u3", "Équipe Zürich", "pain", "   ", 1, 0),
        ("u4", "Équipe Zürich", "opportunity", "自動デプロイ", 4, 0),
    ]), STAGES)
    by_id = out.stickies.set_index("sticky_id")
    assert pd.isna(by_id.at["u3", "theme_id"])  # nothing to group on a blank sticky
    assert by_id.loc[["u1", "u2", "u4"], "theme_id"].notna().all()
    assert out.heatmap.loc["Équipe Zürich"].tolist() == [0, 1, 0, 0, 1, 1]
    assert set(out.backlog["teams"].map(tuple)) == {("Équipe Zürich",)}


def test_ties_are_broken_deterministically():
    rows = [(f"t{i}", f"Team {i}", "pain", text, 2, 1)
            for i, text in enumerate(["Zebra crossing unclear", "apple pie recipe lost", "Mango shortage today"])]
    first = aggregate(frame(rows), STAGES, config=LEGACY_CONFIG).backlog
    second = aggregate(frame(list(reversed(rows))), STAGES, config=LEGACY_CONFIG).backlog
    assert first["title"].tolist() == second["title"].tolist() == [
        "apple pie recipe lost", "Mango shortage today", "Zebra crossing unclear"]
    assert first["priority"].nunique() == 1


def test_priority_formula_and_quick_wins():
    themes = pd.DataFrame({
        "theme_id": [1, 2, 3, 4], "title": ["wide", "narrow", "quick", "done"],
        "team_count": [10, 1, 5, 10], "votes": [20, 0, 5, 20], "sticky_count": [30, 1, 6, 30],
        "value": pd.array([None, None, 5, 5], dtype="Int64"), "effort": pd.array([None, None, 1, 1], dtype="Int64"),
        "status": ["proposed", "proposed", "accepted", "done"]})
    ranked = prioritise(themes, total_teams=10)
    assert ranked["title"].tolist() == ["quick", "wide", "narrow", "done"]
    wide = ranked.set_index("title").loc["wide"]
    assert wide["priority"] == pytest.approx(3 * (1 + 2 * 1.0) / 3)  # demand 1.0, defaults 3/3
    assert ranked.set_index("title")["quick_win"].to_dict() == {"quick": True, "wide": False, "narrow": False,
                                                                 "done": False}


def test_heatmap_has_every_stage_in_order_and_given_teams():
    heat = pain_heatmap(frame(SAMPLE), STAGES, teams=["Search", "Payments", "Risk", "Quiet team"])
    assert list(heat.columns) == STAGES
    assert heat.index.tolist() == ["Search", "Payments", "Risk", "Quiet team"]
    assert heat.loc["Quiet team"].sum() == 0
    assert heat.loc["Payments", "Idea"] == 1 and heat.loc["Payments", "Build"] == 1
    assert heat.to_numpy().sum() == 8  # pain only: events and opportunities are not counted
    assert (heat.index.name, heat.columns.name) == ("team", "stage")  # the workbook's axis labels
    assert set(map(str, heat.dtypes)) == {"int64"}
    empty = pain_heatmap(frame(SAMPLE[8:9]), STAGES, teams=["Payments"])  # an event only: no pain
    assert empty.to_numpy().tolist() == [[0] * 6] and set(map(str, empty.dtypes)) == {"int64"}


def themes_frame(rows):
    return pd.DataFrame({
        "theme_id": pd.array([r[0] for r in rows], dtype="Int64"), "title": [r[1] for r in rows],
        "title_is_custom": [r[2] for r in rows], "value": pd.array([r[3] for r in rows], dtype="Int64"),
        "effort": pd.array([None] * len(rows), dtype="Int64"), "status": [r[4] for r in rows],
        "merged_into_id": pd.array([r[5] for r in rows], dtype="Int64")})


def test_reconcile_rules():
    proposal = pd.DataFrame({"sticky_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"],
                             "cluster": [0, 0, 0, 1, 1, 2, 3, 1],
                             "title": ["A", "A", "A", "B", "B", "C", "D", "B"]})
    previous = pd.DataFrame({"sticky_id": ["s1", "s2", "s4", "s5", "s6"],
                             "theme_id": pd.array([10, 10, 11, 12, 13], dtype="Int64"),
                             "pinned": [False, False, False, True, False]})
    themes = themes_frame([(10, "env", True, 4, "accepted", None), (11, "old", False, None, "proposed", None),
                           (12, "net", False, None, "proposed", None), (13, "gone", False, None, "proposed", 10)])
    rec = reconcile(proposal, previous, themes)
    got = rec.assignments.set_index("sticky_id")
    assert got.loc[["s1", "s2", "s3"], "theme_id"].tolist() == [10, 10, 10]   # overlap keeps the theme
    assert got.loc[["s5", "s8"], "theme_id"].tolist() == [12, 12]             # new stickies follow the pin
    assert got.at["s4", "theme_id"] == 11                                      # ...old ones keep their theme
    assert got.at["s5", "pinned"] and not got.at["s4", "pinned"]
    assert got.at["s6", "theme_id"] == 10                                      # 13 was merged into 10
    assert pd.isna(got.at["s7", "theme_id"]) and got.at["s7", "new_key"] == "new-1"
    assert rec.new_themes.to_dict("records") == [{"new_key": "new-1", "title": "D"}]
    assert 13 not in set(got["theme_id"].dropna())


def test_reconcile_keeps_pinned_sticky_missing_from_proposal():
    proposal = pd.DataFrame({"sticky_id": ["s1"], "cluster": [0], "title": ["x"]})
    previous = pd.DataFrame({"sticky_id": ["s9"], "theme_id": pd.array([5], dtype="Int64"), "pinned": [True]})
    rec = reconcile(proposal, previous, themes_frame([(5, "t", False, None, "proposed", None)]))
    assert rec.assignments.set_index("sticky_id").at["s9", "theme_id"] == 5


def test_shorten_title():
    assert shorten_title("  short\ntext ") == "short text"
    long = "Provisioning a brand new test environment for the payments team takes three to four weeks every time"
    out = shorten_title(long)
    assert len(out) <= 80 and out.endswith("…") and long.startswith(out[:-1])


def test_build_backlog_skips_merged_and_empty_themes():
    stickies = frame(SAMPLE[:2])
    stickies["theme_id"] = pd.array([1, 2], dtype="Int64")
    themes = themes_frame([(1, "one", False, None, "proposed", None), (2, "two", False, None, "proposed", 1),
                           (3, "three", False, None, "proposed", None)])
    backlog = build_backlog(stickies, themes, stages=STAGES)
    assert backlog["theme_id"].tolist() == [1]


def test_a_themes_lists_name_each_team_and_workshop_once_in_order():
    stickies = frame([("p1", "Search", "pain", "Slow builds", 1, 0), ("p2", "Payments", "pain", "Slow CI", 2, 0),
                      ("p3", "Payments", "pain", "Builds slow", 3, 0), ("p4", "Search", "pain", "CI is slow", 2, 0)])
    stickies["workshop_id"] = [7, 3, 3, 9]  # Search held two workshops with the same label
    stickies["theme_id"] = pd.array([1, 1, 1, 1], dtype="Int64")
    backlog = build_backlog(stickies, themes_frame([(1, "slow builds", False, None, "proposed", None)]), stages=STAGES)
    row = backlog.iloc[0]
    assert row["workshops"] == ["Payments (2026-10-02)", "Search (2026-10-02)"]  # by workshop id, each label once
    assert row["teams"] == ["Payments", "Search"]
    assert row["workshop_count"] == 3 and row["sticky_count"] == 4
    assert row["stages"] == ["Plan", "Build", "Test"]


def test_re_aggregation_keeps_stored_themes_and_numbers_new_ones_above_them():
    from workshop.aggregation.backlog import aggregate
    stickies = frame(SAMPLE)
    first = aggregate(stickies, STAGES)
    env_theme = int(first.stickies.set_index("sticky_id").at["a1", "theme_id"])
    # the product owner named the environments theme (id 40 now) and pinned the coffee machine into it
    stored = first.themes.assign(theme_id=first.themes["theme_id"] + 39)
    stored.loc[stored["theme_id"] == env_theme + 39, ["title", "title_is_custom"]] = ["Environments on demand", True]
    previous = first.stickies.loc[first.stickies["theme_id"].notna(), ["sticky_id", "theme_id"]].copy()
    previous["theme_id"] = (previous["theme_id"] + 39).astype("Int64")
    previous["pinned"] = previous["sticky_id"] == "x1"
    previous.loc[previous["sticky_id"] == "x1", "theme_id"] = env_theme + 39
    more = pd.concat([stickies, frame([("z1", "Ops", "pain", "Quarterly OKR template is confusing", 5, 1)])],
                     ignore_index=True)
    again = aggregate(more, STAGES, previous=previous, themes=stored)
    theme_of = again.stickies.set_index("sticky_id")["theme_id"]
    assert theme_of["a1"] == theme_of["a2"] == theme_of["x1"] == env_theme + 39  # kept, pin honoured
    assert theme_of["z1"] == int(stored["theme_id"].max()) + 1  # the one new theme, numbered above
    assert set(again.themes["theme_id"]) == set(stored["theme_id"]) | {theme_of["z1"]}
    row = again.backlog.set_index("theme_id").loc[env_theme + 39]
    assert row["title"] == "Environments on demand" and row["sticky_count"] == 4
    assert again.stickies.set_index("sticky_id").at["a1", "theme"] == "Environments on demand"
    assert again.reconciliation.new_themes["title"].tolist() == ["Quarterly OKR template is confusing"]


def test_attach_themes_takes_the_last_assignment_and_leaves_the_rest_empty():
    from workshop.aggregation.backlog import attach_themes
    stickies = frame(SAMPLE[:3])
    assignments = pd.DataFrame({"sticky_id": ["a1", "a1", "a2"], "theme_id": pd.array([1, 2, None], dtype="Int64"),
                                "new_key": [None, None, 5.0]})
    out = attach_themes(stickies, assignments, {1: "one", 2: "two"})
    assert str(out["theme_id"].dtype) == "Int64" and list(out.columns) == STICKY_COLUMNS
    assert out["theme_id"].tolist() == [2, pd.NA, pd.NA]
    assert out["theme"].tolist() == ["two", None, None]
    assert stickies["theme"].isna().all()  # the input is not changed


def test_empty_frames_keep_the_contract_types():
    from workshop.aggregation.reconcile import empty_previous, empty_themes
    assert {c: str(t) for c, t in empty_themes().dtypes.items()} == {
        "theme_id": "Int64", "title": "object", "title_is_custom": "bool", "value": "Int64", "effort": "Int64",
        "status": "object", "merged_into_id": "Int64"}
    assert {c: str(t) for c, t in empty_previous().dtypes.items()} == {
        "sticky_id": "object", "theme_id": "Int64", "pinned": "bool"}


BACKLOG_TYPES = {"rank": "int64", "theme_id": "Int64", "team_count": "int64", "workshop_count": "int64",
                 "sticky_count": "int64", "pain_count": "int64", "opportunity_count": "int64", "votes": "int64",
                 "value": "Int64", "effort": "Int64", "priority": "float64", "quick_win": "bool"}


def test_a_backlog_row_counts_its_stickies_and_keeps_the_decisions():
    stickies = frame(SAMPLE)
    stickies["theme_id"] = pd.array([1, 1, 1, 2, 2, 2, 2, 2, None, 3], dtype="Int64")
    stickies.loc[stickies["sticky_id"] == "a2", "votes"] = None  # a missing count is no vote
    themes = themes_frame([(1, "Environments", True, 5, "accepted", None), (2, "Network and CAB", False, None,
                                                                            None, None),
                           (3, "Coffee", False, None, "rejected", None)])
    themes["effort"] = pd.array([2, None, None], dtype="Int64")
    backlog = build_backlog(stickies, themes)  # teams and stage names from the stickies themselves
    assert {c: str(backlog[c].dtype) for c in BACKLOG_TYPES} == BACKLOG_TYPES
    rows = backlog.set_index("title")
    env = rows.loc["Environments"]
    assert (env["theme_id"], env["value"], env["effort"], env["status"], env["quick_win"]) == (1, 5, 2, "accepted", True)
    assert (env["team_count"], env["workshop_count"], env["sticky_count"], env["votes"]) == (3, 3, 3, 3)
    assert env["teams"] == ["Payments", "Risk", "Search"] and env["stages"] == ["Build", "Test"]
    net = rows.loc["Network and CAB"]
    assert net["status"] == "proposed" and (net["pain_count"], net["opportunity_count"]) == (4, 1)
    assert pd.isna(net["value"]) and pd.isna(net["effort"])
    assert net["stages"] == ["Release"] and net["votes"] == 7  # votes on its pain points (issue 13): not the idea's 1
    assert backlog["title"].tolist()[-1] == "Coffee"  # rejected last
    # breadth is over the teams present (3) unless the discovery has more
    assert rows.loc["Environments", "priority"] > build_backlog(stickies, themes, total_teams=6).set_index(
        "title").loc["Environments", "priority"]
    empty = build_backlog(stickies.iloc[0:0], themes)
    assert empty.empty and {c: str(empty[c].dtype) for c in BACKLOG_TYPES} == BACKLOG_TYPES
