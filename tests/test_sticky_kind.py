"""Issue 26, item 7: a sticky's kind changes (recoloured, as in Miro or FigJam) keeping its text, place,
votes and links: `sticky.update` with `changes.kind`, under the rules of a create (a guest, a kind the
phase takes; a facilitator, any) and of an edit (the author or a facilitator)."""
from sqlmodel import select

from tests.board_helpers import create, join, make_workshop, op
from tests.test_board_socket import records, result, send
from workshop.db.models import Sticky
from workshop.extensions import socketio


def room(app, db, phase="context"):
    workshop_id, token, fac_secret = make_workshop(db)
    _, ann_secret = join(db, token, "Ann")
    _, bob_secret = join(db, token, "Bob")
    clients = {name: socketio.test_client(app, auth={"token": token, "secret": secret})
               for name, secret in (("fac", fac_secret), ("ann", ann_secret), ("bob", bob_secret))}
    result(send(clients["fac"], op("phase.set", phase=phase)))
    return clients


def test_a_stickys_kind_changes_keeping_its_text_place_votes_and_links(app, db):
    c = room(app, db, "deepdive")
    event = create("pain", "Waiting for the CAB", x=0.3, y=0.4)
    sid = event["sticky"]["id"]
    result(send(c["fac"], create("event", "Deploy", x=0.2, y=0.2, sticky_id="ev-1")))
    result(send(c["ann"], event))
    result(send(c["ann"], op("sticky.update", sticky_id=sid, changes={"link_to": "ev-1"})))
    result(send(c["fac"], op("phase.set", phase="vote")))
    result(send(c["bob"], op("vote.add", sticky_id=sid)))
    result(send(c["fac"], op("phase.set", phase="deepdive")))
    records(c["bob"])
    changed = result(send(c["ann"], op("sticky.update", sticky_id=sid, changes={"kind": "opportunity"})))
    assert changed["ok"]
    (record,) = [r for r in records(c["bob"]) if r["type"] == "sticky.update"]
    assert record["sticky"]["kind"] == "opportunity" and set(record["sticky"]) == {"id", "kind", "version"}
    snapshot = c["bob"].emit("snapshot", {}, callback=True)["snapshot"]
    (s,) = [s for s in snapshot["stickies"] if s["id"] == sid]
    assert (s["kind"], s["text"], s["x"], s["y"], s["link_to"], s["votes"]) == \
        ("opportunity", "Waiting for the CAB", 0.3, 0.4, "ev-1", 1)
    with db.session() as session:
        assert session.exec(select(Sticky).where(Sticky.id == sid)).one().kind == "opportunity"


def test_only_the_author_or_a_facilitator_changes_a_kind_and_a_guest_only_to_one_the_phase_takes(app, db):
    c = room(app, db, "context")
    sticky = create("system", "Security review 2d")
    sid = sticky["sticky"]["id"]
    result(send(c["ann"], sticky))
    bob = result(send(c["bob"], op("sticky.update", sticky_id=sid, changes={"kind": "time"})))
    assert bob["error"]["code"] == "not_author" and "change its kind" in bob["error"]["message"]
    refused = result(send(c["ann"], op("sticky.update", sticky_id=sid, changes={"kind": "pain"})))
    assert refused["error"]["code"] == "kind_not_in_phase"
    unknown = result(send(c["ann"], op("sticky.update", sticky_id=sid, changes={"kind": "banana"})))
    assert unknown["error"]["code"] == "unknown_kind"
    # into a time sticky, with the duration its text names; out of it again, the duration goes
    ok = result(send(c["ann"], op("sticky.update", sticky_id=sid, changes={"kind": "time", "duration_minutes": 2880})))
    assert ok["ok"]
    assert result(send(c["fac"], op("sticky.update", sticky_id=sid, changes={"kind": "pain"})))["ok"]
    last = [r for r in records(c["bob"]) if r["type"] == "sticky.update"][-1]
    assert last["sticky"]["kind"] == "pain" and last["sticky"]["duration_minutes"] is None
    with db.session() as session:
        stored = session.exec(select(Sticky).where(Sticky.id == sid)).one()
        assert (stored.kind, stored.duration_minutes, stored.text) == ("pain", None, "Security review 2d")
