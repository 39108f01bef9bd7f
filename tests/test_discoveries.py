"""Discoveries and workshops through the HTTP interface (as a facilitator would) and the domain."""
import json
import re

import pytest
from sqlmodel import select

from workshop.db.models import Discovery, Workshop
from workshop.domain.errors import ValidationError
from workshop.domain.validation import parse_stages, validate_discovery, validate_workshop


def test_facilitator_creates_a_discovery_with_default_timeline(signed_in, client, db):
    response, discovery_id = signed_in.create_discovery(stages="", start_label="", end_label="")
    assert response.status_code == 302 and discovery_id
    with db.session() as session:
        discovery = session.get(Discovery, discovery_id)
    assert discovery.stages == ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
    assert (discovery.start_label, discovery.end_label) == ("Project starts", "Live in production with users")
    page = client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert "Platform discovery" in page and "Live in production with users" in page


def test_custom_stages_keep_their_order(signed_in, db):
    _, discovery_id = signed_in.create_discovery(stages="Request, Approve, Provision, Use")
    with db.session() as session:
        assert session.get(Discovery, discovery_id).stages == ["Request", "Approve", "Provision", "Use"]


@pytest.mark.parametrize("fields,message", [
    ({"name": ""}, "Name is required"),
    ({"name": "x" * 121}, "the limit is 120"),
    ({"stages": "Build\nTest\nbuild"}, "appears twice"),
    ({"stages": "Only"}, "at least two stages"),
])
def test_bad_discovery_input_is_refused_and_nothing_written(signed_in, client, db, fields, message):
    response, _ = signed_in.create_discovery(**fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.session() as session:
        assert session.exec(select(Discovery)).all() == []


def test_duplicate_discovery_name_is_refused(signed_in):
    signed_in.create_discovery(name="Same")
    response, _ = signed_in.create_discovery(name="same")
    assert response.status_code == 400 and b"exists already" in response.data


def test_facilitator_adds_workshops_with_unguessable_join_links(signed_in, client, db):
    _, discovery_id = signed_in.create_discovery()
    _, first = signed_in.create_workshop(discovery_id, team="Payments")
    _, second = signed_in.create_workshop(discovery_id, team="Search", template="postmortem", held_on="")
    with db.session() as session:
        a, b = session.get(Workshop, first), session.get(Workshop, second)
    assert a.template == "discovery" and b.template == "postmortem" and b.held_on is None
    assert len(a.join_token) >= 32 and a.join_token != b.join_token  # 24 random bytes = 192 bits
    page = client.get(f"/discoveries/{discovery_id}").get_data(as_text=True)
    assert f"/w/{a.join_token}" in page and "Search" in page and "Post-mortem" in page


def test_the_board_timeline_runs_between_the_ends_of_the_workshop_template(signed_in, client):
    _, discovery_id = signed_in.create_discovery(start_label="Someone has an idea", end_label="Customers use it")
    _, discovery = signed_in.create_workshop(discovery_id, team="Payments")
    _, postmortem = signed_in.create_workshop(discovery_id, team="Search", template="postmortem")

    def ends(workshop_id: int) -> tuple[str, str]:
        page = client.get(f"/workshops/{workshop_id}/board").get_data(as_text=True)
        config = json.loads(re.search(r'<script type="application/json" id="board-config">(.*?)</script>', page, re.S)[1])
        return config["discovery"]["startLabel"], config["discovery"]["endLabel"]

    assert ends(discovery) == ("Someone has an idea", "Customers use it")  # the discovery's own journey
    assert ends(postmortem) == ("Incident starts", "Service restored")    # the template's story


@pytest.mark.parametrize("team,template,held_on,message", [
    ("", "discovery", "", "Team is required"),
    ("Payments", "astrology", "", "Unknown template"),
    ("Payments", "discovery", "next tuesday", "is not a date"),
])
def test_bad_workshop_input_is_refused(signed_in, client, db, team, template, held_on, message):
    _, discovery_id = signed_in.create_discovery()
    response, _ = signed_in.create_workshop(discovery_id, team=team, template=template, held_on=held_on)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.session() as session:
        assert session.exec(select(Workshop)).all() == []


def test_discovery_page_lists_state_and_counts(signed_in, client, runner):
    runner.invoke(args=["demo"])
    page = client.get("/discoveries/1").get_data(as_text=True)
    rows = re.findall(r'<tr id="w\d+">', page)
    assert len(rows) >= 8
    assert "closed" in page and "open" in page


def test_closing_a_workshop_closes_its_join_link(signed_in, client, db):
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id)
    with db.session() as session:
        token = session.get(Workshop, workshop_id).join_token
    client.post(f"/workshops/{workshop_id}/status", data={"status": "closed"})
    signed_in.logout()
    response = client.get(f"/w/{token}")
    assert response.status_code == 410 and "closed" in response.get_data(as_text=True)
    response = client.post(f"/w/{token}", data={"name": "Late Larry"})
    assert response.status_code == 410


def test_unknown_ids_are_404_with_a_message(signed_in, client):
    assert client.get("/discoveries/999").status_code == 404
    assert client.post("/discoveries/999", data={"team": "X"}).status_code == 404
    assert client.post("/workshops/999/status", data={"status": "closed"}).status_code == 404
    response = client.get("/w/not-a-real-token-at-all-xyz")
    assert response.status_code == 404 and b"not valid" in response.data


def test_json_clients_get_json_errors(signed_in, client):
    response = client.get("/discoveries/999", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_discovery"


def test_product_owner_cannot_create_discoveries_or_see_others(signed_in, client):
    _, discovery_id = signed_in.create_discovery()
    signed_in.add_user("po@example.com", "Pat", "product_owner")
    signed_in.logout()
    signed_in.login("po@example.com", "another pass")
    assert signed_in.create_discovery(name="Mine")[0].status_code == 403
    assert client.get(f"/discoveries/{discovery_id}").status_code == 404


def test_member_product_owner_sees_the_discovery_but_cannot_add_workshops(signed_in, client):
    _, discovery_id = signed_in.create_discovery()
    signed_in.add_user("po@example.com", "Pat", "product_owner")
    client.post(f"/discoveries/{discovery_id}/members", data={"email": "po@example.com"})
    signed_in.logout()
    signed_in.login("po@example.com", "another pass")
    assert client.get(f"/discoveries/{discovery_id}").status_code == 200
    assert signed_in.create_workshop(discovery_id)[0].status_code == 403


def test_guest_joins_with_a_name_and_keeps_their_identity(signed_in, client, db, app):
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id, team="Payments")
    with db.session() as session:
        token = session.get(Workshop, workshop_id).join_token
    guest = app.test_client()
    form = guest.get(f"/w/{token}").get_data(as_text=True)
    assert 'value="Payments"' in form  # team prefilled
    assert guest.post(f"/w/{token}", data={"name": "", "team": "Payments"}).status_code == 400
    response = guest.post(f"/w/{token}", data={"name": "Grace", "team": "Payments"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/w/{token}/board")
    board = guest.get(f"/w/{token}/board").get_data(as_text=True)
    assert "Grace" in board
    # coming back with the same browser goes straight to the board
    assert guest.get(f"/w/{token}").headers["Location"].endswith("/board")


def test_home_page_offers_the_demo_in_one_click(signed_in, client):
    page = client.get("/").get_data(as_text=True)
    assert "Load the demo discovery" in page
    response = client.post("/demo")
    assert response.status_code == 302
    assert "Platform discovery 2026" in client.get("/").get_data(as_text=True)


def test_domain_validation_without_flask():
    assert parse_stages(" A ,B\n\nC ") == ["A", "B", "C"]
    with pytest.raises(ValidationError) as info:
        validate_discovery("Name\x00")
    assert info.value.code == "invalid_name"
    assert validate_workshop("Team", None, "2026-01-02").template == "discovery"


def test_a_second_workshop_for_the_same_team_is_made_with_a_warning(signed_in, client, db):
    """A walkthrough added "Payments" twice without a word; the backlog then counted one team."""
    _, discovery_id = signed_in.create_discovery()
    first = client.post(f"/discoveries/{discovery_id}", data={"team": "Payments", "template": "discovery"})
    assert "already had" not in client.get(first.headers["Location"]).get_data(as_text=True)
    again = client.post(f"/discoveries/{discovery_id}", data={"team": "payments", "template": "discovery"})
    assert again.status_code == 302
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "flash-warning" in page and "payments already had a workshop in this round" in page
    with db.session() as session:
        assert len(session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id)).all()) == 2


def test_the_new_discovery_form_names_every_wrong_field_at_once(signed_in):
    response, discovery_id = signed_in.create_discovery(name="", goal="x" * 1001, stages="Build\nBuild")
    assert discovery_id is None and response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Please correct 3 fields:" in html
    for code in ("missing_name", "goal_too_long", "duplicate_stage"):
        assert f'<li data-code="{code}">' in html, code
    assert 'value="' + "x" * 1001 + '"' in html  # nothing typed is lost


def test_the_admin_is_offered_the_demo_on_the_home_page_until_it_is_loaded(signed_in, client, runner):
    """Issue 26: once any discovery existed, only the CLI could load the demo."""
    assert client.post("/discoveries/new", data={"name": "Ours", "stages": "A\nB"}).status_code in (200, 302)
    page = client.get("/").get_data(as_text=True)
    assert 'data-test="open-demo"' in page and "Ours" in page
    assert runner.invoke(args=["demo"]).exit_code == 0
    page = client.get("/").get_data(as_text=True)
    assert 'data-test="open-demo"' not in page and "Platform discovery 2026" in page
