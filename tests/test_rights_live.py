"""Issue 23, items 1-3, against the real server (`python app.py`) with real socket clients: a right
ends the moment it is taken away, and a deleted board ends cleanly (ADR 0019).

1. a facilitator removed from a discovery loses its open board at once: their socket is told
   (`ended`, `rights_ended`) and disconnected, the old seat secret no longer connects;
2. the same for a facilitator demoted to product owner on the People page;
3. deleting a workshop or its discovery while people are on the board: everyone is told
   (`board_deleted`) and disconnected at once, reconnects are refused, the server logs no traceback.
Across processes (through Redis): tests/test_scaleout.py.
"""
from __future__ import annotations

import uuid

import pytest

from tests.live_server import shared_server
from tests.rights_helpers import Browser, Seat, make_room, refused, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server():
    return shared_server()


@pytest.fixture
def room(server):
    db = server.database()
    try:
        room = make_room(db)
    finally:
        db.dispose()
    fran = Seat(server.url, room.token, room.fran_secret).connect()
    guest = Seat(server.url, room.token, room.guest_secret).connect()
    assert fran.op("board.lock", locked=True)["ok"]  # Fran runs the board
    assert fran.op("board.lock", locked=False)["ok"]
    assert fran.op("phase.set", phase="map")["ok"]
    yield room, fran, guest
    fran.close()
    guest.close()


def _assert_rights_ended(server, room, fran: Seat, guest: Seat) -> None:
    assert fran.wait_ended(3), "the facilitator's open socket is still connected"
    assert [e["code"] for e in fran.ended] == ["rights_ended"], fran.ended
    assert fran.ended[0]["message"]
    # the old seat secret is not admitted again (as facilitator or at all)
    assert refused(server.url, room.token, room.fran_secret)["code"] == "unknown_participant"
    # the room itself goes on
    assert guest.sio.connected and not guest.ended
    result = guest.op("sticky.create", sticky={"id": str(uuid.uuid4()), "kind": "event", "text": "still here",
                                               "x": 0.2, "y": 0.3})
    assert result["ok"], result


def test_a_facilitator_removed_from_the_discovery_loses_the_open_board_at_once(server, room):
    room, fran, guest = room
    ada = Browser(server.url, room.admin_email)
    answer = ada.post(f"/discoveries/{room.discovery_id}/members/{room.fran_id}/remove")
    assert answer.status_code == 302
    _assert_rights_ended(server, room, fran, guest)


def test_a_facilitator_demoted_to_product_owner_loses_the_open_board_at_once(server, room):
    room, fran, guest = room
    ada = Browser(server.url, room.admin_email)
    answer = ada.post(f"/users/{room.fran_id}", name="Fran", role="product_owner")
    assert answer.status_code == 302
    _assert_rights_ended(server, room, fran, guest)


def test_renaming_a_facilitator_keeps_their_board(server, room):
    """Only a change that takes a right away ends a seat: a new name, or admin rights given, do not."""
    room, fran, guest = room
    ada = Browser(server.url, room.admin_email)
    assert ada.post(f"/users/{room.fran_id}", name="Francesca", role="facilitator", is_admin="on").status_code == 302
    assert not wait_for(lambda: fran.gone.is_set(), 0.5)
    assert fran.op("board.lock", locked=True)["ok"]


def _traceback_free_since(server, mark: int) -> str:
    log = server.log_path.read_text(errors="replace")[mark:]
    assert "Traceback" not in log, log[-3000:]
    return log


@pytest.mark.parametrize("what", ["workshop", "discovery"])
def test_deleting_a_board_with_people_on_it_tells_everyone_and_ends_it(server, room, what):
    room, fran, guest = room
    mark = server.log_path.stat().st_size
    ada = Browser(server.url, room.admin_email)
    path = (f"/workshops/{room.workshop_id}/delete" if what == "workshop"
            else f"/discoveries/{room.discovery_id}/delete")
    assert ada.post(path).status_code == 302
    for seat in (fran, guest):
        assert seat.wait_ended(3), "a socket of the deleted board is still connected"
        assert [e["code"] for e in seat.ended] == ["board_deleted"], seat.ended
        assert "deleted" in seat.ended[0]["message"]
    # reconnects are refused, with a code the board shows as final (no retry loop)
    for secret in (room.fran_secret, room.guest_secret):
        assert refused(server.url, room.token, secret)["code"] == "unknown_workshop"
    _traceback_free_since(server, mark)


def test_ops_that_reach_a_deleted_board_are_refused_as_final_without_a_traceback(server, room):
    """A socket that was not reached (its ops already queued, or a process the queue missed) gets a
    final `board_deleted` answer for ops and snapshots, not `server_error` ("will be retried")."""
    room, fran, guest = room
    mark = server.log_path.stat().st_size
    db = server.database()
    try:  # deleted behind the server's back: no port told it
        from workshop.services import discoveries as svc
        from workshop.db.models import User
        from sqlmodel import select
        from workshop.services.accounts import as_account
        with db.session() as session:
            admin = session.exec(select(User).where(User.email == room.admin_email)).one()
            svc.delete_workshop(session, as_account(admin), room.workshop_id)
    finally:
        db.dispose()
    assert guest.sio.connected
    result = guest.op("sticky.create", sticky={"id": str(uuid.uuid4()), "kind": "event", "text": "late", "x": 0.1, "y": 0.1})
    assert result["ok"] is False and result["error"]["code"] == "board_deleted", result
    snapshot = guest.call("snapshot", {})
    assert snapshot["ok"] is False and snapshot["error"]["code"] == "unknown_workshop", snapshot
    _traceback_free_since(server, mark)
