"""Issue 12, item 5: deactivating a person or changing their password ends their live board powers
at once: their open sockets are disconnected (on every process: see tests/test_scaleout.py for the
message-queue path), the seat's old secret no longer connects, and the tick refuses ops from a
seat whose account is inactive.
"""
from __future__ import annotations

import pytest
from sqlmodel import select

from tests.board_helpers import create, make_workshop, op
from tests.conftest import invite_link
from workshop.db.models import Participant, User
from workshop.domain.board import Actor
from workshop.extensions import socketio
from workshop.services import accounts
from workshop.services.board import BoardService, Submission


@pytest.fixture
def facilitated(signed_in, db, app):
    """The signed-in admin, and another facilitator (Fran) with a live board socket."""
    workshop_id, token, secret = make_workshop(db)
    with db.session() as session:
        seat = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                      Participant.is_facilitator == True)).one()  # noqa: E712
        fran_id = seat.user_id
    fran = socketio.test_client(app, auth={"token": token, "secret": secret})
    assert fran.is_connected()
    assert fran.emit("ops", {"ops": [op("timer.start", seconds=60)]}, callback=True)["results"][0]["ok"]
    yield {"workshop_id": workshop_id, "token": token, "secret": secret, "fran": fran, "fran_id": fran_id,
           "seat_id": seat.id}
    if fran.is_connected():
        fran.disconnect()


def _reconnects(app, token, secret) -> bool:
    again = socketio.test_client(app, auth={"token": token, "secret": secret})
    connected = again.is_connected()
    if connected:
        again.disconnect()
    return connected


def test_deactivating_a_facilitator_ends_their_open_board_socket_at_once(client, app, facilitated):
    response = client.post(f"/users/{facilitated['fran_id']}/status", data={"active": "0"})
    assert response.status_code == 302
    assert not facilitated["fran"].is_connected(), "the deactivated facilitator's socket is still open"
    assert not _reconnects(app, facilitated["token"], facilitated["secret"])


def test_a_new_password_set_on_an_admins_link_ends_the_persons_board_sockets(client, app, facilitated):
    """An admin no longer chooses passwords: they make a one-time link (the current password and
    sockets keep working), and when the person sets a new password on it, their board sockets end."""
    response = client.post(f"/users/{facilitated['fran_id']}/password")
    assert response.status_code == 302
    link = invite_link(client.get(response.headers["Location"]).get_data(as_text=True))
    assert facilitated["fran"].is_connected(), "making a link changes nothing yet"
    theirs = app.test_client()
    assert theirs.post(link, data={"password": "a brand new one", "repeat": "a brand new one"}).status_code == 302
    assert not facilitated["fran"].is_connected()
    # the seat's secret was replaced: the old socket cannot come back with it
    assert not _reconnects(app, facilitated["token"], facilitated["secret"])


def test_changing_ones_own_password_ends_ones_board_sockets(client, app, db, signed_in):
    """The signed-in admin facilitates a board, then changes their own password on the Account page."""
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id)
    assert client.get(f"/workshops/{workshop_id}/board").status_code == 200
    with client.session_transaction() as cookie:
        secret = cookie["seats"][str(workshop_id)]
    with db.session() as session:
        from workshop.db.models import Workshop
        token = session.get(Workshop, workshop_id).join_token
    mine = socketio.test_client(app, auth={"token": token, "secret": secret}, flask_test_client=client)
    assert mine.is_connected()
    response = client.post("/account", data={"current": "correct horse", "password": "another horse",
                                              "repeat": "another horse"})
    assert response.status_code == 302
    assert not mine.is_connected()
    assert not _reconnects(app, token, secret)
    assert client.get(f"/workshops/{workshop_id}/board").status_code == 200  # this session opens it again


def test_the_tick_refuses_ops_from_a_seat_whose_account_is_inactive(db, facilitated):
    with db.session() as session:
        user = session.get(User, facilitated["fran_id"])
        user.is_active = False
        session.add(user)
        session.commit()
    actor = Actor(facilitated["seat_id"], "Fran", True)
    submission = Submission(actor, [op("timer.stop"), create(text="after deactivation")])
    assert BoardService(db).apply_batch(facilitated["workshop_id"], [submission]) == []
    assert [r["error"]["code"] for r in submission.results] == ["account_inactive", "account_inactive"]


def test_a_change_no_message_reached_is_ended_by_the_account_sweep(app, db, facilitated):
    """The CLI beside an embedded server (no message queue) writes the database only; each
    process's sweep of its open facilitator sockets ends them."""
    hub = app.extensions["room_hub"]
    assert hub.sweep_accounts() == 0  # nothing changed yet: nobody is disconnected
    assert facilitated["fran"].is_connected()
    with db.session() as session:
        accounts.set_active_by_email(session, session.get(User, facilitated["fran_id"]).email, False)
    assert facilitated["fran"].is_connected()
    assert hub.sweep_accounts() == 1
    assert not facilitated["fran"].is_connected()
