"""Issue 12, item 4: an op id belongs to the participant who sent it first.

Op ids are visible to everyone in broadcast records. Another participant sending an op with that
id must never get `{ok: true, duplicate: true}` for an op that did not run: the collision is refused
with `op_id_taken` (docs/protocol.md), and the first sender's re-sends are still duplicates.
"""
from __future__ import annotations

from tests.board_helpers import create, join, make_workshop, op
from workshop.domain.board import Actor
from workshop.extensions import socketio
from workshop.services.board import BoardService, Submission


def test_another_participant_reusing_an_op_id_is_refused_never_told_it_ran(app, db):
    _, token, fac_secret = make_workshop(db)
    _, ana_secret = join(db, token, "Ana")
    _, ben_secret = join(db, token, "Ben")
    fac = socketio.test_client(app, auth={"token": token, "secret": fac_secret})
    ana = socketio.test_client(app, auth={"token": token, "secret": ana_secret})
    ben = socketio.test_client(app, auth={"token": token, "secret": ben_secret})
    assert fac.emit("ops", {"ops": [op("phase.set", phase="map")]}, callback=True)["results"][0]["ok"]
    anas = create(text="Ana's event")
    first = ana.emit("ops", {"ops": [anas]}, callback=True)["results"][0]
    assert first["ok"] and not first.get("duplicate")
    # Ben saw Ana's op id in the broadcast and sends his own sticky with it
    bens = create(text="Ben's event")
    bens["id"] = anas["id"]
    answer = ben.emit("ops", {"ops": [bens]}, callback=True)["results"][0]
    assert answer["ok"] is False and answer["error"]["code"] == "op_id_taken", answer
    assert "duplicate" not in answer
    # Ana's own re-send is still a duplicate with the first seq
    again = ana.emit("ops", {"ops": [anas]}, callback=True)["results"][0]
    assert again == {"id": anas["id"], "ok": True, "seq": first["seq"], "duplicate": True}
    # Ben's op with a fresh id runs
    bens["id"] = "ben-fresh-id"
    assert ben.emit("ops", {"ops": [bens]}, callback=True)["results"][0]["ok"]
    texts = sorted(s["text"] for s in fac.emit("snapshot", {}, callback=True)["snapshot"]["stickies"])
    assert texts == ["Ana's event", "Ben's event"]
    for client in (fac, ana, ben):
        client.disconnect()


def test_the_same_op_id_from_two_participants_in_one_tick_runs_once_and_refuses_the_other(db):
    workshop_id, token, _ = make_workshop(db)
    ana, _ = join(db, token, "Ana")
    ben, _ = join(db, token, "Ben")
    service = BoardService(db)
    with db.session() as session:
        from sqlmodel import select

        from workshop.db.models import Participant
        fac = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                     Participant.is_facilitator == True)).one()  # noqa: E712
    service.apply_batch(workshop_id, [Submission(Actor(fac.id, fac.name, True), [op("phase.set", phase="map")])])
    anas, bens = create(text="Ana's"), create(text="Ben's")
    bens["id"] = anas["id"]
    a, b = Submission(Actor(ana, "Ana", False), [anas]), Submission(Actor(ben, "Ben", False), [bens])
    records = service.apply_batch(workshop_id, [a, b])
    assert a.results[0]["ok"] and not a.results[0].get("duplicate")
    assert b.results[0]["ok"] is False and b.results[0]["error"]["code"] == "op_id_taken"
    assert [r["sticky"]["text"] for r in records] == ["Ana's"]
