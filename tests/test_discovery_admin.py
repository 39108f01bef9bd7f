"""What a facilitator expects to manage: edit a discovery and a workshop, delete either after a page
that says what goes with it (rows counted in every table: nothing is left behind), remove a member."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select as sa_select
from sqlmodel import SQLModel, select

from workshop.db.models import (Discovery, DiscoveryMember, Operation, Participant, Sticky, Theme,
                                ThemeAssignment, User, Vote, Workshop)


@pytest.fixture
def demo(demo_template, auth, db):
    """The demo discovery (admin Ada facilitates, signed in; Pat, a product owner, is a member), aggregated
    once (themes and assignments exist) and with a logged operation on each board."""
    assert auth.login().status_code == 302
    with db.session() as session:
        for workshop in session.exec(select(Workshop)).all():
            session.add(Operation(workshop_id=workshop.id, seq=1, op_id=f"op-{workshop.id}", type="phase.set",
                                  result={"phase": "map"}))
        session.commit()
    return 1


def table_counts(db) -> dict[str, int]:
    with db.session() as session:
        return {t.name: session.execute(sa_select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


def rows_pointing_at(db, column: str, ids) -> dict[str, int]:
    """Per table with `column`, how many rows point at one of `ids` (what must be gone)."""
    out = {}
    with db.session() as session:
        for t in SQLModel.metadata.sorted_tables:
            if column in t.c:
                out[t.name] = session.execute(sa_select(func.count()).select_from(t)
                                              .where(t.c[column].in_(list(ids)))).scalar_one()
    return out


def number_on(page: str, label: str) -> int:
    match = re.search(rf"<b>(\d+|no) {label}</b>", page)
    assert match, (label, page[:3000])
    return 0 if match.group(1) == "no" else int(match.group(1))


# --- editing ------------------------------------------------------------------------------------------

def test_a_facilitator_edits_name_problem_goal_and_labels(demo, client, db):
    page = client.get("/discoveries/1/edit").get_data(as_text=True)
    assert 'data-test="stages-locked"' in page and "Rename the stages freely" in page
    fields = {"name": "Platform discovery, round one", "problem": "Shipping is slow.", "goal": "2 weeks by Q3",
              "start_label": "Idea", "end_label": "Customers use it"}
    refused = client.post("/discoveries/1/edit", data={**fields, "stages": "A\nB"})  # 2 columns instead of 6
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "number of stages cannot change" in text and "A\nB" in text  # what was typed is kept
    with db.session() as session:
        assert session.get(Discovery, 1).name == "Platform discovery 2026"  # nothing of the form saved
    renamed = "Idea\nPlan\nBuild\nVerify\nRelease\nRun"  # same six columns: every sticky stays in its stage
    response = client.post("/discoveries/1/edit", data={**fields, "stages": renamed})
    assert response.status_code == 302
    with db.session() as session:
        d = session.get(Discovery, 1)
        assert (d.name, d.problem, d.goal, d.start_label, d.end_label) == (
            "Platform discovery, round one", "Shipping is slow.", "2 weeks by Q3", "Idea", "Customers use it")
        assert d.stages == ["Idea", "Plan", "Build", "Verify", "Release", "Run"]
    backlog = client.get("/discoveries/1/backlog").get_data(as_text=True)
    assert "Verify" in backlog and ">Test<" not in backlog  # the heatmap and themes read the new names
    shown = client.get("/discoveries/1").get_data(as_text=True)
    assert "Platform discovery, round one" in shown and "Customers use it" in shown


def test_the_service_refuses_new_stages_once_a_board_has_stickies(demo, db):
    from workshop.domain.errors import Conflict
    from workshop.services import accounts, discoveries
    with db.session() as session:
        ada = accounts.as_account(session.exec(select(User).where(User.email == "ada@example.com")).one())
        d = session.get(Discovery, 1)
        with pytest.raises(Conflict, match="number of stages cannot change"):
            discoveries.update_discovery(session, ada, 1, name=d.name, stages="Plan\nDo\nCheck")


def test_stages_change_while_no_board_has_stickies_and_names_stay_unique(signed_in, client, db):
    _, first = signed_in.create_discovery(name="First")
    _, second = signed_in.create_discovery(name="Second")
    signed_in.create_workshop(second)  # a workshop without stickies does not lock the stages
    response = client.post(f"/discoveries/{second}/edit", data={"name": "Second", "stages": "Ask\nWait\nGet"})
    assert response.status_code == 302
    with db.session() as session:
        assert session.get(Discovery, second).stages == ["Ask", "Wait", "Get"]
    clash = client.post(f"/discoveries/{second}/edit", data={"name": "first", "stages": "Ask\nWait\nGet"})
    assert clash.status_code == 400 and b"exists already" in clash.data
    bad = client.post(f"/discoveries/{second}/edit", data={"name": "Second", "stages": "Only"})
    assert bad.status_code == 400 and b"at least two stages" in bad.data
    with db.session() as session:
        assert session.get(Discovery, second).name == "Second"


def test_a_facilitator_edits_a_workshops_team_and_date(demo, client, db):
    with db.session() as session:
        workshop = session.exec(select(Workshop).where(Workshop.team == "Payments", Workshop.round == 1)).one()
        token, stickies = workshop.join_token, len(session.exec(select(Sticky).where(Sticky.workshop_id == workshop.id)).all())
    form = client.get(f"/workshops/{workshop.id}/edit").get_data(as_text=True)
    assert 'value="Payments"' in form
    response = client.post(f"/workshops/{workshop.id}/edit", data={"team": "Payments & Billing", "held_on": "2026-12-01"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#w{workshop.id}")
    with db.session() as session:
        w = session.get(Workshop, workshop.id)
        assert (w.team, w.held_on.isoformat(), w.join_token) == ("Payments & Billing", "2026-12-01", token)
        assert len(session.exec(select(Sticky).where(Sticky.workshop_id == w.id)).all()) == stickies
    bad = client.post(f"/workshops/{workshop.id}/edit", data={"team": "", "held_on": "yesterday"})
    assert bad.status_code == 400


# --- deleting -----------------------------------------------------------------------------------------

def test_deleting_a_workshop_says_what_goes_and_leaves_nothing_behind(demo, client, db):
    with db.session() as session:
        workshop = session.exec(select(Workshop).where(Workshop.team == "Checkout", Workshop.round == 1)).one()
        wid = workshop.id
        live = len(session.exec(select(Sticky).where(Sticky.workshop_id == wid, Sticky.deleted == False)).all())  # noqa: E712
        all_stickies = [s.id for s in session.exec(select(Sticky).where(Sticky.workshop_id == wid)).all()]
        votes = len(session.exec(select(Vote).where(Vote.workshop_id == wid)).all())
        guests = len(session.exec(select(Participant).where(Participant.workshop_id == wid,
                                                            Participant.is_facilitator == False)).all())  # noqa: E712
        assignments = len(session.exec(select(ThemeAssignment).where(ThemeAssignment.sticky_id.in_(all_stickies))).all())
    assert live and votes and guests and assignments  # the demo's board has all of it
    before = table_counts(db)

    page = client.get(f"/workshops/{wid}/delete").get_data(as_text=True)
    assert "Delete the Checkout workshop?" in page and "cannot be undone" in page
    assert number_on(page, "stickies") == live and number_on(page, "votes") == votes
    assert number_on(page, "participants?") == guests
    assert table_counts(db) == before  # looking at the page deleted nothing

    response = client.post(f"/workshops/{wid}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/discoveries/1")
    assert f"{live} stickies" in client.get("/discoveries/1").get_data(as_text=True)
    after = table_counts(db)
    assert rows_pointing_at(db, "workshop_id", [wid]) == {t: 0 for t in rows_pointing_at(db, "workshop_id", [wid])}
    assert rows_pointing_at(db, "sticky_id", all_stickies) == {t: 0 for t in rows_pointing_at(db, "sticky_id", [])}
    assert before["workshop"] - after["workshop"] == 1
    assert before["sticky"] - after["sticky"] == len(all_stickies)
    assert before["vote"] - after["vote"] == votes
    assert before["themeassignment"] - after["themeassignment"] == assignments
    assert before["operation"] - after["operation"] == 1
    for table in ("user", "discovery", "discoverymember", "theme", "invite"):
        assert after[table] == before[table], table
    assert client.get(f"/workshops/{wid}/delete").status_code == 404
    assert client.get("/discoveries/1/backlog").status_code == 200  # the backlog still aggregates


def test_deleting_a_discovery_takes_everything_of_it_and_nothing_else(demo, signed_in, client, db):
    _, other = signed_in.create_discovery(name="Another discovery")
    signed_in.create_workshop(other, team="Search")
    with db.session() as session:
        demo_workshops = [w.id for w in session.exec(select(Workshop).where(Workshop.discovery_id == 1)).all()]
        themes = len(session.exec(select(Theme).where(Theme.discovery_id == 1, Theme.merged_into_id.is_(None))).all())
        stickies = len(session.exec(select(Sticky).where(Sticky.workshop_id.in_(demo_workshops),
                                                         Sticky.deleted == False)).all())  # noqa: E712
        # a merged theme points at another: the delete must unlink them first
        a, b = session.exec(select(Theme).where(Theme.discovery_id == 1).limit(2)).all()
        a.merged_into_id = b.id
        session.add(a)
        session.commit()
    before = table_counts(db)
    page = client.get("/discoveries/1/delete").get_data(as_text=True)
    assert "Delete the discovery “Platform discovery 2026”?" in page
    assert number_on(page, "workshops") == len(demo_workshops) == 13  # 10 teams, 3 of them twice
    assert number_on(page, "stickies") == stickies and number_on(page, "themes") == themes - 1
    assert number_on(page, "people") == 2  # Ada and Pat lose their access to it, not their accounts

    assert client.post("/discoveries/1/delete").status_code == 302
    assert rows_pointing_at(db, "discovery_id", [1]) == {t: 0 for t in rows_pointing_at(db, "discovery_id", [])}
    assert set(rows_pointing_at(db, "workshop_id", demo_workshops).values()) == {0}
    after = table_counts(db)
    for table in ("sticky", "vote", "participant", "operation", "theme", "themeassignment"):
        assert after[table] == 0, table  # the other discovery has none of these
    assert after["workshop"] == 1 and after["discovery"] == 1 and after["discoverymember"] == 1
    assert after["user"] == before["user"] == 2
    with db.session() as session:
        assert session.get(Discovery, other).name == "Another discovery"
    assert client.get("/discoveries/1").status_code == 404
    assert "Another discovery" in client.get("/").get_data(as_text=True)


def test_only_the_discoverys_facilitators_edit_or_delete(demo, signed_in, client, db):
    signed_in.logout()
    signed_in.login("po@example.com", "another pass")  # a member, but a product owner
    for path in ("/discoveries/1/edit", "/discoveries/1/delete", "/workshops/1/edit", "/workshops/1/delete"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"name": "Hacked", "team": "Hacked"}).status_code == 403, path
    assert client.post("/discoveries/1/members/1/remove").status_code == 403
    signed_in.logout()
    assert client.post("/discoveries/1/delete").status_code == 302  # to sign in
    with db.session() as session:
        assert session.get(Discovery, 1).name == "Platform discovery 2026"
        assert len(session.exec(select(DiscoveryMember)).all()) == 2


# --- members ------------------------------------------------------------------------------------------

def test_removing_a_member_takes_their_access_away_and_keeps_a_facilitator(demo, signed_in, client, app, db):
    with db.session() as session:
        pat = session.exec(select(User).where(User.email == "po@example.com")).one()
        ada = session.exec(select(User).where(User.email == "ada@example.com")).one()
    page = client.get("/discoveries/1").get_data(as_text=True)
    assert f"/discoveries/1/members/{pat.id}/remove" in page and "Remove Pat Owner from" in page
    # the only facilitator is offered no Remove (the refusal below is for a hand-made request)
    assert f"/discoveries/1/members/{ada.id}/remove" not in page and "the only facilitator: stays" in page
    response = client.post(f"/discoveries/1/members/{pat.id}/remove")
    assert response.status_code == 302 and response.headers["Location"].endswith("#people")
    theirs = app.test_client()
    theirs.post("/login", data={"email": "po@example.com", "password": "another pass"})
    assert theirs.get("/discoveries/1/backlog").status_code == 404
    refused = client.post(f"/discoveries/1/members/{ada.id}/remove", follow_redirects=True)
    assert b"only facilitator" in refused.data
    with db.session() as session:
        assert [m.user_id for m in session.exec(select(DiscoveryMember)).all()] == [ada.id]
    assert client.post("/discoveries/1/members/999/remove", follow_redirects=True).status_code == 200


def test_who_must_stay_on_a_discovery():
    from types import SimpleNamespace as U
    from workshop.services.discoveries import must_stay
    ada, bo, cy = (U(id=1, role="facilitator", is_active=True), U(id=2, role="facilitator", is_active=True),
                   U(id=3, role="product_owner", is_active=True))
    assert must_stay([ada, cy]) == {1}
    assert must_stay([ada, bo, cy]) == set()  # either may go, not both: the second then stays
    assert must_stay([ada, U(id=2, role="facilitator", is_active=False), cy]) == {1}  # a deactivated one runs nothing
    assert must_stay([U(id=2, role="facilitator", is_active=False), cy]) == {2}  # no one else could run it
    assert must_stay([cy]) == set()
