"""Nobody where they don't belong: workshops are isolated (socket and HTTP), guests cannot do what
only a facilitator may, a role is checked on every event, exports and backlogs are for the
discovery's facilitators, product owners and admins."""
from __future__ import annotations

import pytest
from sqlmodel import select

from tests.board_helpers import create, join, make_workshop, op
from workshop.db.models import Participant, Sticky, Workshop
from workshop.domain.board import FACILITATOR_OPS
from workshop.extensions import socketio


def connect(app, token, secret):
    client = socketio.test_client(app, auth={"token": token, "secret": secret})
    assert client.is_connected()
    return client


def send(client, *ops):
    return client.emit("ops", {"ops": list(ops)}, callback=True)["results"]


@pytest.fixture
def two_rooms(app, db):
    a_id, a_token, a_fac = make_workshop(db, team="A")
    b_id, b_token, b_fac = make_workshop(db, team="B")
    _, a_guest = join(db, a_token, "Alice")
    _, b_guest = join(db, b_token, "Bob")
    fac_b = connect(app, b_token, b_fac)
    send(fac_b, op("phase.set", phase="map"))
    b_sticky = create(text="B's secret")
    send(connect(app, b_token, b_guest), b_sticky)
    fac_a = connect(app, a_token, a_fac)
    send(fac_a, op("phase.set", phase="map"))
    return {"a": (a_id, a_token, a_fac, a_guest), "b": (b_id, b_token, b_fac, b_guest),
            "b_sticky": b_sticky["sticky"]["id"], "fac_a": fac_a, "fac_b": fac_b}


def test_a_participant_of_workshop_a_cannot_read_or_change_workshop_b_by_socket(app, db, two_rooms):
    a_id, a_token, a_fac, a_guest = two_rooms["a"]
    b_id, b_token, _, b_guest = two_rooms["b"]
    target = two_rooms["b_sticky"]
    # A's secret does not open B (and B's token with A's secret neither)
    for token, secret in ((b_token, a_guest), (b_token, a_fac), (a_token, b_guest)):
        assert not socketio.test_client(app, auth={"token": token, "secret": secret}).is_connected()
    for secret in (a_guest, a_fac):  # guest and facilitator of A alike
        client = connect(app, a_token, secret)
        assert "B's secret" not in str(client.emit("snapshot", {}, callback=True))
        assert "B's secret" not in str(client.emit("resync", {"since": 0}, callback=True))
        results = send(client, op("sticky.update", sticky_id=target, changes={"text": "hijacked"}),
                       op("sticky.delete", sticky_id=target), op("vote.add", sticky_id=target),
                       create(text="link", link_to=target), create(text="clash", sticky_id=target))
        assert [r["error"]["code"] for r in results] == ["unknown_sticky", "unknown_sticky", "not_voting_phase",
                                                         "unknown_sticky", "duplicate_sticky"]
        send(two_rooms["fac_a"], op("phase.set", phase="vote"))
        assert send(client, op("vote.add", sticky_id=target))[0]["error"]["code"] == "unknown_sticky"
        send(two_rooms["fac_a"], op("phase.set", phase="map"))
        assert "B's secret" not in str([m for m in client.get_received()])
    with db.session() as session:
        sticky = session.get(Sticky, target)
        assert (sticky.workshop_id, sticky.text, sticky.deleted, sticky.version) == (b_id, "B's secret", False, 1)
        assert session.get(Workshop, b_id).phase == "map"


def test_a_guest_cannot_do_what_only_a_facilitator_may(app, db):
    _, token, fac_secret = make_workshop(db)
    _, guest_secret = join(db, token, "Gus")
    fac, guest = connect(app, token, fac_secret), connect(app, token, guest_secret)
    send(fac, op("phase.set", phase="map"))
    facs_sticky = create(text="facilitator's")
    send(fac, facs_sticky)
    attempts = {"phase.set": {"phase": "vote"}, "timer.start": {"seconds": 60}, "timer.stop": {},
                "board.lock": {"locked": True}, "private.set": {"on": True}, "private.reveal": {},
                "vote.budget": {"budget": 50}, "vote.hide": {"on": False}, "workshop.close": {}, "workshop.reopen": {}}
    assert set(attempts) == FACILITATOR_OPS
    # one at a time, and all in one message mixed with an allowed op: each op is checked
    for kind, fields in attempts.items():
        assert send(guest, op(kind, **fields))[0]["error"]["code"] == "not_facilitator", kind
    mixed = send(guest, create(text="mine"), *[op(k, **f) for k, f in attempts.items()],
                 op("sticky.update", sticky_id=facs_sticky["sticky"]["id"], changes={"text": "mine now"}),
                 op("sticky.delete", sticky_id=facs_sticky["sticky"]["id"]))
    assert mixed[0]["ok"] and {r["error"]["code"] for r in mixed[1:-2]} == {"not_facilitator"}
    assert [r["error"]["code"] for r in mixed[-2:]] == ["not_author", "not_author"]
    state = fac.emit("snapshot", {}, callback=True)["snapshot"]
    assert state["workshop"]["phase"] == "map" and state["workshop"]["status"] == "open"
    assert not state["workshop"]["locked"] and state["workshop"]["timer_seconds"] is None
    assert {s["text"] for s in state["stickies"]} == {"facilitator's", "mine"}


def test_a_role_is_checked_on_every_event_not_only_at_connect(app, db):
    _, token, fac_secret = make_workshop(db)
    fac = connect(app, token, fac_secret)
    assert send(fac, op("phase.set", phase="map"))[0]["ok"]
    with db.session() as session:  # the seat loses its facilitator role while the socket stays open
        seat = session.exec(select(Participant).where(Participant.is_facilitator == True)).first()  # noqa: E712
        seat.is_facilitator = False
        session.add(seat)
        session.commit()
    assert send(fac, op("phase.set", phase="pain"))[0]["error"]["code"] == "not_facilitator"
    assert send(fac, op("board.lock", locked=True))[0]["error"]["code"] == "not_facilitator"
    assert send(fac, create(kind="pain"))[0]["error"]["code"] == "kind_not_in_phase"  # now a guest's palette


# --- HTTP --------------------------------------------------------------------------------------

@pytest.fixture
def people(client, auth, db):
    """Ada (admin) owns discovery A; Fay (facilitator) owns discovery B; Pat (product owner) is a
    member of B; Oz (facilitator) is a member of nothing."""
    auth.setup()
    for email, name, role in (("fay@example.com", "Fay", "facilitator"), ("pat@example.com", "Pat", "product_owner"),
                              ("oz@example.com", "Oz", "facilitator")):
        assert auth.add_user(email, name, role).status_code == 302
    _, a = auth.create_discovery(name="Discovery A")
    _, a_workshop = auth.create_workshop(a)
    auth.logout()
    auth.login("fay@example.com", "another pass")
    _, b = auth.create_discovery(name="Discovery B")
    _, b_workshop = auth.create_workshop(b, team="Search")
    client.post(f"/discoveries/{b}/members", data={"email": "pat@example.com"})
    auth.logout()
    return {"a": a, "a_workshop": a_workshop, "b": b, "b_workshop": b_workshop}


def as_user(auth, email):
    auth.logout()
    password = "correct horse" if email == "ada@example.com" else "another pass"
    assert auth.login(email, password).status_code == 302


def test_a_facilitator_of_one_discovery_cannot_read_or_change_another_by_http(client, auth, db, people):
    as_user(auth, "fay@example.com")
    a, a_workshop = people["a"], people["a_workshop"]
    assert client.get(f"/discoveries/{a}").status_code in (403, 404)
    assert "Discovery A" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/workshops/{a_workshop}/board").status_code in (403, 404)
    assert client.post(f"/discoveries/{a}", data={"team": "Intruders"}).status_code in (403, 404)
    assert client.post(f"/workshops/{a_workshop}/status", data={"status": "closed"}).status_code in (403, 404)
    assert client.post(f"/discoveries/{a}/members", data={"email": "fay@example.com"}).status_code == 404
    assert client.get(f"/discoveries/{a}").status_code in (403, 404)  # still not a member
    with db.session() as session:
        workshops = session.exec(select(Workshop).where(Workshop.discovery_id == a)).all()
        assert [(w.team, w.status) for w in workshops] == [("Payments", workshops[0].status)]
        assert workshops[0].status != "closed"
        assert not session.exec(select(Participant).where(Participant.workshop_id == a_workshop,
                                                          Participant.name == "Fay")).first()


def test_a_guest_seat_in_one_workshop_does_not_open_another(client, auth, db, people):
    with db.session() as session:
        a_token = session.get(Workshop, people["a_workshop"]).join_token
        b_token = session.get(Workshop, people["b_workshop"]).join_token
    auth.logout()
    client.post(f"/w/{a_token}", data={"name": "Gus"})
    assert client.get(f"/w/{a_token}/board").status_code == 200
    response = client.get(f"/w/{b_token}/board")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/w/{b_token}")
    assert client.get(f"/workshops/{people['b_workshop']}/board").status_code == 302  # sign-in first
    assert client.get(f"/discoveries/{people['b']}").status_code == 302


# --- exports and backlog pages: facilitators, product owners (members) and admins only ---------

ROUTES = {"backlog": "/discoveries/<int:discovery_id>/backlog", "export": "/discoveries/<int:discovery_id>/export.xlsx"}


@pytest.mark.parametrize("page", sorted(ROUTES))
def test_backlog_and_export_only_for_the_discoverys_people_and_admins(app, client, auth, people, page):
    assert ROUTES[page] in {rule.rule for rule in app.url_map.iter_rules()}, f"{ROUTES[page]} is gone"
    path = ROUTES[page].replace("<int:discovery_id>", str(people["b"]))
    auth.logout()
    anonymous = client.get(path)
    assert anonymous.status_code in (302, 401) and "/login" in anonymous.headers.get("Location", "/login")
    client.get("/")  # a fresh session for each person
    for email, allowed in (("fay@example.com", True), ("pat@example.com", True), ("ada@example.com", True),
                           ("oz@example.com", False)):
        as_user(auth, email)
        status = client.get(path).status_code
        assert (status == 200) if allowed else (status in (403, 404)), (email, status)
    # and a product owner of B cannot reach A's
    as_user(auth, "pat@example.com")
    assert client.get(ROUTES[page].replace("<int:discovery_id>", str(people["a"]))).status_code in (403, 404)


def test_a_product_owner_is_refused_the_new_discovery_form_before_filling_it_in(client, auth, people):
    as_user(auth, "pat@example.com")
    assert "New discovery" not in client.get("/").get_data(as_text=True)
    response = client.get("/discoveries/new")
    assert response.status_code == 403 and "Only facilitators and admins create discoveries" in response.get_data(as_text=True)
    assert client.post("/discoveries/new", data={"name": "Pat's own"}).status_code == 403
    as_user(auth, "fay@example.com")
    assert client.get("/discoveries/new").status_code == 200


def test_guests_cannot_reach_backlog_or_export_with_a_board_seat(app, client, db, people):
    with db.session() as session:
        b_token = session.get(Workshop, people["b_workshop"]).join_token
    client.post("/logout")
    client.post(f"/w/{b_token}", data={"name": "Gus"})
    for rule in ROUTES.values():
        if rule in {r.rule for r in app.url_map.iter_rules()}:
            response = client.get(rule.replace("<int:discovery_id>", str(people["b"])))
            assert response.status_code in (302, 401, 403, 404), rule
