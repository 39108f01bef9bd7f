"""Rounds: a discovery run again later with the same teams. Starting round 2, importing into a round,
earlier rounds read-only, and each theme followed through the rounds (gone, fewer teams, same, more
teams, new) on the backlog page and in the workbook."""
from __future__ import annotations

import re
from io import BytesIO

import openpyxl
import pandas as pd
import pytest
from sqlmodel import select

from workshop.aggregation.rounds import (CHANGES, GONE_SO_FAR, NO_PAIN, NOT_RUN, change, compare_rounds,
                                         comparison_basis)
from workshop.db.models import Sticky, Workshop


def write_a_sticky(db, workshop_id: int, text: str = "Waiting weeks for an environment") -> None:
    """The round was run: a pain point on the workshop's board (a new round is compared with it)."""
    import uuid
    with db.session() as session:
        session.add(Sticky(id=str(uuid.uuid4()), workshop_id=workshop_id, kind="pain", text=text, x=0.4, y=0.5))
        session.commit()


# --- the comparison, pure -------------------------------------------------------------------------------

def test_change_between_two_rounds():
    assert [change(2, 0), change(3, 1), change(2, 2), change(1, 4), change(0, 3)] == list(CHANGES)
    assert change(0, 0) == "gone"


def test_compare_rounds_counts_teams_and_pain_points_per_round():
    # workshops 1-3 are round 1 (teams A, B, C), 4-5 round 2 (A, B)
    rounds = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2}
    team = {1: "A", 2: "B", 3: "C", 4: "A", 5: "B"}
    rows = [  # (workshop, theme, kind)
        (1, 10, "pain"), (2, 10, "pain"), (3, 10, "pain"), (4, 10, "pain"),  # 3 teams -> 1
        (1, 11, "pain"), (2, 11, "pain"),                                           # gone
        (4, 12, "pain"), (5, 12, "pain"), (5, 12, "pain"),                          # new
        (1, 13, "pain"), (4, 13, "pain"),                                           # same
        (1, 14, "pain"), (4, 14, "pain"), (5, 14, "pain"),                          # more teams
        (3, 15, "pain"),                        # only team C, which has not run round 2 yet
        (1, 16, "pain"), (3, 16, "pain"), (5, 16, "pain"),  # A and C -> B: A's pain went, B's is new
        (2, None, "event"),
    ]
    stickies = pd.DataFrame({
        "workshop_id": [r[0] for r in rows], "team": [team[r[0]] for r in rows],
        "theme_id": pd.array([r[1] for r in rows], dtype="Int64"), "kind": [r[2] for r in rows]})
    backlog = pd.DataFrame({"rank": [1, 2, 3, 4, 5, 6, 7], "theme_id": [12, 10, 14, 13, 11, 15, 16],
                            "title": ["New pain", "Fewer", "More", "Same", "Gone", "Not run", "Moved"]})
    out = compare_rounds(stickies, backlog, rounds)
    assert list(out.columns) == ["theme_id", "title", "full_title", "teams_1", "pains_1", "teams_2", "pains_2", "change",
                                 "judged", "of_teams"]
    assert out["theme_id"].tolist() == [12, 10, 14, 13, 11, 15, 16]  # rank order
    by = out.set_index("title")
    # Fewer: A, B, C in round 1; C has not run round 2, so A and B (2) against A (1)
    assert by.loc["Fewer", ["teams_1", "pains_1", "teams_2", "pains_2"]].tolist() == [3, 3, 1, 1]
    assert by.loc["New pain", ["teams_1", "teams_2", "pains_2"]].tolist() == [0, 2, 3]
    assert by["change"].to_dict() == {"New pain": "new", "Fewer": "fewer teams", "More": "more teams",
                                      "Same": "same", "Gone": "gone", "Not run": "not run yet",
                                      "Moved": "same"}


def frames(rows, team, titles):
    """stickies and backlog frames from (workshop, theme, kind) rows; themes ranked in `titles` order."""
    stickies = pd.DataFrame({
        "workshop_id": [r[0] for r in rows], "team": [team[r[0]] for r in rows],
        "theme_id": pd.array([r[1] for r in rows], dtype="Int64"), "kind": [r[2] for r in rows]})
    backlog = pd.DataFrame({"rank": range(1, len(titles) + 1), "theme_id": list(titles), "title": list(titles.values())})
    return stickies, backlog


def test_only_pain_points_count_for_a_themes_teams_and_its_change():
    """An idea-only theme (opportunities, never a pain point) had 'Round 1 teams: 2' and was 'gone'."""
    rounds, team = {1: 1, 2: 1, 3: 2, 4: 2}, {1: "A", 2: "B", 3: "A", 4: "B"}
    stickies, backlog = frames([(1, 20, "opportunity"), (2, 20, "opportunity"),    # ideas only
                                (1, 21, "pain"), (2, 21, "opportunity"), (3, 21, "pain"),  # A -> A
                                (3, 22, "opportunity"), (4, 22, "opportunity")],  # ideas, round 2
                               team, {20: "Online forms", 21: "Fire report", 22: "Chatbot"})
    by = compare_rounds(stickies, backlog, rounds).set_index("title")
    assert by.loc["Online forms", ["teams_1", "pains_1", "teams_2", "change"]].tolist() == [0, 0, 0, NO_PAIN]
    assert by.loc["Fire report", ["teams_1", "teams_2", "change"]].tolist() == [1, 1, "same"]
    assert by.loc["Chatbot", ["teams_2", "change"]].tolist() == [0, NO_PAIN]


def test_the_change_is_judged_on_the_teams_that_ran_both_rounds():
    """Brandschutz ran round 1 and not round 2; Kita ran round 2 only. Neither may make a theme look
    gone, fewer or more."""
    rounds = {1: 1, 2: 1, 3: 2, 4: 2}
    team = {1: "Statik", 2: "Brandschutz", 3: "statik", 4: "Kita"}  # a team's name typed in another case
    stickies, backlog = frames([
        (2, 30, "pain"), (1, 30, "opportunity"),                 # Brandschutz's pain, Statik's idea
        (1, 31, "pain"), (2, 31, "pain"), (3, 31, "pain"),       # Statik and Brandschutz -> Statik
        (1, 32, "pain"), (3, 32, "pain"), (4, 32, "pain"),       # Statik -> Statik and Kita
        (1, 33, "pain"),                                         # Statik's pain went away
        (4, 34, "pain"),                                         # Kita's, new to us
    ], team, {30: "Fire report", 31: "Archive", 32: "Forms", 33: "Gone", 34: "Kita"})
    by = compare_rounds(stickies, backlog, rounds).set_index("title")
    assert by["change"].to_dict() == {"Fire report": NOT_RUN, "Archive": "same", "Forms": "same",
                                      "Gone": "gone", "Kita": "new"}
    assert by.loc["Archive", ["teams_1", "teams_2"]].tolist() == [2, 1]  # the raw counts stay
    assert by.loc["Forms", ["teams_1", "teams_2"]].tolist() == [1, 2]
    basis = comparison_basis(stickies, rounds)
    assert (basis.ran_both, basis.not_run_latest, basis.only_latest) == (("Statik",), ("Brandschutz",), ("Kita",))
    assert basis.sentence() == ("Compared on the one team that ran both rounds; Brandschutz has not run round 2 "
                                "yet; Kita ran round 2 only (a pain point of theirs alone shows as new).")


# --- through the app ------------------------------------------------------------------------------------

@pytest.fixture
def demo(demo_template, auth):
    """The demo discovery, its facilitator Ada (the first account, an admin) signed in."""
    assert auth.login().status_code == 302
    return 1


def round_of(db, discovery_id=1) -> dict[int, list[Workshop]]:
    with db.session() as session:
        out: dict[int, list[Workshop]] = {}
        for w in session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id)).all():
            out.setdefault(w.round, []).append(w)
        return out


def test_the_demo_has_a_second_round_for_three_teams(demo, client, db):
    rounds = round_of(db)
    assert sorted(rounds) == [1, 2] and len(rounds[1]) == 10
    assert sorted(w.team for w in rounds[2]) == ["Checkout", "Logistics", "Payments"]
    assert all(w.status == "closed" for w in rounds[1]) and any(w.status == "open" for w in rounds[2])
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert 'data-test="rounds"' in page  # a newcomer sees what a change looks like
    for change_class in ("gone", "same", "fewer-teams", "more-teams", "not-run-yet"):
        assert f'class="pill change-{change_class}"' in page, change_class


def test_starting_round_two_gives_every_team_a_new_workshop_and_closes_round_one(signed_in, client, db):
    _, discovery_id = signed_in.create_discovery()
    _, payments = signed_in.create_workshop(discovery_id, team="Payments")
    _, search = signed_in.create_workshop(discovery_id, team="Search", template="onboarding")
    page = client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert "Start round 2" not in page  # nothing written in round 1 yet: nothing to compare with
    refused = client.post(f"/discoveries/{discovery_id}/rounds", follow_redirects=True)
    assert "Round 1 has no stickies yet" in refused.get_data(as_text=True)
    assert sorted(round_of(db, discovery_id)) == [1]
    write_a_sticky(db, payments)
    page = client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert "Start round 2" in page and "Round 1" not in page  # one round: no round headings yet
    response = client.post(f"/discoveries/{discovery_id}/rounds")
    assert response.status_code == 302 and response.headers["Location"].endswith("#round2")
    rounds = round_of(db, discovery_id)
    assert sorted(rounds) == [1, 2]
    assert sorted((w.team, w.template) for w in rounds[2]) == sorted((w.team, w.template) for w in rounds[1])
    assert all(w.status == "open" and w.phase == "setup" for w in rounds[2])
    assert all(w.status == "closed" for w in rounds[1])
    assert not {w.join_token for w in rounds[2]} & {w.join_token for w in rounds[1]}
    page = client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert "Round 2" in page and "Round 1" in page and "Start round 3" not in page  # round 2 not run yet
    assert page.index("Round 2") < page.index("Round 1")  # the current round first
    # round 1 is over: its boards are not reopened, and its join links stay closed
    old = rounds[1][0]
    refused = client.post(f"/workshops/{old.id}/status", data={"status": "open"})
    assert refused.status_code == 409 and b"round 1, which is over" in refused.data
    assert client.get(f"/w/{old.join_token}").status_code == 410  # a closed workshop's link is gone
    # a workshop added now belongs to round 2; round 3 is for every team, also one new in round 2
    client.post(f"/discoveries/{discovery_id}", data={"team": "Newcomers", "template": "discovery", "held_on": ""})
    assert "Newcomers" in [w.team for w in round_of(db, discovery_id)[2]]
    write_a_sticky(db, round_of(db, discovery_id)[2][0].id)
    assert "Start round 3" in client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert client.post(f"/discoveries/{discovery_id}/rounds").status_code == 302
    assert sorted(w.team for w in round_of(db, discovery_id)[3]) == ["Newcomers", "Payments", "Search"]


def test_import_goes_to_the_latest_round_or_the_one_named(demo, db):
    from workshop.domain.errors import ValidationError
    from workshop.services.importer import import_stickies
    csv = "kind,text,duration\npain,CAB only on Thursdays,\ntime,Waiting for CAB,1w\n"
    with db.session() as session:  # the demo is in round 2
        latest = import_stickies(session, csv, "Platform discovery 2026", "Search")
        first = import_stickies(session, csv, "Platform discovery 2026", "Search", round_number=1)
        third = import_stickies(session, csv, "Platform discovery 2026", "Payments", round_number=3)
        now = import_stickies(session, csv, "Platform discovery 2026", "Checkout")
        with pytest.raises(ValidationError, match="Round 5 does not exist"):
            import_stickies(session, csv, "Platform discovery 2026", "Payments", round_number=5)
        with pytest.raises(ValidationError, match="Round 0 does not exist"):
            import_stickies(session, csv, "Platform discovery 2026", "Payments", round_number=0)
        rounds = {w.id: w.round for w in session.exec(select(Workshop)).all()}
    assert [rounds[r.workshop_id] for r in (latest, first, third, now)] == [2, 1, 3, 3]


def test_the_cli_imports_into_a_round(app, signed_in, runner, tmp_path, db):
    assert runner.invoke(args=["demo"]).exit_code == 0
    path = tmp_path / "payments-round-3.csv"
    path.write_text("kind,text\npain,Still waiting for environments\n", encoding="utf-8")
    result = runner.invoke(args=["import-stickies", str(path), "--discovery", "Platform discovery 2026",
                                 "--team", "Payments", "--round", "3"])
    assert result.exit_code == 0, result.output
    assert [w.team for w in round_of(db)[3]] == ["Payments"]
    refused = runner.invoke(args=["import-stickies", str(path), "--discovery", "Platform discovery 2026",
                                  "--team", "Payments", "--round", "9"])
    assert refused.exit_code != 0 and "Round 9 does not exist" in refused.output


def env_theme(db):
    """The demo's environments theme (the one of 'waiting 3 wks for a test env', which round 2 no longer has); its title
    is whichever of its stickies the grouping finds most representative (issue 13: a pain point's)."""
    from workshop.db.models import Sticky, Theme, ThemeAssignment
    with db.session() as session:
        return session.exec(select(Theme).join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
                            .join(Sticky, Sticky.id == ThemeAssignment.sticky_id)
                            .where(Sticky.text == "waiting 3 wks for a test env")).one()


def test_the_backlog_and_the_workbook_follow_each_theme_through_the_rounds(demo, client, db):
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert 'data-test="rounds"' in page and "Round 1 teams" in page and "Round 2 pain points" in page
    workbook = openpyxl.load_workbook(BytesIO(client.get("/discoveries/1/export.xlsx").data))
    assert workbook.sheetnames == ["Summary", "Backlog", "Heatmap", "Rounds", "Lead time", "Pain by stage",
                                   "Workshops", "Stickies"]
    stage_sheet = workbook["Pain by stage"]
    assert [c.value for c in stage_sheet[1]] == ["Stage", "Round 1", "Round 2"]
    per_team = {r[0]: r[1:] for r in stage_sheet.iter_rows(min_row=2, values_only=True)}
    assert list(per_team) == ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
    assert per_team["Plan"][1] == 0 and per_team["Plan"][0] > 1  # the environment wait is gone
    (chart,) = stage_sheet._charts
    assert chart.type == "col" and chart.grouping == "clustered" and len(chart.series) == 2
    ws = workbook["Rounds"]
    header = [c.value for c in ws[1]]
    assert header == ["Theme", "Round 1 teams", "Round 1 pain points", "Round 2 teams",
                      "Round 2 pain points", "Change (teams in both rounds)", "Judged on", "Shipped", "Theme ID"]
    assert ws.print_area == f"'Rounds'!$A$1:$H${ws.max_row}"  # the id stays out of print, as on every sheet
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    rows = [{**r, "Change": r["Change (teams in both rounds)"]} for r in rows]
    by_theme = {r["Theme"]: r for r in rows}
    assert {r["Change"] for r in rows} <= {*CHANGES, GONE_SO_FAR, NOT_RUN, NO_PAIN}
    # the demo's story: self-service environments shipped, CAB still there, a new pain about costs
    env = by_theme[env_theme(db).title]
    # gone for the teams of its seven that ran round 2; the others have not run it yet (issue 26)
    assert env["Round 1 teams"] >= 5 and env["Round 2 teams"] == 0 and env["Change"] == GONE_SO_FAR
    assert re.fullmatch(rf"[1-3] of {env['Round 1 teams']} teams", env["Judged on"])
    cab = next(r for t, r in by_theme.items() if "CAB" in t and r["Round 2 teams"])
    assert cab["Change"] in ("same", "fewer teams")
    spread = [r for r in rows if r["Change"] == "more teams"]
    # with issue 13's grouping the round-2 cost pain joins a round-1 theme whose round-1 teams did not run
    # round 2: it reached a team that ran both, so "more teams", not "new" (that theme hurt in round 1)
    assert spread and all(r["Round 1 teams"] >= 1 and r["Round 2 pain points"] >= 1 for r in spread)
    assert all(r["Round 1 teams"] == 0 for r in rows if r["Change"] == "new")
    assert sum(r["Round 2 pain points"] for r in rows) == 3 + 2 + 4  # the three round-2 boards' pain points
    assert "not run yet" in {r["Change"] for r in rows}  # 7 of the 10 teams have not run round 2
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"

    # lead time: each team's time stickies added up, per round; the Summary has each round's median
    lead = workbook["Lead time"]
    lead_header = [c.value for c in lead[1]]
    assert lead_header == ["Round", "Team", "Lead time (days)", "Idea", "Plan", "Build", "Test", "Release", "Operate"]
    lead_rows = [dict(zip(lead_header, r)) for r in lead.iter_rows(min_row=2, values_only=True)]
    assert sorted(r["Team"] for r in lead_rows if r["Round"] == 2) == ["Checkout", "Logistics", "Payments"]
    payments = next(r for r in lead_rows if r["Round"] == 2 and r["Team"] == "Payments")
    assert payments["Lead time (days)"] == pytest.approx(20 / 1440 + 10 + 7)  # 20 min + 10 days + 1 week
    assert payments["Build"] == pytest.approx(10) and payments["Release"] == pytest.approx(7)
    summary = {r[0]: r[1] for r in workbook["Summary"].iter_rows(values_only=True) if r and r[0]}
    import statistics
    both = {"Checkout", "Logistics", "Payments"}  # lead time compared on the teams with times in both rounds
    for number in (1, 2):
        median = statistics.median(r["Lead time (days)"] for r in lead_rows if r["Round"] == number and r["Team"] in both)
        assert summary[f"Lead time, round {number}"] == pytest.approx(median, abs=0.05)  # '0.0" days (median)"'
    assert summary["Gone in round 2"] == sum(r["Change"] == "gone" for r in rows)


def test_lead_time_per_team_round_and_stage():
    from workshop.aggregation.lead_time import lead_times, per_round
    stickies = pd.DataFrame({
        "workshop_id": [1, 1, 2, 3, 3, 3], "team": ["A", "A", "B", "A", "A", "A"],
        "kind": ["time", "time", "time", "time", "event", "time"],
        "stage": ["Plan", "Build", "Plan", "Plan", "Plan", "Build"],
        "duration_minutes": [3 * 1440, 2 * 1440, 7 * 1440, 1440, None, None]})
    lead = lead_times(stickies, {1: 1, 2: 1, 3: 2}, ["Plan", "Build"])
    assert lead.to_dict("records") == [
        {"round": 1, "team": "A", "lead_time_days": 5.0, "Plan": 3.0, "Build": 2.0},
        {"round": 1, "team": "B", "lead_time_days": 7.0, "Plan": 7.0, "Build": 0.0},
        {"round": 2, "team": "A", "lead_time_days": 1.0, "Plan": 1.0, "Build": 0.0}]
    summary = per_round(lead)
    assert summary["median_days"].tolist() == [6.0, 1.0] and summary["teams"].tolist() == [2, 1]
    assert summary["p85_days"].tolist() == pytest.approx([6.7, 1.0])


def test_time_stickies_without_a_duration_are_counted_and_named():
    from workshop.aggregation.lead_time import no_duration_note
    stickies = pd.DataFrame({"kind": ["time", "time", "event", "time", "time", "time"],
                             "text": ["CAB 2d", "Waiting for the CAB", "Merged", "Security\nreview", "x" * 80, "Pen test"],
                             "duration_minutes": [2880, None, None, None, None, None]})
    note = no_duration_note(stickies)
    assert note.startswith("4 time-taken stickies have no duration, so the lead time leaves them out: "
                           "“Waiting for the CAB”, “Security review”, “" + "x" * 59 + "…” and 1 more.")
    assert no_duration_note(stickies.iloc[:2]).startswith("1 time-taken sticky has no duration")
    assert no_duration_note(stickies.iloc[:1]) is None and no_duration_note(stickies.iloc[2:3]) is None


def test_the_backlog_and_the_workbook_say_when_time_stickies_have_no_duration(signed_in, client, db):
    from workshop.services.importer import import_stickies
    board = "kind,text\npain,CAB only on Thursdays\ntime,Waiting for the CAB\ntime,Security review\n"
    with db.session() as session:
        for number in (1, 2):
            discovery_id = import_stickies(session, board, "Permits", "Payments", round_number=number).discovery_id
    page = client.get(f"/discoveries/{discovery_id}/backlog").get_data(as_text=True)
    assert 'data-test="lead-time"' not in page  # no team's times add up to a lead time
    assert 'data-test="no-duration"' in page
    assert "4 time-taken stickies have no duration, so the lead time leaves them out: “" in page
    assert "“Waiting for the CAB”" in page and "“Security review”" in page
    workbook = openpyxl.load_workbook(BytesIO(client.get(f"/discoveries/{discovery_id}/export.xlsx").data))
    note = [r for r in workbook["Lead time"].iter_rows(values_only=True)]
    assert note[0] == ("Lead time",) and note[1][0].startswith("4 time-taken stickies have no duration")


def test_the_backlog_shows_lead_time_per_round_against_the_goal(demo, client):
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert 'data-test="lead-time"' in page and "from 9 weeks to 2 by Q3 2027" in page
    import re
    medians = re.findall(r"<tr><td>Round (\d)</td><td class=\"num\">(\d+)</td><td class=\"num\">([\d.]+)</td>", page)
    assert [(r, int(n)) for r, n, _ in medians] == [("1", 3), ("2", 3)]  # the teams compared (issue 26)
    assert float(medians[1][2]) < float(medians[0][2])  # the demo's round 2 is faster


def test_pain_by_stage_is_per_team_so_rounds_of_different_sizes_compare():
    from workshop.aggregation.rounds import pain_by_stage
    stickies = pd.DataFrame({
        "workshop_id": [1, 1, 2, 2, 3], "team": ["A", "A", "B", "B", "A"],
        "kind": ["pain", "pain", "pain", "event", "pain"], "stage": ["Plan", "Build", "Plan", "Plan", "Build"]})
    out = pain_by_stage(stickies, {1: 1, 2: 1, 3: 2}, ["Plan", "Build", "Test"])
    assert out.to_dict("list") == {"stage": ["Plan", "Build", "Test"], "round_1": [1.0, 0.5, 0.0],
                                   "round_2": [0.0, 1.0, 0.0]}


def per_stage_of_demo(db, stage: str) -> list[float]:
    """The demo's pain points per team in `stage`, round 1 and round 2, from the aggregation itself."""
    from workshop.aggregation.rounds import pain_by_stage
    from workshop.services.backlog import build_report
    from workshop.services.rounds import workshop_rounds
    with db.session() as session:
        report = build_report(session, 1)
        frame = pain_by_stage(report.stickies, workshop_rounds(session, 1), report.discovery["stages"])
    return frame.set_index("stage").loc[stage, ["round_1", "round_2"]].tolist()


def test_the_backlog_page_draws_pain_by_stage_per_round(demo, client, db):
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert 'data-test="stage-rounds"' in page
    assert page.count('class="round-bar round-1"') == 6 and page.count('class="round-bar round-2"') == 6
    assert "Plan, round 2: 0.0 pain points per team" in page
    values = re.findall(r'data-test="bar-value">([\d.]+)</text>', page)  # the values, as the workbook's chart
    assert len(values) == 12 and values[2:4] == [f"{v:.1f}" for v in per_stage_of_demo(db, "Plan")]


def test_a_product_owner_marks_a_theme_shipped_and_the_rounds_show_it(demo, signed_in, client, db):
    from workshop.db.models import Theme
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    env = env_theme(db)
    assert f'/discoveries/1/themes/{env.id}/shipped' in page and "Mark shipped" in page
    response = client.post(f"/discoveries/1/themes/{env.id}/shipped", data={"shipped_on": "2026-12-01"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#t{env.id}")
    with db.session() as session:
        assert session.get(Theme, env.id).shipped_on.isoformat() == "2026-12-01"
    with db.session() as session:  # shipped is done (ADR 0017): not 'proposed' beside a shipping date
        assert session.get(Theme, env.id).status == "done"
    workbook = export_of(client, 1)
    backlog = workbook["Backlog"]
    status_of = {r[-1]: r[12] for r in backlog.iter_rows(min_row=2, values_only=True)}
    assert backlog.cell(1, 13).value == "Status" and status_of[env.id] == "done"
    rounds_sheet = workbook["Rounds"]
    header = [c.value for c in rounds_sheet[1]]
    shipped = {r[header.index("Theme ID")]: r[header.index("Shipped")] for r in rounds_sheet.iter_rows(min_row=2, values_only=True)}
    assert shipped[env.id].date().isoformat() == "2026-12-01" and list(shipped.values()).count(None) == len(shipped) - 1
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert 'class="pill shipped"' in page and "shipped 2026-12-01" in page
    assert f'id="t{env.id}"' in page and re.search(rf'id="t{env.id}"[^>]*data-status="done"', page)
    row = re.search(rf'<tr data-theme="{env.id}">.*?</tr>', page, re.S).group(0)
    assert "change-gone" in row and "shipped 2026-12-01" in row  # shipped, and its pain went away
    refused = client.post(f"/discoveries/1/themes/{env.id}/shipped", data={"shipped_on": "next week"},
                          follow_redirects=True)
    assert b"is not a date" in refused.data
    assert client.post(f"/discoveries/1/themes/{env.id}/shipped", data={"shipped_on": ""}).status_code == 302
    with db.session() as session:
        assert session.get(Theme, env.id).shipped_on is None
    assert client.post("/discoveries/1/themes/999999/shipped", data={"shipped_on": "2026-12-01"},
                       follow_redirects=True).status_code == 200  # refused with a message, nothing written
    signed_in.logout()
    assert client.post(f"/discoveries/1/themes/{env.id}/shipped",
                       data={"shipped_on": "2026-12-01"}).status_code == 302  # to sign in
    with db.session() as session:
        assert session.get(Theme, env.id).shipped_on is None


def test_an_outsider_learns_nothing_from_reopening_an_earlier_rounds_workshop(demo, signed_in, client, app, db):
    round_one = round_of(db)[1][0]
    signed_in.add_user("lou@example.com", "Late Lou", "facilitator")
    outsider = app.test_client()
    outsider.post("/login", data={"email": "lou@example.com", "password": "another pass"})
    response = outsider.post(f"/workshops/{round_one.id}/status", data={"status": "open"})
    assert response.status_code in (403, 404) and b"round 1" not in response.data


def test_the_board_does_not_reopen_a_workshop_of_a_round_that_is_over(signed_in, client, app, db):
    """The discovery page refuses it (above); the board's own workshop.reopen op refuses it too."""
    from workshop.extensions import socketio
    _, discovery_id = signed_in.create_discovery()
    _, payments = signed_in.create_workshop(discovery_id, team="Payments")
    assert client.get(f"/workshops/{payments}/board").status_code == 200
    with client.session_transaction() as cookie:
        secret = cookie["seats"][str(payments)]
    with db.session() as session:
        token = session.get(Workshop, payments).join_token
    write_a_sticky(db, payments)
    assert client.post(f"/discoveries/{discovery_id}/rounds").status_code == 302  # closes round 1
    board = socketio.test_client(app, auth={"token": token, "secret": secret}, flask_test_client=client)
    assert board.is_connected()
    answer = board.emit("ops", {"ops": [{"id": "reopen-1", "type": "workshop.reopen"}]}, callback=True)
    assert answer["results"][0]["ok"] is False and answer["results"][0]["error"]["code"] == "earlier_round"
    with db.session() as session:
        assert session.get(Workshop, payments).status == "closed"
    board.disconnect()


# --- a product owner's walkthrough: a city's building-permit discovery ---------------------------------
# Five teams ran round 1; "Start round 2" gave each an empty workshop; round 2 was typed up and imported
# for four of them with `import-stickies --round 2`; Brandschutz has not run round 2 yet.

PERMIT_TEAMS = ("Bauaufsicht", "Brandschutz", "Denkmalschutz", "Statik", "Umwelt")
PERMITS = "Building permits"


def import_round(runner, tmp_path, team: str, number: int, rows: str, *extra: str):
    path = tmp_path / f"{team}-{number}-{abs(hash(rows))}.csv"
    path.write_text("kind,text\n" + rows, encoding="utf-8")
    return runner.invoke(args=["import-stickies", str(path), "--discovery", PERMITS, "--team", team,
                               "--round", str(number), *extra])


@pytest.fixture
def permits(signed_in, client, runner, tmp_path, db):
    _, discovery_id = signed_in.create_discovery(PERMITS)
    for team in PERMIT_TEAMS:
        done = import_round(runner, tmp_path, team, 1, f"pain,{team}: the fire report takes weeks\n"
                                                       "opportunity,Online forms for every permit\n")
        assert done.exit_code == 0, done.output
    assert client.post(f"/discoveries/{discovery_id}/rounds").status_code == 302  # every team: a new workshop
    for team in PERMIT_TEAMS:
        if team != "Brandschutz":
            done = import_round(runner, tmp_path, team, 2, f"pain,{team}: still no online forms\n")
            assert done.exit_code == 0, done.output
    return discovery_id


def test_importing_a_teams_round_fills_the_workshop_start_round_gave_it(permits, runner, tmp_path, db):
    rounds = round_of(db, permits)
    assert sorted(w.team for w in rounds[2]) == sorted(PERMIT_TEAMS)  # filled, not 4 more beside 5 empty
    with db.session() as session:
        holding = {w.team: len(session.exec(select(Sticky).where(Sticky.workshop_id == w.id)).all())
                   for w in rounds[2]}
    assert holding == {team: 0 if team == "Brandschutz" else 1 for team in PERMIT_TEAMS}
    assert all(w.status == "closed" for w in rounds[2] if w.team != "Brandschutz")
    # a workshop that has run is not filled again: the same file is refused, another one is added
    same = import_round(runner, tmp_path, "Statik", 2, "pain,Statik: still no online forms\n")
    assert same.exit_code != 0 and "already" in same.output
    more = import_round(runner, tmp_path, "Statik", 2, "pain,Statik: a second session's pain\n")
    assert more.exit_code == 0, more.output
    assert [w.team for w in round_of(db, permits)[2]].count("Statik") == 2
    # Brandschutz's round 2 arrives later: it fills Brandschutz's workshop
    late = import_round(runner, tmp_path, "brandschutz", 2, "pain,Fire report still takes weeks\n")
    assert late.exit_code == 0, late.output
    assert len(round_of(db, permits)[2]) == 6


def export_of(client, discovery_id):
    return openpyxl.load_workbook(BytesIO(client.get(f"/discoveries/{discovery_id}/export.xlsx").data))


def test_a_workshop_not_run_yet_is_not_counted_as_held_and_the_workshops_sheet_says_its_round(permits, client):
    page = client.get(f"/discoveries/{permits}/backlog").get_data(as_text=True)
    kpi = re.search(r'data-test="workshops-run"><b>(\d+)</b><span>([^<]*)</span>', page)
    assert kpi.groups() == ("9", "workshops run, 1 not run yet")  # Brandschutz's round 2 is still empty
    workbook = export_of(client, permits)
    summary = {r[0]: r[1] for r in workbook["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Workshops run"] == 9 and summary["Workshops not run yet"] == 1 and "Workshops" not in summary
    sheet = workbook["Workshops"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["Round", "Team"]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [(r["Round"], r["Team"]) for r in rows] == [(1, t) for t in PERMIT_TEAMS] + [(2, t) for t in PERMIT_TEAMS]
    assert {r["Team"]: r["Stickies"] for r in rows if r["Round"] == 2}["Brandschutz"] == 0


def test_the_rounds_say_which_teams_the_change_is_judged_on(permits, client):
    sentence = "Compared on the 4 teams that ran both rounds; Brandschutz has not run round 2 yet."
    page = client.get(f"/discoveries/{permits}/backlog").get_data(as_text=True)
    assert re.search(r'data-test="rounds-basis">([^<]*)<', page).group(1).startswith(sentence)
    summary = {r[0]: r[1] for r in export_of(client, permits)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Rounds compared"] == sentence


def test_a_title_cut_for_the_page_is_whole_in_the_workbook():
    from workshop.aggregation.themes import shorten_title, uncut_title
    text = ("Die Stellungnahme des Brandschutzes zum Bauantrag dauert sechs Wochen, weil jede Akte "
            "ausgedruckt und per Hauspost verschickt wird")
    cut = shorten_title(text)
    assert cut.endswith("…") and len(cut) <= 80
    assert uncut_title(cut, ["Other sticky", text]) == text
    assert uncut_title("A title a person gave", [text]) == "A title a person gave"
    assert uncut_title(cut, ["Not the one"]) == cut


@pytest.mark.parametrize("before, after, ran_both, word", [
    ({"a", "b"}, {"a"}, {"a", "b"}, "fewer teams"),
    ({"a"}, set(), {"a"}, "gone"),
    (set(), {"a"}, {"a"}, "new"),
    # it hurt teams that have not run round 2 yet, and now reaches one that ran both: not new
    ({"x", "y", "z"}, {"a"}, {"a"}, "more teams"),
    # the teams that ran both no longer have it, but a team new to round 2 does: not gone
    ({"a"}, {"n"}, {"a"}, "fewer teams"),
    ({"x"}, set(), {"a"}, "not run yet"),
    # issue 26: gone for the one of its teams that ran round 2; the other has not run it yet
    ({"a", "x"}, set(), {"a"}, "gone so far"),
    (set(), {"n"}, {"a"}, "new"),
    (set(), set(), {"a"}, "no pain points"),
])
def test_new_and_gone_keep_their_plain_meaning_for_the_whole_theme(before, after, ran_both, word):
    from workshop.aggregation.rounds import verdict
    assert verdict(before, after, ran_both) == word


# --- issue 26: lead time and "gone" judged on the teams that ran both rounds, the Rounds sheet, the order ---

def test_lead_time_is_compared_on_the_teams_with_times_in_both_rounds():
    """Round 1's median was over 3 teams (30 days), round 2's over the 2 that ran it (12.6): on those
    2 teams round 1 was 26 days."""
    from workshop.aggregation.lead_time import compared_per_round, comparison_sentence
    lead = pd.DataFrame({"round": [1, 1, 1, 2, 2], "team": ["A", "B", "C", "a", "B"],
                         "lead_time_days": [24.0, 28.0, 30.0, 12.0, 13.2]})
    compared, teams = compared_per_round(lead)
    assert teams == ["A", "B"] and compared["median_days"].tolist() == pytest.approx([26.0, 12.6])
    assert compared["teams"].tolist() == [2, 2]
    assert comparison_sentence(lead) == (
        "Compared on the 2 teams with times in both rounds (A and B), as each theme's change is; over every "
        "team with times: round 1 28.0 days (3 teams), round 2 12.6 days (2 teams).")
    only_one = lead.assign(team=["A", "B", "C", "D", "E"])
    assert compared_per_round(only_one)[1] == []
    assert comparison_sentence(only_one).startswith("No team has times in both rounds yet")


def test_the_backlog_and_the_summary_compare_lead_time_and_say_how_gone_is_judged(demo, client):
    page = client.get("/discoveries/1/backlog").get_data(as_text=True)
    note = re.search(r'data-test="lead-basis">([^<]*)<', page).group(1)
    assert note.startswith("Compared on the 3 teams with times in both rounds (Checkout, Logistics and Payments)")
    assert "round 1 33.5 days (10 teams)" in note
    gone = re.search(r'data-test="rounds-gone"><b>([^<]*)<', page).group(1)
    assert re.fullmatch(r"Gone in round 2: \d themes? \(and \d+ gone so far: gone for their teams that ran round 2, "
                        r"while others of their teams have not run it yet\), judged on the 3 of 10 teams that ran both "
                        r"rounds\.", gone), gone
    assert 'class="pill change-gone-so-far"' in page and re.search(r'data-test="judged"[^>]*>judged on \d of its \d+ teams?<', page)
    assert not re.search(r'data-test="judged"[^>]*>judged on 0 ', page)  # nothing judged: the change says why
    summary = {r[0]: r[1] for r in openpyxl.load_workbook(BytesIO(client.get("/discoveries/1/export.xlsx").data))[
        "Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Lead time, round 1"] == pytest.approx(40.2, abs=0.05)  # was 33.5 over ten teams
    assert summary["Lead time compared"] == note.replace("&#39;", "'")
    assert summary["Gone in round 2"] < 5 and summary["Gone so far"] >= 5  # was "11 themes"


def test_the_rounds_sheet_keeps_a_space_after_the_last_number_before_the_change():
    """Printed, 'Round 2 pain points' ran into the Change: "0gone", "2same"."""
    from workshop.export.xlsx import _rounds_columns
    rounds = pd.DataFrame({"theme_id": [1], "title": ["CAB"], "full_title": ["CAB"], "teams_1": [2], "pains_1": [2],
                           "teams_2": [1], "pains_2": [0], "change": ["gone"], "judged": [1], "of_teams": [2]})
    cols = {c.header: c for c in _rounds_columns(rounds)}
    assert cols["Round 2 pain points"].gap and not cols["Round 1 pain points"].gap
    assert cols["Judged on"].values == ["1 of 2 teams"]


def test_an_imported_workshops_stickies_are_on_the_stickies_sheet_in_timeline_order(signed_in, client, db):
    from workshop.services.importer import import_stickies
    rows = [("event", f"Step {i}", f"{p:.2f}") for i, p in enumerate([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6])]
    board = "kind,text,position\n" + "".join(f"{k},{t},{p}\n" for k, t, p in rows)
    with db.session() as session:
        discovery_id = import_stickies(session, board, "Permits", "Statik").discovery_id
    sheet = openpyxl.load_workbook(BytesIO(client.get(f"/discoveries/{discovery_id}/export.xlsx").data))["Stickies"]
    header = [c.value for c in sheet[1]]
    texts = [r[header.index("Text")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    positions = [r[header.index("Position")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert positions == sorted(positions) and len(texts) == 9
    assert texts[:3] == ["Step 1", "Step 5", "Step 3"]


def test_a_round_question_names_the_old_theme_as_the_backlog_does(demo, db):
    """A new owner read "(gone)" in the review where the backlog said "not run yet" or "gone so far":
    the review now uses the backlog's word for the old theme."""
    from workshop.aggregation import review as questions
    from workshop.services import review
    with db.session() as session:
        state = review._state(session, 1)
    words = {w for w in state.changes.values()}
    assert {"gone", "not run yet"} <= words, words  # the demo has both
    new = next(t for t, w in state.changes.items() if w not in ("gone", "gone so far", "not run yet"))
    moving = list(state.stickies.loc[state.stickies["theme_id"] == new, "sticky_id"])
    for old in [t for t, w in state.changes.items() if w in ("gone", "gone so far", "not run yet")]:
        others = list(state.stickies.loc[state.stickies["theme_id"] == old, "sticky_id"])
        asked = review._suggestion(state, questions.Candidate("round", moving, [new], old, others, [], 1.0))
        assert asked.question.endswith(f"({state.changes[old]})?"), asked.question
