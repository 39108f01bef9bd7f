"""Every board event through Flask-SocketIO's test client: success, each refusal, ordering,
idempotent retry, resync, private writing, votes, isolation."""
import pytest
from sqlmodel import select

from workshop.extensions import socketio
from tests.board_helpers import create, join, make_workshop, op


@pytest.fixture
def room(app, db):
    """A workshop in the map phase with a facilitator and two guests connected."""
    workshop_id, token, fac_secret = make_workshop(db)
    ann_id, ann_secret = join(db, token, "Ann")
    _, bob_secret = join(db, token, "Bob")
    clients = {}
    for name, secret in (("fac", fac_secret), ("ann", ann_secret), ("bob", bob_secret)):
        clients[name] = socketio.test_client(app, auth={"token": token, "secret": secret})
        assert clients[name].is_connected()
    send(clients["fac"], op("phase.set", phase="map"))
    for c in clients.values():
        c.get_received()
    clients["token"] = token
    clients["ann_id"] = ann_id
    yield clients
    for key, c in clients.items():
        if key in ("fac", "ann", "bob") and c.is_connected():
            c.disconnect()


def send(client, *ops):
    return client.emit("ops", {"ops": list(ops)}, callback=True)


def records(client):
    return [r for message in client.get_received() if message["name"] == "ops" for r in message["args"][0]["ops"]]


def result(ack, index=0):
    assert ack["ok"], ack
    return ack["results"][index]


def test_connect_without_a_valid_token_or_secret_is_refused(app, db):
    _, token, _ = make_workshop(db)
    assert not socketio.test_client(app).is_connected()
    assert not socketio.test_client(app, auth={"token": "x" * 32, "secret": "y" * 32}).is_connected()
    assert not socketio.test_client(app, auth={"token": token, "secret": "not-a-participant-secret"}).is_connected()


def test_snapshot_shows_the_board_and_who_is_here(room):
    ack = room["ann"].emit("snapshot", {}, callback=True)
    snapshot = ack["snapshot"]
    assert snapshot["workshop"]["phase"] == "map"
    assert {p["name"] for p in snapshot["participants"]} == {"Ann", "Bob", "Fran Facilitator"}
    assert snapshot["me"]["name"] == "Ann" and not snapshot["me"]["facilitator"]


def test_created_sticky_is_acknowledged_with_a_seq_and_reaches_everyone(room):
    ack = send(room["ann"], create(text="Repo created from template"))
    first = result(ack)
    assert first["ok"] and first["seq"] >= 1
    got = records(room["bob"])
    assert [r["sticky"]["text"] for r in got] == ["Repo created from template"]
    assert got[0]["seq"] == first["seq"] and got[0]["sticky"]["author_name"] == "Ann"


def test_ops_in_one_message_apply_in_order_with_consecutive_seqs(room):
    sticky = create()
    sid = sticky["sticky"]["id"]
    ack = send(room["ann"], sticky, op("sticky.update", sticky_id=sid, changes={"x": 0.5}),
               op("sticky.update", sticky_id=sid, changes={"x": 0.7}))
    seqs = [r["seq"] for r in ack["results"]]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    final = records(room["bob"])[-1]["sticky"]
    assert final["x"] == 0.7 and final["version"] == 3


def test_an_update_or_delete_carries_only_what_changed_and_the_new_version(room):
    sticky = create(text="Whole sticky on create")
    sid = sticky["sticky"]["id"]
    send(room["ann"], sticky, op("sticky.update", sticky_id=sid, changes={"x": 0.5, "text": "Edited"}))
    send(room["ann"], op("sticky.delete", sticky_id=sid))
    created, updated, deleted = [r["sticky"] for r in records(room["bob"])]
    assert created["text"] == "Whole sticky on create" and created["kind"] == "event" and created["version"] == 1
    assert updated == {"id": sid, "x": 0.5, "text": "Edited", "version": 2}
    assert deleted == {"id": sid, "deleted": True, "version": 3}


def test_positions_are_kept_to_five_decimals_and_only_a_timer_start_carries_the_server_time(room):
    sticky = create(x=0.3729184631298412, y=0.1234567890123)
    send(room["ann"], sticky)
    send(room["fac"], op("timer.start", seconds=60))
    created, timer = records(room["bob"])
    assert (created["sticky"]["x"], created["sticky"]["y"]) == (0.37292, 0.12346)
    assert "at" not in created and timer["at"].endswith("Z")


def test_a_retried_op_is_applied_once_and_its_ack_repeated(room):
    sticky = create(text="once")
    first = result(send(room["ann"], sticky))
    again = result(send(room["ann"], sticky))
    assert again["ok"] and again["seq"] == first["seq"] and again["duplicate"]
    snapshot = room["bob"].emit("snapshot", {}, callback=True)["snapshot"]
    assert [s["text"] for s in snapshot["stickies"]] == ["once"]


@pytest.mark.parametrize("bad,code", [
    ({"type": "sticky.create"}, "invalid_op_id"),
    ({"id": "a1", "type": "teleport"}, "unknown_op"),
    ({"id": "a2", "type": "sticky.create", "sticky": {"id": "s", "kind": "unicorn", "x": 0, "y": 0}}, "unknown_kind"),
    ({"id": "a3", "type": "sticky.create", "sticky": {"id": "s", "kind": "event", "text": "x" * 2001, "x": 0, "y": 0}}, "text_too_long"),
    ({"id": "a4", "type": "sticky.create", "sticky": {"id": "s", "kind": "event", "text": "x", "x": 2, "y": 0}}, "invalid_position"),
    ({"id": "a5", "type": "sticky.create", "sticky": {"id": "s", "kind": "event", "text": 5, "x": 0, "y": 0}}, "invalid_text"),
    ({"id": "a6", "type": "sticky.create", "sticky": {"id": "s", "kind": "pain", "text": "x", "x": 0, "y": 0}}, "kind_not_in_phase"),
    ({"id": "a7", "type": "sticky.update", "sticky_id": "nope", "changes": {"x": 0.1}}, "unknown_sticky"),
    ({"id": "a8", "type": "phase.set", "phase": "vote"}, "not_facilitator"),
    ({"id": "a9", "type": "vote.add", "sticky_id": "nope"}, "not_voting_phase"),
])
def test_invalid_ops_are_refused_and_not_broadcast(room, bad, code):
    ack = send(room["ann"], bad)
    assert ack["results"][0]["ok"] is False and ack["results"][0]["error"]["code"] == code
    assert ack["results"][0]["error"]["message"]
    assert records(room["bob"]) == []


@pytest.mark.parametrize("payload,code", [
    (None, "invalid_payload"), ("text", "invalid_payload"), ({"ops": []}, "invalid_payload"),
    ({"ops": [{}] * 51}, "too_many_ops"),
])
def test_malformed_messages_get_an_error_ack(room, payload, code):
    ack = room["ann"].emit("ops", payload, callback=True)
    assert ack == {"ok": False, "error": {"code": code, "message": ack["error"]["message"]}}


def test_unknown_events_get_an_error_ack(room):
    ack = room["ann"].emit("format_disk", {}, callback=True)
    assert ack["error"]["code"] == "unknown_event"


def test_anyone_moves_any_sticky_but_only_its_author_or_a_facilitator_edits_or_deletes_it(room):
    sticky = create()
    sid = sticky["sticky"]["id"]
    send(room["ann"], sticky)
    refused = send(room["bob"], op("sticky.update", sticky_id=sid, changes={"text": "hijack"}))
    assert refused["results"][0]["error"]["code"] == "not_author"
    assert "Ann" in refused["results"][0]["error"]["message"] and "anyone can move it" in refused["results"][0]["error"]["message"]
    # a move mixed with a text change is refused whole; a move alone is anyone's
    mixed = send(room["bob"], op("sticky.update", sticky_id=sid, changes={"x": 0.5, "text": "hijack"}))
    assert mixed["results"][0]["error"]["code"] == "not_author"
    assert result(send(room["bob"], op("sticky.update", sticky_id=sid, changes={"x": 0.6, "y": 0.7})))["ok"]
    assert send(room["bob"], op("sticky.delete", sticky_id=sid))["results"][0]["error"]["code"] == "not_author"
    assert result(send(room["fac"], op("sticky.update", sticky_id=sid, changes={"text": "clarified"})))["ok"]
    assert result(send(room["fac"], op("sticky.delete", sticky_id=sid)))["ok"]


def test_a_deleted_sticky_stays_deleted(room):
    sticky = create()
    sid = sticky["sticky"]["id"]
    send(room["ann"], sticky, op("sticky.delete", sticky_id=sid))
    late = send(room["ann"], op("sticky.update", sticky_id=sid, changes={"x": 0.9}))
    assert late["results"][0]["error"]["code"] == "sticky_deleted"
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"] == []


def test_a_deleted_sticky_comes_back_whole_with_a_restore_by_whoever_could_delete_it(room):
    sticky = create(text="Ticket raised")
    sid = sticky["sticky"]["id"]
    send(room["ann"], sticky, op("sticky.delete", sticky_id=sid))
    room["bob"].get_received()
    assert send(room["bob"], op("sticky.restore", sticky_id=sid))["results"][0]["error"]["code"] == "not_author"
    assert result(send(room["ann"], op("sticky.restore", sticky_id=sid)))["ok"]
    restored = [r for r in records(room["bob"]) if r["type"] == "sticky.restore"]
    assert restored[0]["sticky"]["text"] == "Ticket raised" and restored[0]["sticky"]["kind"] == "event"
    assert restored[0]["sticky"]["deleted"] is False
    assert [s["id"] for s in room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"]] == [sid]
    again = send(room["ann"], op("sticky.restore", sticky_id=sid))
    assert again["results"][0]["error"]["code"] == "sticky_not_deleted"


def test_time_sticky_carries_a_duration_and_others_do_not(room):
    send(room["fac"], op("phase.set", phase="context"))
    ok = send(room["ann"], create(kind="time", text="waiting for env", duration_minutes=30240))
    assert result(ok)["ok"]
    bad = send(room["ann"], create(kind="system", text="Jenkins", duration_minutes=5))
    assert bad["results"][0]["error"]["code"] == "invalid_duration"


def test_links_point_to_existing_stickies(room):
    event = create()
    send(room["ann"], event)
    send(room["fac"], op("phase.set", phase="pain"))
    linked = send(room["ann"], create(kind="pain", text="slow", link_to=event["sticky"]["id"]))
    assert result(linked)["ok"]
    dangling = send(room["ann"], create(kind="pain", text="slow", link_to="nope"))
    assert dangling["results"][0]["error"]["code"] == "unknown_sticky"


def test_phase_change_reaches_everyone_and_limits_the_palette(room):
    ack = send(room["fac"], op("phase.set", phase="pain"))
    assert result(ack)["ok"]
    assert records(room["ann"])[-1]["workshop"]["phase"] == "pain"
    assert send(room["ann"], create(kind="event"))["results"][0]["error"]["code"] == "kind_not_in_phase"
    assert result(send(room["ann"], create(kind="pain", text="CAB meets monthly")))["ok"]
    assert send(room["fac"], op("phase.set", phase="nope"))["results"][0]["error"]["code"] == "unknown_phase"


def test_lock_stops_guests_not_the_facilitator(room):
    send(room["fac"], op("board.lock", locked=True))
    assert send(room["ann"], create())["results"][0]["error"]["code"] == "board_locked"
    assert result(send(room["fac"], create()))["ok"]
    send(room["fac"], op("board.lock", locked=False))
    assert result(send(room["ann"], create()))["ok"]


def test_timer_and_budget_are_facilitator_settings(room):
    ack = send(room["fac"], op("timer.start", seconds=300), op("vote.budget", budget=3))
    assert all(r["ok"] for r in ack["results"])
    state = records(room["ann"])[-1]["workshop"]
    assert state["timer_seconds"] == 300 and state["timer_ends_at"].endswith("Z") and state["vote_budget"] == 3
    assert send(room["fac"], op("timer.start", seconds=0))["results"][0]["error"]["code"] == "invalid_seconds"
    assert send(room["ann"], op("timer.stop"))["results"][0]["error"]["code"] == "not_facilitator"


def test_votes_respect_the_budget_and_can_be_taken_back(room):
    send(room["fac"], op("phase.set", phase="pain"))
    pain = create(kind="pain", text="flaky e2e tests")
    event = create(kind="event", text="merged")
    send(room["ann"], pain)
    send(room["fac"], event)
    # open voting, as before blind voting (its own test below): everyone sees the counts
    send(room["fac"], op("phase.set", phase="vote"), op("vote.budget", budget=2), op("vote.hide", on=False))
    pid = pain["sticky"]["id"]
    assert result(send(room["bob"], op("vote.add", sticky_id=pid)))["ok"]
    assert result(send(room["bob"], op("vote.add", sticky_id=pid)))["ok"]
    assert send(room["bob"], op("vote.add", sticky_id=pid))["results"][0]["error"]["code"] == "vote_budget_spent"
    assert send(room["bob"], op("vote.add", sticky_id=event["sticky"]["id"]))["results"][0]["error"]["code"] == "not_votable"
    assert result(send(room["bob"], op("vote.remove", sticky_id=pid)))["ok"]
    assert send(room["ann"], op("vote.remove", sticky_id=pid))["results"][0]["error"]["code"] == "no_vote_to_remove"
    snapshot = room["bob"].emit("snapshot", {}, callback=True)["snapshot"]
    assert snapshot["stickies"][0]["votes"] == 1 and snapshot["my_votes"] == {pid: 1}


def test_blind_voting_withholds_others_dots_until_the_vote_ends(room):
    """New workshops vote blind: the server sends each voter their own dots only, the room a
    `vote.hidden` placeholder (one dot more, not where); the record that ends the vote carries every
    sticky's count. The snapshot and a resync tell no more than the broadcasts."""
    send(room["fac"], op("phase.set", phase="pain"))
    pain = create(kind="pain", text="flaky e2e tests")
    pid = pain["sticky"]["id"]
    send(room["ann"], pain)
    assert room["fac"].emit("snapshot", {}, callback=True)["snapshot"]["workshop"]["hide_votes"] is True
    start = result(send(room["fac"], op("phase.set", phase="vote")))["seq"]
    for c in ("fac", "ann", "bob"):
        room[c].get_received()
    vote = op("vote.add", sticky_id=pid)
    seq = result(send(room["ann"], vote, op("vote.add", sticky_id=pid)))["seq"]
    ann_sees = records(room["ann"])
    assert {"seq": seq, "id": vote["id"], "type": "vote.add", "by": room["ann_id"],
            "vote": {"sticky_id": pid, "delta": 1}} in ann_sees  # her own, in full, without the total
    for c in ("bob", "fac"):
        assert records(room[c]) == [{"seq": seq, "type": "vote.hidden", "delta": 1, "by": room["ann_id"]},
                                    {"seq": seq + 1, "type": "vote.hidden", "delta": 1, "by": room["ann_id"]}]
        snapshot = room[c].emit("snapshot", {}, callback=True)["snapshot"]
        assert snapshot["stickies"][0]["votes"] == 0 and snapshot["my_votes"] == {}
        assert snapshot["votes_placed"] == 2  # progress: how many dots, not where
        assert snapshot["votes_by"] == {str(room["ann_id"]): 2}  # and who has placed how many
        assert pid not in str(room[c].emit("resync", {"since": start}, callback=True)["ops"])
    mine = room["ann"].emit("snapshot", {}, callback=True)["snapshot"]
    assert mine["stickies"][0]["votes"] == 0 and mine["my_votes"] == {pid: 2}
    # moving on ends the vote: its record carries every count, and so does the snapshot
    end = result(send(room["fac"], op("phase.set", phase="wrapup")))["seq"]
    assert [r["votes"] for r in records(room["bob"]) if r["seq"] == end] == [{pid: 2}]
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"][0]["votes"] == 2
    # a guest cannot change it
    refused = send(room["bob"], op("vote.hide", on=False))["results"][0]
    assert refused["error"]["code"] == "not_facilitator"


def test_switching_hiding_off_mid_vote_shows_every_dot(room):
    send(room["fac"], op("phase.set", phase="pain"))
    pain = create(kind="pain", text="slow reviews")
    send(room["ann"], pain)
    send(room["fac"], op("phase.set", phase="vote"))
    result(send(room["ann"], op("vote.add", sticky_id=pain["sticky"]["id"])))
    room["bob"].get_received()
    result(send(room["fac"], op("vote.hide", on=False)))
    [shown] = records(room["bob"])
    assert shown["workshop"]["hide_votes"] is False and shown["votes"] == {pain["sticky"]["id"]: 1}
    result(send(room["bob"], op("vote.add", sticky_id=pain["sticky"]["id"])))
    assert records(room["ann"])[-1]["vote"]["total"] == 2  # open voting again: live counts


def test_private_writing_hides_new_stickies_until_reveal(room):
    send(room["fac"], op("private.set", on=True))
    room["bob"].get_received()
    secret = create(text="my private thought")
    ack = result(send(room["ann"], secret))
    bob_sees = records(room["bob"])
    assert bob_sees == [{"seq": ack["seq"], "type": "hidden", "for": room["ann_id"], "change": "created"}]
    assert "my private thought" in str(room["ann"].get_received())
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"] == []
    assert room["ann"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"][0]["private"] is True
    # the room can count what a reveal will show: created, changed and deleted, never the content
    second = create(text="another private thought")
    result(send(room["ann"], second))
    result(send(room["ann"], op("sticky.update", sticky_id=second["sticky"]["id"], changes={"x": 0.5})))
    result(send(room["ann"], op("sticky.delete", sticky_id=second["sticky"]["id"])))
    assert [r["change"] for r in records(room["bob"])] == ["created", "changed", "deleted"]
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["hidden_count"] == 1
    assert room["fac"].emit("snapshot", {}, callback=True)["snapshot"]["hidden_count"] == 1
    assert room["ann"].emit("snapshot", {}, callback=True)["snapshot"]["hidden_count"] == 0  # hers are shown to her
    # nobody else can touch it
    assert send(room["fac"], op("sticky.update", sticky_id=secret["sticky"]["id"], changes={"x": 0.1}))[
        "results"][0]["error"]["code"] == "unknown_sticky"
    send(room["fac"], op("private.reveal"))
    revealed = records(room["bob"])[-1]
    assert [s["text"] for s in revealed["revealed"]] == ["my private thought"]
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["stickies"][0]["private"] is False
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["hidden_count"] == 0


def test_resync_returns_what_was_missed_in_order(room):
    before = room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["seq"]
    for n in range(3):
        send(room["ann"], create(text=f"event {n}"))
    answer = room["bob"].emit("resync", {"since": before}, callback=True)
    assert [r["sticky"]["text"] for r in answer["ops"]] == ["event 0", "event 1", "event 2"]
    assert answer["seq"] == before + 3
    assert room["bob"].emit("resync", {"since": "x"}, callback=True)["error"]["code"] == "invalid_payload"


def test_close_makes_the_board_read_only(room):
    assert result(send(room["fac"], op("workshop.close")))["ok"]
    state = records(room["ann"])[-1]["workshop"]
    assert state["status"] == "closed" and state["phase"] == "wrapup"
    assert send(room["ann"], create())["results"][0]["error"]["code"] == "workshop_closed"


def test_closing_and_reopening_from_the_discovery_page_goes_through_the_board(app, db, signed_in, client):
    from datetime import datetime, timedelta, timezone

    from workshop.db.models import Operation, Workshop
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id)
    with db.session() as session:
        workshop = session.get(Workshop, workshop_id)
        workshop.phase, workshop.timer_seconds = "map", 300
        workshop.timer_ends_at = datetime.now(timezone.utc) + timedelta(minutes=5)
        session.add(workshop)
        session.commit()
        token = workshop.join_token
    _, ann_secret = join(db, token, "Ann")
    ann = socketio.test_client(app, auth={"token": token, "secret": ann_secret})
    ann.get_received()

    page = client.post(f"/workshops/{workshop_id}/status", data={"status": "closed"}, follow_redirects=True)
    assert "The Payments workshop is closed." in page.get_data(as_text=True)
    [closed] = records(ann)
    assert closed["type"] == "workshop.close" and closed["seq"] == 1
    assert closed["workshop"]["status"] == "closed" and closed["workshop"]["phase"] == "wrapup"
    assert closed["workshop"]["timer_seconds"] is None and closed["workshop"]["timer_ends_at"] is None
    assert send(ann, create())["results"][0]["error"]["code"] == "workshop_closed"

    client.post(f"/workshops/{workshop_id}/status", data={"status": "open"})
    [reopened] = records(ann)
    assert reopened["type"] == "workshop.reopen" and reopened["seq"] == 2
    assert reopened["workshop"]["status"] == "open" and reopened["workshop"]["phase"] == "wrapup"
    again = client.post(f"/workshops/{workshop_id}/status", data={"status": "open"}, follow_redirects=True)
    assert "This workshop is open already." in again.get_data(as_text=True)
    assert records(ann) == []
    with db.session() as session:
        log = session.exec(select(Operation.seq, Operation.type).where(Operation.workshop_id == workshop_id)
                           .order_by(Operation.seq)).all()
        assert [tuple(row) for row in log] == [(1, "workshop.close"), (2, "workshop.reopen")]
        assert session.get(Workshop, workshop_id).seq == 2
    assert client.post(f"/workshops/{workshop_id}/status", data={"status": "archived"}).status_code == 400
    ann.disconnect()


def test_a_guest_cannot_reopen_and_an_open_workshop_refuses_a_reopen(room):
    assert send(room["ann"], op("workshop.reopen"))["results"][0]["error"]["code"] == "not_facilitator"
    assert send(room["fac"], op("workshop.reopen"))["results"][0]["error"]["code"] == "workshop_open"


def test_rooms_are_isolated(app, db, room):
    other_id, other_token, other_secret = make_workshop(db, team="Search")
    outsider = socketio.test_client(app, auth={"token": other_token, "secret": other_secret})
    sticky = create(text="payments only")
    send(room["ann"], sticky)
    assert records(outsider) == []
    # a sticky id from another workshop does not exist here
    ack = send(outsider, op("sticky.update", sticky_id=sticky["sticky"]["id"], changes={"x": 0.9}))
    assert ack["results"][0]["error"]["code"] == "unknown_sticky"
    # the other workshop's secret does not open this one
    assert not socketio.test_client(app, auth={"token": room["token"], "secret": other_secret}).is_connected()
    outsider.disconnect()


def test_cursors_are_relayed_not_stored(room):
    room["ann"].emit("cursor", {"x": 0.4, "y": 0.123456789})
    socketio.sleep(0.25)  # a room with no operations gets cursors at most every 100 ms, on a tick
    cursor_messages = [m for m in room["bob"].get_received() if m["name"] == "cursors"]
    assert len(cursor_messages) == 1  # one message for the move, not one per tick
    # compact: [participant id, x, y], positions to 1/10,000 of the board; names come with presence
    assert cursor_messages[0]["args"][0]["cursors"] == [[room["ann_id"], 0.4, 0.1235]]


def test_signals_are_relayed_to_the_others_at_once_and_only_a_facilitator_summons(room):
    room["ann"].emit("signal", {"kind": "typing", "on": True})
    room["ann"].emit("signal", {"kind": "summon", "x": 0.5, "y": 0.5, "zoom": 1})  # not a facilitator: dropped
    room["ann"].emit("signal", {"kind": "view", "x": "left", "y": 0.5, "zoom": 1})  # malformed: dropped
    room["fac"].emit("signal", {"kind": "summon", "x": 0.25, "y": 0.123456, "zoom": 0.8, "extra": "ignored"})
    socketio.sleep(0.1)
    got = [m["args"][0] for m in room["bob"].get_received() if m["name"] == "signal"]
    assert got[0] == {"kind": "typing", "from": room["ann_id"], "on": True}
    assert [g["kind"] for g in got] == ["typing", "summon"]
    assert got[1]["x"] == 0.25 and got[1]["y"] == 0.1235 and "extra" not in got[1]
    assert not [m for m in room["ann"].get_received() if m["name"] == "signal" and m["args"][0]["from"] == room["ann_id"]]


def test_cursors_ride_along_with_the_operations_of_the_same_tick(room):
    room["ann"].emit("cursor", {"x": 0.25, "y": 0.75})
    assert result(send(room["fac"], create(text="with a cursor")))["ok"]
    socketio.sleep(0.15)
    received = room["bob"].get_received()
    ops_messages = [m["args"][0] for m in received if m["name"] == "ops"]
    assert [r["sticky"]["text"] for m in ops_messages for r in m["ops"]] == ["with a cursor"]
    assert ops_messages[0]["cursors"] == [[room["ann_id"], 0.25, 0.75]]
    assert not [m for m in received if m["name"] == "cursors"]  # not sent twice


def test_a_big_room_is_flushed_less_often_so_fan_out_stays_within_budget(app):
    hub = app.extensions["room_hub"]
    budget = hub.FANOUT_FRAMES_PER_SECOND
    hub._room_sizes[991] = 10
    hub._room_sizes[992] = 2 * budget // 10  # one message per 100 ms keeps it at the budget
    try:
        assert hub.flush_interval(991) == hub.tick_seconds
        assert hub.flush_interval(992) == pytest.approx(0.2)
        assert hub.flush_interval(993) == hub.tick_seconds  # a room with nobody here
    finally:
        hub._room_sizes.pop(991), hub._room_sizes.pop(992)


def test_wrap_up_is_read_only_for_everyone_but_the_room_can_move_on(room):
    send(room["fac"], op("phase.set", phase="wrapup"))
    assert send(room["ann"], create())["results"][0]["error"]["code"] == "read_only_phase"
    assert send(room["fac"], create())["results"][0]["error"]["code"] == "read_only_phase"
    assert result(send(room["fac"], op("phase.set", phase="map")))["ok"]
    assert result(send(room["ann"], create()))["ok"]


def test_an_unexpected_failure_still_answers_the_sender(room, app, monkeypatch):
    hub = app.extensions["room_hub"]
    monkeypatch.setattr(hub.service, "snapshot", lambda *_args: 1 / 0)
    ack = room["ann"].emit("snapshot", {}, callback=True)
    assert ack == {"ok": False, "error": {"code": "server_error",
                                          "message": "Something went wrong on the server; retrying is safe."}}


def test_a_cursor_flood_never_makes_an_op_rate_limited(room):
    for i in range(200):  # far beyond the cursor bucket (30/s, bursts of 30)
        room["ann"].emit("cursor", {"x": i / 200, "y": 0.5})
    assert result(send(room["ann"], create()))["ok"]
    socketio.sleep(0.25)  # cursors go out at most every 100 ms, on a tick
    received = room["bob"].get_received()
    moved = [c for m in received if m["name"] in ("cursors", "ops") for c in m["args"][0].get("cursors", [])]
    assert moved and all(c[0] == room["ann_id"] for c in moved)


def test_presence_carries_the_last_seq_so_a_client_behind_it_can_catch_up(app, db, room):
    ack = result(send(room["ann"], create(text="before the newcomer")))
    room["bob"].get_received()
    _, secret = join(db, room["token"], "Newcomer")
    newcomer = socketio.test_client(app, auth={"token": room["token"], "secret": secret})
    presence = [m["args"][0] for m in room["bob"].get_received() if m["name"] == "presence"]
    assert presence[-1]["seq"] == ack["seq"]
    assert "Newcomer" in {p["name"] for p in presence[-1]["participants"]}
    newcomer.disconnect()


def test_each_pointer_is_relayed_at_most_once_per_cursor_interval_and_the_latest_position_wins():
    from workshop.domain.board import Actor
    from workshop.realtime.hub import LocalPresence, RoomHub

    class NoLoop:  # the tick is driven by hand below
        def start_background_task(self, _target):
            return object()

    hub = RoomHub(NoLoop(), service=None, tick_seconds=0.025, presence=LocalPresence())
    ann, bob = Actor(1, "Ann", False), Actor(2, "Bob", False)
    hub._room_sizes[7] = 300  # 300 here: one position per pointer every 300 ms
    assert hub.cursor_interval(7) == pytest.approx(0.3) and hub.cursor_ms(7) == 300
    hub.cursor(7, ann, 0.1, 0.1)
    assert hub._take_cursors(7, now=10.0) == [[1, 0.1, 0.1]]
    hub.cursor(7, ann, 0.2, 0.2)
    hub.cursor(7, bob, 0.5, 0.5)
    hub.cursor(7, ann, 0.3, 0.3)
    assert hub._take_cursors(7, now=10.1) == [[2, 0.5, 0.5]]  # Ann's next is not due yet; Bob's first is
    assert hub._take_cursors(7, now=10.3) == [[1, 0.3, 0.3]]  # her latest; 0.2 was never relayed
    assert hub._take_cursors(7, now=10.4) == []


def test_presence_and_the_snapshot_announce_the_rooms_cursor_interval(room):
    room["ann"].disconnect()
    presence = [m["args"][0] for m in room["bob"].get_received() if m["name"] == "presence"]
    assert presence and presence[-1]["cursor_ms"] == 100  # a small room: 10 Hz
    assert room["bob"].emit("snapshot", {}, callback=True)["snapshot"]["cursor_ms"] == 100


def test_a_process_with_many_connections_paces_every_rooms_pointers_and_tells_them():
    """20 boards x 25 people on one process sent 4,600 pointer moves a second, most of its CPU: past
    the process's budget every room's interval grows with the process's connections, and each room
    hears it in presence; it shrinks again only once the connections are clearly fewer."""
    from workshop.realtime.hub import LocalPresence, RoomHub, room_of

    class Emits:  # records presence; the tick is never started
        def __init__(self):
            self.sent = []

        def emit(self, event, data, to=None):
            self.sent.append((event, to, data.get("cursor_ms")))

        def start_background_task(self, _target):
            return object()

    class Conn:
        def __init__(self, workshop_id, pid):
            from workshop.domain.board import Actor
            self.workshop_id, self.team = workshop_id, "T"
            self.actor = Actor(pid, f"P{pid}", False)

    class Seqs:
        def current_seq(self, _workshop_id):
            return 0

    io = Emits()
    hub = RoomHub(io, service=Seqs(), tick_seconds=0.025, presence=LocalPresence())
    assert hub.CURSORS_IN_PER_SECOND == 3000
    for n in range(300):  # 300 people on 20 boards: within the budget, 10 Hz
        hub.connected(f"s{n}", Conn(n % 20, n))
    assert {hub.cursor_ms(w) for w in range(20)} == {100}
    io.sent.clear()
    hub.connected("s300", Conn(3, 300))  # the 301st: every room to 150 ms, each told once
    assert hub.cursor_ms(0) == 150 and hub.cursor_ms(3) == 150
    told = [to for event, to, ms in io.sent if event == "presence" and ms == 150]
    assert sorted(told) == sorted(room_of(w) for w in range(20))
    for n in range(301, 520):
        hub.connected(f"s{n}", Conn(n % 20, n))
    assert hub.cursor_ms(0) == 200  # 20 x 26: 5 Hz
    io.sent.clear()
    hub.disconnected("s519")
    hub.disconnected("s518")  # 518 left: a reconnect at the edge announces nothing
    assert hub.cursor_ms(0) == 200 and io.sent == [("presence", room_of(19), 200), ("presence", room_of(18), 200)]
    for n in range(300, 518):
        hub.disconnected(f"s{n}")
    assert hub.cursor_ms(0) == 150  # 300 again: within a tenth of the step, kept
    for n in range(270, 300):
        hub.disconnected(f"s{n}")
    assert hub.cursor_ms(0) == 100  # 270: 10 Hz again
