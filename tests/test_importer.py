"""Importing a typed-up in-person workshop (or another tool's export) from CSV: all or nothing."""
from __future__ import annotations

import io

import pytest
from sqlmodel import select

import workshop.db.models  # noqa: F401
from workshop.db.models import Discovery, Sticky, Vote, Workshop
from workshop.domain.errors import ValidationError
from workshop.services.importer import import_stickies




GOOD = (
    "\ufeffKind,Text,Stage,Position,Votes,Author\n"
    "Hotspot,Waiting weeks for a new environment 🐢,build,,3,Ana\n"
    "pain point,\"Firewall change, then wait\",,0.75,,\n"
    "Technology,Jenkins,,,,\n"
    "idea,Self-service environments,Build,,1,Bo\n"
    "\n"
    "event,Code merged,,,0,\n"
)


def test_good_file_creates_discovery_workshop_stickies_and_votes(session):
    result = import_stickies(session, GOOD, "Path to prod", "Payments")
    assert result.created_discovery
    assert result.by_kind == {"pain": 2, "system": 1, "opportunity": 1, "event": 1} and result.votes == 4
    d = session.exec(select(Discovery)).one()
    assert d.stages == ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
    assert (d.start_label, d.end_label) == ("Project starts", "Live in production with users")
    w = session.get(Workshop, result.workshop_id)
    assert (w.team, w.template, w.status, w.phase) == ("Payments", "discovery", "closed", "wrapup")
    assert len(w.join_token) >= 32
    stickies = {s.text: s for s in session.exec(select(Sticky)).all()}
    assert stickies["Firewall change, then wait"].x == 0.75
    build = (2 / 6, 3 / 6)
    assert build[0] < stickies["Waiting weeks for a new environment 🐢"].x < stickies["Self-service environments"].x < build[1]
    assert 0 < stickies["Jenkins"].x < stickies["Code merged"].x < 1  # spread evenly
    assert stickies["Waiting weeks for a new environment 🐢"].author_name == "Ana"
    votes = session.exec(select(Vote)).all()
    assert len(votes) == 4 and all(v.participant_id is None for v in votes)
    # A second team joins the same discovery.
    again = import_stickies(session, io.BytesIO("kind,text\npain,CAB only on Thursdays\n".encode("utf-8-sig")),
                            "Path to prod", "Search")
    assert not again.created_discovery and again.discovery_id == d.id


def test_bad_rows_are_all_reported_and_nothing_is_imported(session):
    bad = ("kind,text,stage,position,votes,author\n"
           "pain,ok row,,,,\n"
           "gossip,unknown kind,,,,\n"
           "pain,,,,,\n"
           f"pain,{'x' * 2001},,,,\n"
           "pain,bad position,,abc,,\n"
           "pain,out of range,,1.5,,\n"
           "pain,bad votes,,,many,\n"
           "pain,bad stage,Deploy,,,\n"
           "pain,esc \x1b[2J bell \x07,,,,\n"
           "pain,ok text,,,,bell \x07 author\n")
    with pytest.raises(ValidationError) as e:
        import_stickies(session, bad, "Path to prod", "Payments")
    message = e.value.message
    assert e.value.code == "invalid_csv" and "9 bad row(s)" in message
    for expected in ("line 3: unknown kind 'gossip'", "line 4: text: A sticky needs some text",
                     "line 5: text: A sticky holds at most 2000 characters; this has 2001",
                     "line 10: text: A sticky's text cannot contain control characters",
                     "line 11: author: Display name must be one line without control characters",
                     "line 6: position 'abc' is not a number", "line 7: position '1.5' is outside 0..1",
                     "line 8: votes 'many' is not a whole number", "line 9: unknown stage 'Deploy'"):
        assert expected in message
    assert session.exec(select(Discovery)).all() == []
    assert session.exec(select(Sticky)).all() == []


@pytest.mark.parametrize("content, needle", [
    ("", "empty"),
    ("\ufeff", "empty"),
    ("kind,words\npain,x\n", "missing required column(s): text"),
    ("kind,text\n", "no stickies"),
])
def test_unusable_files(session, content, needle):
    with pytest.raises(ValidationError) as e:
        import_stickies(session, content, "Path to prod", "Payments")
    assert needle in e.value.message
    assert session.exec(select(Workshop)).all() == []


def test_existing_discovery_stages_are_used(session):
    session.add(Discovery(name="Custom", stages=["Discover", "Deliver"], start_label="a", end_label="b"))
    session.commit()
    with pytest.raises(ValidationError, match="line 3: unknown stage 'Build'"):
        import_stickies(session, "kind,text,stage\npain,slow,deliver\npain,bad,Build\n", "Custom", "T")
    result = import_stickies(session, "kind,text,stage\npain,slow,DELIVER\n", "Custom", "T")
    sticky = session.exec(select(Sticky)).one()
    assert 0.5 < sticky.x < 1.0 and result.by_kind == {"pain": 1}


@pytest.mark.parametrize("text", ["esc \x1b[2J bell \x07", "nul \x00", "del \x7f", " \t ", "x" * 2001])
def test_the_importer_refuses_what_the_board_refuses(session, text):
    from workshop.domain.board import parse_op
    with pytest.raises(ValidationError) as board:
        parse_op({"id": "op-1", "type": "sticky.create",
                  "sticky": {"id": "s-1", "kind": "pain", "text": text, "x": 0.5, "y": 0.5}})
    with pytest.raises(ValidationError) as imported:
        import_stickies(session, f"kind,text\npain,\"{text}\"\n", "Path to prod", "Payments")
    assert board.value.message in imported.value.message
    assert session.exec(select(Sticky)).all() == []


# --- durations: how long a time-taken sticky's part takes ---------------------------------------------

from workshop.domain.durations import parse_duration  # noqa: E402


@pytest.mark.parametrize("text,minutes", [
    ("90", 90), ("45m", 45), ("45 min", 45), ("4h", 240), ("1.5 h", 90), ("1,5h", 90), ("3d", 4320),
    ("2w", 20160), ("2 weeks", 20160), ("1d 4h", 1680), ("1mo", 43200), ("0", 0), (" 7D ", 10080),
])
def test_durations_as_people_type_them(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "4 parsecs", "h", "-3d", "3d!", "1e3", "4h and a bit", "d3"])
def test_what_is_not_a_duration(text):
    assert parse_duration(text) is None


def test_time_stickies_take_a_duration_column(session):
    result = import_stickies(session, "kind,text,duration\n"
                                      "time,Waiting for an environment,2w\n"
                                      "time taken,Security review,3d\n"
                                      "time,Build,45\n"
                                      "time,Unknown wait,\n"
                                      "event,Code merged,\n", "Lead time", "Payments")
    assert result.by_kind == {"time": 4, "event": 1}
    minutes = {s.text: s.duration_minutes for s in session.exec(select(Sticky)).all()}
    assert minutes == {"Waiting for an environment": 20160.0, "Security review": 4320.0, "Build": 45.0,
                       "Unknown wait": None, "Code merged": None}


def test_a_time_sticky_takes_the_duration_its_text_names_unless_the_column_gives_one(session):
    import_stickies(session, "kind,text,duration\n"
                             "time,3w,\n"
                             "time,45m,\n"
                             "time,Plan check 3 weeks,\n"
                             "time,Security review 2d,4h\n"  # the column wins
                             "time,Waiting for the CAB,\n"
                             "event,Deployed 2d later,\n", "Lead time", "Payments")
    minutes = {s.text: s.duration_minutes for s in session.exec(select(Sticky)).all()}
    assert minutes == {"3w": 30240.0, "45m": 45.0, "Plan check 3 weeks": 30240.0, "Security review 2d": 240.0,
                       "Waiting for the CAB": None, "Deployed 2d later": None}


def test_without_a_duration_column_time_stickies_still_read_their_text(session):
    import_stickies(session, "kind,text\ntime,Firewall change 1d 4h\n", "Lead time", "Payments")
    assert session.exec(select(Sticky)).one().duration_minutes == 1680.0


def test_a_bad_duration_is_a_line_numbered_error_and_nothing_is_imported(session):
    bad = ("kind,text,duration\n"
           "time,fine,4h\n"
           "time,Waiting,soon\n"
           "time,Forever,20000000\n"
           "event,Code merged,2h\n")
    with pytest.raises(ValidationError) as caught:
        import_stickies(session, bad, "Lead time", "Payments")
    message = caught.value.message
    assert "3 bad row(s); nothing was imported" in message
    assert "line 3: duration 'soon' is not a duration (minutes as a number, or like 45m, 4h, 3d, 2w)" in message
    assert "line 4: duration '20000000' is longer than 10,000,000 minutes" in message
    assert "line 5: only a time-taken sticky has a duration (this one is 'event')" in message
    assert session.exec(select(Sticky)).all() == [] and session.exec(select(Workshop)).all() == []


def test_the_same_file_twice_for_a_team_is_refused_unless_asked(session):
    from workshop.domain.errors import Conflict
    content = "kind,text\npain,CAB only on Thursdays\npain,env takes weeks\n"
    first = import_stickies(session, content, "Twice", "Payments")
    with pytest.raises(Conflict) as refused:
        import_stickies(session, content, "Twice", "Payments")
    assert refused.value.code == "already_imported" and f"workshop {first.workshop_id}" in refused.value.message
    assert import_stickies(session, content, "Twice", "Search").total == 2  # another team: fine
    assert import_stickies(session, content + "pain,one more\n", "Twice", "Payments").total == 3  # not the same
    again = import_stickies(session, content, "Twice", "Payments", again=True)
    assert again.workshop_id != first.workshop_id


# --- placement: no imported sticky lands on another (the board's rule, domain/placement.py) ------------

def overlapping_pairs(stickies: list, stages: int) -> list[tuple[str, str]]:
    """Pairs of stickies whose boxes (world px, the board's sizes) overlap."""
    from itertools import combinations

    from workshop.domain.placement import LANE_HEIGHT, Wall, size_of
    width = Wall(stages).width

    def box(s):
        w, h = size_of(s.kind)
        return s.x * width - w / 2, s.x * width + w / 2, s.y * LANE_HEIGHT - h / 2, s.y * LANE_HEIGHT + h / 2
    return [(a.text, b.text) for a, b in combinations(stickies, 2)
            if box(a)[0] < box(b)[1] and box(b)[0] < box(a)[1] and box(a)[2] < box(b)[3] and box(b)[2] < box(a)[3]]


def test_imported_stickies_never_land_on_one_another(session):
    rows = [f"event,Step {i},Build," for i in range(30)] + [f"system,Tool {i},," for i in range(6)]
    rows += [f"pain,Same spot {i},,0.62" for i in range(5)] + ["team,Ops,Release,", "time,Wait 2d,Release,"]
    import_stickies(session, "kind,text,stage,position\n" + "\n".join(rows) + "\n", "Path to prod", "Payments")
    stickies = session.exec(select(Sticky)).all()
    assert overlapping_pairs(stickies, 6) == []
    build = [s for s in stickies if s.text.startswith("Step")]
    assert all(2 / 6 < s.x < 3 / 6 for s in build) and max(s.y for s in build) > 1  # the wall grew downward
    assert all(s.x == pytest.approx(0.62) for s in stickies if s.text.startswith("Same spot"))  # its x kept


# --- the day the workshop was held (a round-2 import held weeks ago showed today) -----------------------

ROUND_2 = "kind,text\npain,Still waiting for environments\nevent,Ticket raised\n"


def test_the_day_the_workshop_was_held_is_the_one_given(session):
    from datetime import date
    first = import_stickies(session, GOOD, "Path to prod", "Payments", held_on="2026-10-02")
    second = import_stickies(session, ROUND_2, "Path to prod", "Payments", held_on=" 2026-11-20 ", round_number=2)
    assert session.get(Workshop, first.workshop_id).held_on == date(2026, 10, 2)
    assert session.get(Workshop, second.workshop_id).held_on == date(2026, 11, 20)
    assert (second.round, second.held_on, second.held_on_from) == (2, date(2026, 11, 20), "given")
    third = import_stickies(session, ROUND_2, "Path to prod", "Search", held_on=date(2026, 11, 21))
    assert session.get(Workshop, third.workshop_id).held_on == date(2026, 11, 21)


def test_without_a_day_the_workshop_is_held_today_and_says_so(session):
    from datetime import datetime, timezone
    before = datetime.now(timezone.utc).date()
    result = import_stickies(session, GOOD, "Path to prod", "Payments")
    after = datetime.now(timezone.utc).date()
    assert result.held_on in {before, after} and result.held_on_from == "today"
    assert session.get(Workshop, result.workshop_id).held_on == result.held_on


def test_round_2s_workshop_that_has_not_run_takes_the_day_given_or_keeps_its_own(session):
    """"Start round 2" gives every team a workshop that has not run; the import fills it, on the day given,
    else on the day the facilitator had set for it, else today."""
    from datetime import date
    import_stickies(session, GOOD, "Path to prod", "Payments", held_on="2026-10-02")
    import_stickies(session, GOOD, "Path to prod", "Search", held_on="2026-10-03")
    discovery_id = session.exec(select(Discovery.id)).one()
    waiting = {team: Workshop(discovery_id=discovery_id, team=team, template="discovery", join_token=f"t-{team}",
                              round=2, held_on=day)
               for team, day in (("Payments", None), ("Search", date(2026, 11, 24)))}
    session.add_all(waiting.values())
    session.commit()
    payments = import_stickies(session, ROUND_2, "Path to prod", "Payments", held_on="2026-11-20", round_number=2)
    assert payments.workshop_id == waiting["Payments"].id
    assert session.get(Workshop, payments.workshop_id).held_on == date(2026, 11, 20)
    search = import_stickies(session, ROUND_2, "Path to prod", "Search", round_number=2)
    assert search.workshop_id == waiting["Search"].id
    assert (search.held_on, search.held_on_from) == (date(2026, 11, 24), "workshop")


@pytest.mark.parametrize("day, needle", [
    ("2026-11-31", "'2026-11-31' is not a date"),
    ("20.11.2026", "'20.11.2026' is not a date"),
    ("next tuesday", "'next tuesday' is not a date"),
    ("0026-11-20", "0026-11-20 is before 2000"),
    ("2999-11-20", "2999-11-20 is after today"),
])
def test_a_bad_day_is_refused_and_nothing_is_imported(session, day, needle):
    import_stickies(session, GOOD, "Path to prod", "Payments", held_on="2026-10-02")
    counts = (len(session.exec(select(Discovery)).all()), len(session.exec(select(Workshop)).all()),
              len(session.exec(select(Sticky)).all()), len(session.exec(select(Vote)).all()))
    for discovery in ("Path to prod", "A new one"):  # into a discovery there is, and one it would create
        with pytest.raises(ValidationError) as refused:
            import_stickies(session, ROUND_2, discovery, "Payments", held_on=day, round_number=1)
        assert refused.value.code == "invalid_date"
        message = refused.value.message
        assert needle in message and "YYYY-MM-DD" in message and "nothing was imported" in message, message
    assert (len(session.exec(select(Discovery)).all()), len(session.exec(select(Workshop)).all()),
            len(session.exec(select(Sticky)).all()), len(session.exec(select(Vote)).all())) == counts
