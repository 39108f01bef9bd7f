"""The backlog service on an in-memory database: report, persistence and the product owner's edits
surviving re-aggregation after new workshops and stickies arrive."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timezone

import pytest
from sqlmodel import select

import workshop.db.models  # noqa: F401  (registers the tables)
from workshop.aggregation.report import BACKLOG_COLUMNS, STICKY_COLUMNS, WORKSHOP_COLUMNS
from workshop.db.models import Discovery, Participant, Sticky, Theme, ThemeAssignment, Vote, Workshop
from workshop.domain.errors import NotFound, ValidationError
from workshop.domain.validation import THEME_TITLE_MAX
from workshop.services import backlog as svc

STAGES = ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
_ids = itertools.count(1)
_tokens = itertools.count(1)




def add_discovery(session) -> Discovery:
    d = Discovery(name="Path to prod", stages=STAGES, start_label="Project starts",
                  end_label="Live in production with users")
    session.add(d)
    session.commit()
    return d


def add_workshop(session, discovery, team, stickies, participants=2):
    """stickies: (kind, text, x, votes[, deleted, private])"""
    w = Workshop(discovery_id=discovery.id, team=team, template="discovery", held_on=date(2026, 10, 2),
                 join_token=f"tok-{next(_tokens)}", status="closed")
    session.add(w)
    session.flush()
    for i in range(participants):
        session.add(Participant(workshop_id=w.id, name=f"P{i}", team=team, secret_hash=f"h{next(_tokens)}"))
    ids = []
    for kind, text, x, votes, *flags in stickies:
        sid = f"s{next(_ids)}"
        ids.append(sid)
        session.add(Sticky(id=sid, workshop_id=w.id, kind=kind, text=text, x=x,
                           deleted=bool(flags and flags[0]), private=bool(len(flags) > 1 and flags[1]),
                           created_at=datetime(2026, 10, 2, 10, tzinfo=timezone.utc)))
        session.flush()
        for _ in range(votes):
            session.add(Vote(workshop_id=w.id, sticky_id=sid))
    session.commit()
    return w, ids


def theme_of(report, sticky_id):
    return int(report.stickies.set_index("sticky_id").at[sticky_id, "theme_id"])


@pytest.fixture
def seeded(session):
    d = add_discovery(session)
    _, a = add_workshop(session, d, "Payments", [
        ("pain", "Waiting weeks for a new environment", 0.4, 3), ("pain", "Firewall change takes 2 weeks", 0.7, 2),
        ("pain", "CAB meets only on Thursdays", 0.75, 1), ("event", "Code merged", 0.4, 0),
        ("pain", "secret sticky", 0.1, 0, False, True), ("pain", "deleted sticky", 0.1, 0, True)])
    _, b = add_workshop(session, d, "Search", [
        ("pain", "Provisioning a test env takes three weeks", 0.55, 1),
        ("pain", "Opening a port needs a network ticket", 0.7, 0),
        ("opportunity", "pre-approved standard changes instead of CAB", 0.8, 4), ("time", "3 weeks", 0.5, 0)])
    return d, a, b


def test_report_contract_and_totals(session, seeded):
    d, a, b = seeded
    report = svc.build_report(session, d.id)
    assert list(report.backlog.columns) == BACKLOG_COLUMNS
    assert list(report.stickies.columns) == STICKY_COLUMNS
    assert list(report.workshops.columns) == WORKSHOP_COLUMNS
    assert len(report.stickies) == 8  # deleted and private stickies are not shown
    assert report.totals == {"workshops": 2, "workshops_not_run": 0, "teams": 2, "participants": 4, "votes": 11,
                             "stickies_by_kind": {"event": 1, "pain": 5, "system": 0, "time": 1, "team": 0,
                                                  "opportunity": 1, "note": 0}}
    by_id = report.stickies.set_index("sticky_id")
    assert by_id.at[a[0], "stage"] == "Build" and by_id.at[a[0], "stage_index"] == 2
    assert by_id.at[a[0], "workshop"] == "Payments (2026-10-02)"
    assert theme_of(report, a[0]) == theme_of(report, b[0])
    assert report.backlog["team_count"].iloc[0] == 2
    assert list(report.heatmap.columns) == STAGES and report.heatmap.index.tolist() == ["Payments", "Search"]
    assert report.discovery["stages"] == STAGES
    assert report.workshops["template"].tolist() == ["Discovery Event Storming"] * 2  # the label people see
    assert session.exec(select(ThemeAssignment)).all()


def test_aggregation_is_stable(session, seeded):
    d, *_ = seeded
    first = svc.build_report(session, d.id)
    second = svc.build_report(session, d.id)
    assert first.backlog["theme_id"].tolist() == second.backlog["theme_id"].tolist()
    assert len(session.exec(select(Theme)).all()) == len(first.backlog)


def test_edits_survive_new_workshops(session, seeded, monkeypatch):
    # The edit mechanics on the deterministic vocabulary grouping (a configuration kept as a baseline;
    # with four pain points the default's percentile cut has too few distances to go by). The default's
    # handling of corrections: tests/test_grouping_signals.py.
    from functools import partial

    from workshop.aggregation.themes import LEGACY_CONFIG
    monkeypatch.setattr(svc, "build_report", partial(svc.build_report, config=LEGACY_CONFIG))
    d, a, b = seeded
    report = svc.build_report(session, d.id)
    env, net, cab = theme_of(report, a[0]), theme_of(report, a[1]), theme_of(report, a[2])
    svc.rename_theme(session, d.id, env, "Self-service environments")
    svc.set_estimate(session, d.id, env, value=5, effort=2)
    svc.set_status(session, d.id, env, "In_Progress")
    svc.merge_themes(session, d.id, env, net)            # a person decides: one theme
    svc.move_sticky(session, d.id, b[2], env)            # and this opportunity belongs there too
    add_workshop(session, d, "Risk", [("pain", "new test enviroment = 15 working days", 0.5, 2),
                                      ("pain", "whitelisting an IP takes days", 0.7, 0),
                                      ("pain", "Coffee machine broken", 0.1, 0)])
    report = svc.build_report(session, d.id)
    row = report.backlog.set_index("theme_id").loc[env]
    assert (row["title"], row["value"], row["effort"], row["status"]) == ("Self-service environments", 5, 2,
                                                                           "in progress")
    assert bool(row["quick_win"]) and row["rank"] == 1
    assert {theme_of(report, s) for s in (a[0], a[1], b[0], b[1], b[2])} == {env}
    assert net not in set(report.backlog["theme_id"])
    assert theme_of(report, a[2]) == cab
    assert row["team_count"] == 3  # the new workshop's paraphrases joined the decided theme


def test_split_survives_re_aggregation(session, seeded):
    d, a, b = seeded
    report = svc.build_report(session, d.id)
    env = theme_of(report, a[0])
    new = svc.split_theme(session, d.id, env, [b[0]], title="Test environments")
    add_workshop(session, d, "Risk", [("pain", "Firewall change needs a ticket", 0.7, 0)])
    report = svc.build_report(session, d.id)
    assert theme_of(report, b[0]) == new.id and theme_of(report, a[0]) == env
    titles = report.backlog.set_index("theme_id")["title"]
    assert titles[new.id] == "Test environments"


def test_edit_validation(session, seeded):
    d, a, b = seeded
    report = svc.build_report(session, d.id)
    env, net = theme_of(report, a[0]), theme_of(report, a[1])
    with pytest.raises(NotFound) as e:
        svc.rename_theme(session, d.id, 9999, "x")
    assert e.value.code == "theme_not_found"
    with pytest.raises(ValidationError, match="empty"):
        svc.rename_theme(session, d.id, env, "   ")
    for bad in (0, 6, "high", 2.5, True):
        with pytest.raises(ValidationError) as e:
            svc.set_estimate(session, d.id, env, value=bad)
        assert e.value.code == "invalid_value"
    svc.set_estimate(session, d.id, env, effort="4")
    assert svc.set_estimate(session, d.id, env, value=None).effort == 4
    with pytest.raises(ValidationError) as e:
        svc.set_status(session, d.id, env, "maybe")
    assert e.value.code == "invalid_status"
    with pytest.raises(ValidationError):
        svc.merge_themes(session, d.id, env, env)
    with pytest.raises(ValidationError) as e:
        svc.split_theme(session, d.id, env, [a[1]])
    assert e.value.code == "sticky_not_in_theme"
    with pytest.raises(ValidationError) as e:
        svc.split_theme(session, d.id, env, [a[0], b[0]])
    assert e.value.code == "split_all"
    with pytest.raises(ValidationError) as e:
        svc.move_sticky(session, d.id, report.stickies.query("kind == 'event'")["sticky_id"].iloc[0], env)
    assert e.value.code == "sticky_not_themed"
    with pytest.raises(NotFound):
        svc.move_sticky(session, d.id, "nope", env)
    svc.merge_themes(session, d.id, env, net)
    with pytest.raises(ValidationError) as e:
        svc.rename_theme(session, d.id, net, "again")
    assert e.value.code == "theme_merged"
    with pytest.raises(NotFound):
        svc.build_report(session, 4242)


def test_empty_discovery(session):
    d = add_discovery(session)
    report = svc.build_report(session, d.id)
    assert report.backlog.empty and report.stickies.empty and report.workshops.empty
    assert report.totals["workshops"] == 0 and list(report.heatmap.columns) == STAGES


def test_a_read_aggregates_again_only_when_a_sticky_or_a_decision_changed(session, seeded, monkeypatch):
    d, a, b = seeded
    first = svc.build_report(session, d.id)
    proposals = []
    real = svc.group_stickies
    monkeypatch.setattr(svc, "group_stickies", lambda *args, **kw: proposals.append(1) or real(*args, **kw))

    locks = []
    real_lock = svc._lock_discovery
    monkeypatch.setattr(svc, "_lock_discovery", lambda *args: locks.append(1) or real_lock(*args))
    again = svc.build_report(session, d.id)
    assert proposals == [] and locks == []  # nothing changed: nothing proposed, locked or written
    assert again.stickies[["sticky_id", "theme_id"]].equals(first.stickies[["sticky_id", "theme_id"]])
    assert again.backlog[["theme_id", "title"]].equals(first.backlog[["theme_id", "title"]])

    add_workshop(session, d, "Ops", [("pain", "Waiting weeks for an environment again", 0.4, 0)])
    svc.build_report(session, d.id)
    assert len(proposals) == 1 and len(locks) == 1  # a new sticky

    svc.rename_theme(session, d.id, theme_of(first, a[0]), "Environments take weeks")
    svc.build_report(session, d.id)
    assert len(proposals) == 2  # a product owner's decision
    svc.build_report(session, d.id)
    assert len(proposals) == 2

    monkeypatch.setattr(svc, "AGGREGATION_VERSION", "next")
    svc.build_report(session, d.id)
    assert len(proposals) == 3  # a new aggregation runs once over every discovery
    svc.build_report(session, d.id)
    assert len(proposals) == 3

    monkeypatch.setattr(svc, "configured_model", lambda: ("another-model", None))
    svc.build_report(session, d.id)
    assert len(proposals) == 4  # another embedding model groups differently: once more
    svc.build_report(session, d.id)
    assert len(proposals) == 4


def test_update_theme_saves_every_field_in_one_commit_or_none(session, seeded):
    d, a, b = seeded
    theme_id = theme_of(svc.build_report(session, d.id), a[0])
    svc.update_theme(session, d.id, theme_id, title="  Environments   take weeks ", value="4", effort=2,
                     status="In-Progress")
    theme = session.get(Theme, theme_id)
    assert (theme.title, theme.title_is_custom, theme.value, theme.effort, theme.status) == \
        ("Environments take weeks", True, 4, 2, "in progress")
    for refused in ({"title": "x" * (THEME_TITLE_MAX + 1)}, {"effort": "6"}, {"value": 0}, {"status": "maybe"}):
        with pytest.raises(ValidationError):
            svc.update_theme(session, d.id, theme_id, **{"title": "Not saved", "value": 1, "effort": 1, **refused})
        session.expire_all()
        theme = session.get(Theme, theme_id)
        assert (theme.title, theme.value, theme.effort, theme.status) == \
            ("Environments take weeks", 4, 2, "in progress"), refused
    svc.update_theme(session, d.id, theme_id, value=None)  # a field left out is not changed
    assert (session.get(Theme, theme_id).value, session.get(Theme, theme_id).effort) == (None, 2)


def test_a_workshop_without_a_day_exports_no_date(session, seeded):
    """The Workshops sheet once showed the day a workshop was created, which read as the day it was
    held (a walkthrough found it): a workshop with no day has no date."""
    d, _, _ = seeded
    undated = Workshop(discovery_id=d.id, team="Mobile", template="discovery", held_on=None,
                       join_token=f"tok-{next(_tokens)}", status="open",
                       created_at=datetime(2026, 11, 28, 9, tzinfo=timezone.utc))
    session.add(undated)
    session.commit()
    by_team = svc.build_report(session, d.id).workshops.set_index("team")
    assert by_team.at["Payments", "date"] == date(2026, 10, 2)
    assert by_team.at["Mobile", "date"] is None or by_team["date"].isna()["Mobile"]


def test_a_workshop_is_named_by_its_team_and_the_day_it_was_held_never_an_invented_day():
    from types import SimpleNamespace as W
    labels = svc.workshop_labels([
        W(id=1, team="Checkout", held_on=None, round=1),
        W(id=2, team="Payments", held_on=date(2026, 10, 2), round=1),
        W(id=3, team="Search", held_on=None, round=1), W(id=4, team="Search", held_on=None, round=2),
        W(id=5, team="Identity", held_on=None, round=1), W(id=6, team="identity", held_on=None, round=1),
        W(id=7, team="Payments", held_on=date(2026, 10, 2), round=2)])
    assert labels == {1: "Checkout", 2: "Payments (2026-10-02, round 1)", 3: "Search (round 1)",
                      4: "Search (round 2)", 5: "Identity", 6: "identity #2", 7: "Payments (2026-10-02, round 2)"}
