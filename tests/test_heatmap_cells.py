"""The heatmap's numbers open onto the pain points behind them: each cell carries exactly the pain
stickies it counts (aggregation.heatmap.pain_cells, services.backlog_view.heat_rows), and the page links
each number to its list (which it renders, for a browser without JavaScript too)."""
from __future__ import annotations

import re
import pandas as pd

from tests.test_aggregation_pipeline import SAMPLE, STAGES, frame
from workshop.aggregation.heatmap import CELL_COLUMNS, pain_cells, pain_heatmap
from workshop.services.backlog_view import backlog_view, heat_rows, workshop_said

TEAMS = ["Search", "Payments", "Risk", "Quiet team"]
# besides the sample: a pain point of a team the heatmap has no row for, and one more vote-less pain
# point in a cell that has one already (to see the order within a cell)
EXTRA = [("o1", "Outsiders", "pain", "Not one of the discovery's teams", 2, 9),
         ("o2", "Payments", "pain", "Nobody owns the build scripts", 2, 0)]


def cell_ids(cells: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    return {key: group["sticky_id"].tolist() for key, group in cells.groupby(["team", "stage"], sort=False)}


def test_each_cell_lists_exactly_the_pain_points_it_counts():
    stickies = frame(SAMPLE + EXTRA)
    heat = pain_heatmap(stickies, STAGES, TEAMS)
    cells = pain_cells(stickies, STAGES, TEAMS)
    assert list(cells.columns) == CELL_COLUMNS
    by_cell = cell_ids(cells)
    for team in TEAMS:
        for stage in STAGES:
            ids = by_cell.get((team, stage), [])
            assert len(ids) == heat.at[team, stage], (team, stage)
            expected = stickies[(stickies["kind"] == "pain") & (stickies["team"] == team)
                                & (stickies["stage"] == stage)]["sticky_id"]
            assert sorted(ids) == sorted(expected), (team, stage)
    assert len(cells) == heat.to_numpy().sum() == 9  # pain only, and only of the heatmap's teams
    assert "o1" not in set(cells["sticky_id"])
    # in the heatmap's order (its teams, then the stages), the most voted first within a cell
    assert list(by_cell) == [("Search", "Test"), ("Search", "Release"), ("Payments", "Idea"), ("Payments", "Build"),
                             ("Payments", "Release"), ("Risk", "Test"), ("Risk", "Release")]
    assert by_cell[("Payments", "Build")] == ["a1", "o2"]
    first = cells.iloc[0].to_dict()
    assert {k: first[k] for k in ("team", "stage", "stage_index", "text", "workshop", "votes")} == {
        "team": "Search", "stage": "Test", "stage_index": 3, "text": "Provisioning a test env takes three weeks",
        "workshop": "Search (2026-10-02)", "votes": 1}


def test_a_discovery_without_pain_has_cells_without_stickies():
    stickies = frame(SAMPLE[8:9])  # an event only
    cells = pain_cells(stickies, STAGES, ["Payments"])
    assert cells.empty and list(cells.columns) == CELL_COLUMNS
    rows = heat_rows(pain_heatmap(stickies, STAGES, ["Payments"]), cells, 0)
    assert [(c["count"], c["level"], c["stickies"]) for c in rows[0]["cells"]] == [(0, 0, [])] * 6


def test_the_page_rows_give_each_cell_its_stickies_and_shade():
    stickies = frame(SAMPLE + EXTRA)
    heat = pain_heatmap(stickies, STAGES, TEAMS)
    rows = heat_rows(heat, pain_cells(stickies, STAGES, TEAMS), int(heat.to_numpy().max()))
    assert [row["team"] for row in rows] == TEAMS
    build = rows[1]["cells"][2]
    assert (build["stage"], build["count"], build["level"], build["id"]) == ("Build", 2, 5, "heat-1-2")
    assert [s["text"] for s in build["stickies"]] == ["Waiting weeks for a new environment",
                                                      "Nobody owns the build scripts"]
    assert build["stickies"][0]["workshop_said"] == "workshop 2026-10-02"
    assert build["stickies"][0]["theme_id"] is None  # no theme yet: None, not <NA>, for the page
    assert all(c["count"] == len(c["stickies"]) for row in rows for c in row["cells"])


def test_a_workshop_is_named_after_its_team_by_what_tells_it_apart():
    assert workshop_said("Payments", "Payments (2026-10-02)") == "workshop 2026-10-02"
    assert workshop_said("Payments", "Payments (2026-10-02, round 2)") == "workshop 2026-10-02, round 2"
    assert workshop_said("Payments", "Payments #2") == "workshop Payments #2"
    assert workshop_said("Payments", "Payments") == ""


def test_with_two_rounds_a_workshop_is_named_by_its_round_first():
    """A product owner read "Payments · workshop 2026-10-02" and "Payments · workshop 2026-11-20" under
    one number and could not tell which was round 2: with more than one round the round comes first,
    then the day (never the round twice), then what else tells the workshop apart."""
    assert workshop_said("Payments", "Payments (2026-11-20)", 2) == "round 2 · 2026-11-20"
    assert workshop_said("Payments", "Payments (2026-10-02)", 1) == "round 1 · 2026-10-02"
    assert workshop_said("Payments", "Payments (2026-10-02, round 2)", 2) == "round 2 · 2026-10-02"
    assert workshop_said("Payments", "Payments", 2) == "round 2"
    assert workshop_said("Payments", "Payments #2", 1) == "round 1 · workshop #2"
    assert workshop_said("Payments", "Payments (2026-10-02) #2", 1) == "round 1 · 2026-10-02 · workshop #2"
    # a team whose name has brackets of its own is still read from its end
    assert workshop_said("Ops (EU)", "Ops (EU) (2026-11-20)", 2) == "round 2 · 2026-11-20"


def two_rounds() -> tuple:
    """The sample's Payments in round 1 (2026-10-02) and again in round 2 (2026-11-20)."""
    stickies = frame(SAMPLE + [("r2", "Payments", "pain", "Still waiting for environments", 2, 2)])
    second = stickies["sticky_id"] == "r2"
    stickies.loc[second, "workshop_id"] = 1000  # the sample's ids are below 1000
    stickies.loc[second, "workshop"] = "Payments (2026-11-20)"
    rounds = {int(w): 1 for w in stickies["workshop_id"].unique()} | {1000: 2}
    return stickies, rounds


def test_each_pain_point_carries_its_round():
    stickies, rounds = two_rounds()
    cells = pain_cells(stickies, STAGES, TEAMS, rounds)
    assert list(cells.columns) == CELL_COLUMNS
    by_id = dict(zip(cells["sticky_id"], cells["round"]))
    assert by_id["r2"] == 2 and by_id["a1"] == 1 and by_id["c1"] == 1
    assert set(pain_cells(stickies, STAGES, TEAMS)["round"]) == {1}  # without the rounds: round 1


def test_with_two_rounds_the_page_names_the_round_of_each_pain_point():
    stickies, rounds = two_rounds()
    heat = pain_heatmap(stickies, STAGES, TEAMS)
    cells = pain_cells(stickies, STAGES, TEAMS, rounds)
    peak = int(heat.to_numpy().max())
    build = heat_rows(heat, cells, peak, name_rounds=True)[1]["cells"][2]
    assert [(s["text"], s["workshop_said"]) for s in build["stickies"]] == [
        ("Waiting weeks for a new environment", "round 1 · 2026-10-02"),
        ("Still waiting for environments", "round 2 · 2026-11-20")]
    # one round: the day alone, as before
    once = heat_rows(heat, pain_cells(stickies, STAGES, TEAMS), peak)[1]["cells"][2]
    assert [s["workshop_said"] for s in once["stickies"]] == ["workshop 2026-10-02", "workshop 2026-11-20"]


def test_every_cell_of_the_demo_carries_the_pain_points_it_counts(demo_template, db):
    with db.session() as session:
        view = backlog_view(session, 1)
    stickies = view.report.stickies
    counted = stickies[(stickies["kind"] == "pain") & stickies["team"].isin(list(view.heat.index))]
    seen: list[str] = []
    for r, row in enumerate(view.heat_rows):
        assert row["team"] == view.heat.index[r]
        for c, cell in enumerate(row["cells"]):
            assert cell["count"] == view.heat.iat[r, c] == len(cell["stickies"]), (row["team"], cell["stage"])
            for sticky in cell["stickies"]:
                assert (sticky["team"], sticky["stage"]) == (row["team"], cell["stage"])
            seen += [s["sticky_id"] for s in cell["stickies"]]
    assert len(seen) == len(set(seen)) == len(counted) > 50  # each pain point in one cell, none left out
    assert set(seen) == set(counted["sticky_id"])
    texts = dict(zip(stickies["sticky_id"], stickies["text"]))
    themes = dict(zip(stickies["sticky_id"], stickies["theme_id"]))
    rounds = {int(w): int(r) for w, r in zip(view.report.workshops["workshop_id"], view.report.workshops["round"])}
    round_of = {s: rounds[int(w)] for s, w in zip(stickies["sticky_id"], stickies["workshop_id"])}
    for row in view.heat_rows:
        for cell in row["cells"]:
            for sticky in cell["stickies"]:
                assert sticky["text"] == texts[sticky["sticky_id"]]
                assert sticky["theme_id"] == themes[sticky["sticky_id"]]
                # the demo has two rounds: each pain point says its own
                assert sticky["round"] == round_of[sticky["sticky_id"]]
                assert sticky["workshop_said"].startswith(f"round {sticky['round']} · "), sticky["workshop_said"]
    assert {2, 1} <= set(round_of.values())


def test_the_page_links_each_number_to_the_list_of_its_pain_points(demo_template, auth, client):
    assert auth.login("po@example.com", "another pass").status_code == 302
    html = client.get("/discoveries/1/backlog").get_data(as_text=True)
    heatmap = html[html.index('data-test="heatmap"'):html.index('data-test="heat-cells"')]
    links = re.findall(r'<a class="heat-open" href="#(heat-\d+-\d+)" title="[^"]*" aria-label="([^"]*)"'
                       r' data-test="heat-open">(\d+)</a>', heatmap)
    assert links and len(links) == heatmap.count("<a ")  # an empty cell is no link
    sections = {m.group(1): m.group(0) for m in
                re.finditer(r'<section class="heat-cell" id="(heat-\d+-\d+)".*?</section>', html, re.S)}
    assert set(sections) == {cell for cell, _, _ in links}  # each number's list, rendered in the page
    for cell, label, number in links:
        assert re.fullmatch(rf".+ at .+: {number} pain points?, show them", label), label
        assert sections[cell].count('<li class="heat-sticky"') == int(number)
    # the demo has run round 2 for three teams: each pain point says its round before its day
    where = re.findall(r'<span class="heat-where">([^<]*)', html)
    assert where and all(re.match(r".+ · round [12] · \d{4}-\d{2}-\d{2}", w) for w in where), where[:3]
    assert any(" · round 2 · " in w for w in where) and not any(" · workshop " in w for w in where)


def test_the_round_is_named_only_when_pain_points_come_from_more_than_one():
    """A round 2 planned but not run yet adds no pain point: its heatmap said "round 1 · ..." on every
    line, which told the owner nothing."""
    import pandas as pd

    from workshop.services.backlog_view import names_rounds
    planned = pd.DataFrame({"round": [1, 1, 2], "pain": [3, 2, 0]})
    assert not names_rounds(planned)
    assert names_rounds(planned.assign(pain=[3, 2, 1]))
    assert not names_rounds(pd.DataFrame({"round": [1, 1], "pain": [3, 2]}))
    assert not names_rounds(None) and not names_rounds(planned.iloc[:0])
