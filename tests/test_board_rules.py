"""The board's rules without Flask (ADR 0003): domain/board.py on plain objects, and the board
service's batches on an in-memory database. Table-driven at each rule's boundaries."""
from __future__ import annotations

from tests.board_helpers import refusal

import itertools
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlmodel import SQLModel, select

from workshop.domain import board as rules
from workshop.domain.board import Actor
from workshop.domain.errors import DomainError
from workshop.domain.templates import get_template

TEMPLATE = get_template("discovery")
GUEST = Actor(2, "Gus", False)
OTHER = Actor(3, "Olga", False)
FACILITATOR = Actor(1, "Fran", True)


def workshop(**state):
    return SimpleNamespace(**{"id": 1, "team": "Payments", "status": "open", "phase": "map", "locked": False,
                              "private_writing": False, "vote_budget": 5, "hide_votes": False, "timer_ends_at": None,
                              "timer_seconds": None, **state})


def sticky(**state):
    return SimpleNamespace(**{"id": "s1", "kind": "pain", "text": "Waiting", "x": 0.5, "y": 0.5,
                              "duration_minutes": None, "link_to": None, "author_id": GUEST.participant_id,
                              "author_name": "Gus", "private": False, "deleted": False, "version": 1, **state})


def code_of(call) -> str | None:
    try:
        call()
    except DomainError as error:
        return error.code
    return None


# --- who may do what, where ---------------------------------------------------------------------

@pytest.mark.parametrize("phase, target, code", [
    ("vote", sticky(), None),
    ("vote", sticky(kind="opportunity"), None),
    ("pain", sticky(), "not_voting_phase"),
    ("vote", None, "unknown_sticky"),
    ("vote", sticky(private=True), "unknown_sticky"),  # a private sticky cannot be voted on, even by its author
    ("vote", sticky(deleted=True), "sticky_deleted"),
    ("vote", sticky(kind="event"), "not_votable"),
    ("vote", sticky(kind="note"), "not_votable"),
])
def test_who_can_vote_on_what(phase, target, code):
    assert code_of(lambda: rules.check_can_vote(workshop(phase=phase), TEMPLATE, target)) == code


@pytest.mark.parametrize("budget, used, code", [
    (5, 4, None), (5, 5, "vote_budget_spent"), (0, 0, "vote_budget_spent"), (1, 0, None)])
def test_the_vote_budget(budget, used, code):
    assert code_of(lambda: rules.check_vote_budget(workshop(vote_budget=budget), used)) == code


@pytest.mark.parametrize("private_writing, actor, private", [
    (False, GUEST, False), (True, GUEST, True), (True, FACILITATOR, False), (False, FACILITATOR, False)])
def test_a_new_sticky_is_private_only_for_guests_while_private_writing_is_on(private_writing, actor, private):
    assert rules.starts_private(workshop(private_writing=private_writing), actor) is private


@pytest.mark.parametrize("state, actor, op_type, code", [
    ({}, GUEST, "sticky.create", None),
    ({"status": "closed"}, GUEST, "sticky.create", "workshop_closed"),
    ({"status": "closed"}, FACILITATOR, "phase.set", "workshop_closed"),
    ({"status": "closed"}, FACILITATOR, "workshop.close", "workshop_closed"),
    ({"status": "closed"}, FACILITATOR, "workshop.reopen", None),
    ({"status": "closed", "locked": True, "phase": "wrapup"}, FACILITATOR, "workshop.reopen", None),
    ({}, FACILITATOR, "workshop.reopen", "workshop_open"),
    ({"phase": "wrapup"}, FACILITATOR, "sticky.create", "read_only_phase"),
    ({"phase": "wrapup"}, GUEST, "vote.add", "read_only_phase"),
    ({"phase": "wrapup"}, FACILITATOR, "phase.set", None),  # the facilitator can move the room back
    ({"locked": True}, GUEST, "sticky.update", "board_locked"),
    ({"locked": True}, FACILITATOR, "sticky.update", None),
])
def test_when_the_board_takes_an_op(state, actor, op_type, code):
    assert code_of(lambda: rules.check_board_writable(actor, workshop(**state), TEMPLATE, op_type)) == code


@pytest.mark.parametrize("op_type", sorted(rules.FACILITATOR_OPS))
def test_only_a_facilitator_runs_the_room(op_type):
    op = rules.Op("op-1", op_type)
    assert code_of(lambda: rules.check_facilitator(GUEST, op)) == "not_facilitator"
    assert code_of(lambda: rules.check_facilitator(FACILITATOR, op)) is None


@pytest.mark.parametrize("op_type", sorted(rules.OP_TYPES - rules.FACILITATOR_OPS))
def test_anyone_may_send_the_sticky_and_vote_ops(op_type):
    assert code_of(lambda: rules.check_facilitator(GUEST, rules.Op("op-1", op_type))) is None


@pytest.mark.parametrize("phase, actor, kind, code", [
    ("map", GUEST, "event", None),
    ("map", GUEST, "pain", "kind_not_in_phase"),
    ("setup", GUEST, "event", "kind_not_in_phase"),
    ("map", FACILITATOR, "note", None),
    ("setup", FACILITATOR, "pain", None),
])
def test_what_a_phase_lets_guests_add(phase, actor, kind, code):
    assert code_of(lambda: rules.check_can_create(actor, workshop(phase=phase), TEMPLATE, kind)) == code


@pytest.mark.parametrize("actor, target, changes, code", [
    (GUEST, sticky(), None, None),
    (OTHER, sticky(), None, "not_author"),  # a delete
    (OTHER, sticky(), {"text": "mine now"}, "not_author"),
    (OTHER, sticky(), {"x": 0.5, "y": 0.5}, None),  # anyone moves any sticky
    (OTHER, sticky(), {"x": 0.5, "link_to": None}, "not_author"),  # a move with more is not a move
    (OTHER, sticky(deleted=True), {"x": 0.5}, "sticky_deleted"),
    (FACILITATOR, sticky(), {"text": "clarified"}, None),
    (GUEST, None, None, "unknown_sticky"),
    (FACILITATOR, sticky(deleted=True), None, "sticky_deleted"),
])
def test_who_can_change_a_sticky(actor, target, changes, code):
    assert code_of(lambda: rules.check_can_change(actor, target, changes)) == code


@pytest.mark.parametrize("actor, target, code", [
    (GUEST, sticky(deleted=True), None),
    (FACILITATOR, sticky(deleted=True), None),
    (OTHER, sticky(deleted=True), "not_author"),
    (GUEST, sticky(), "sticky_not_deleted"),
    (GUEST, None, "unknown_sticky"),
])
def test_who_can_bring_a_deleted_sticky_back(actor, target, code):
    assert code_of(lambda: rules.check_can_restore(actor, target)) == code


# --- what a change does --------------------------------------------------------------------------

@pytest.mark.parametrize("state, changes, visible, code", [
    ({}, {"link_to": "s1"}, {"s1"}, "unknown_sticky"),        # a sticky linked to itself
    ({}, {"link_to": "s2"}, set(), "unknown_sticky"),         # to one this person cannot see
    ({}, {"link_to": "s2"}, {"s2"}, None),
    ({}, {"link_to": None}, set(), None),                     # unlinking
    ({}, {"duration_minutes": 30.0}, set(), "invalid_duration"),
    ({"kind": "time"}, {"duration_minutes": 30.0}, set(), None),
    ({}, {"duration_minutes": None}, set(), None),
])
def test_sticky_changes(state, changes, visible, code):
    target = sticky(**state)  # a fresh object per run: the rule changes it
    assert code_of(lambda: rules.apply_sticky_changes(target, changes, visible.__contains__)) == code
    if code is None:
        assert target.version == 2 and all(getattr(target, k) == v for k, v in changes.items())
    else:
        assert target.version == 1 and target.link_to is None and target.duration_minutes is None


def test_a_refused_change_changes_no_field():
    target = sticky(text="before")
    assert code_of(lambda: rules.apply_sticky_changes(target, {"text": "after", "link_to": "s1"},
                                                      lambda _id: True)) == "unknown_sticky"
    assert (target.text, target.version) == ("before", 1)


@pytest.mark.parametrize("record, viewer, expected", [
    ({"seq": 4, "type": "sticky.create", "private_to": 2, "sticky": {"text": "mine"}}, 3,
     {"seq": 4, "type": "hidden", "for": 2, "change": "created"}),
    ({"seq": 5, "type": "sticky.update", "private_to": 2, "sticky": {"text": "mine"}}, 3,
     {"seq": 5, "type": "hidden", "for": 2, "change": "changed"}),
    ({"seq": 6, "type": "sticky.delete", "private_to": 2, "sticky": {"deleted": True}}, -1,
     {"seq": 6, "type": "hidden", "for": 2, "change": "deleted"}),
    ({"seq": 7, "type": "sticky.create", "private_to": 2, "sticky": {"text": "mine"}}, 2,
     {"seq": 7, "type": "sticky.create", "sticky": {"text": "mine"}}),
    ({"seq": 8, "type": "phase.set", "private_to": None, "workshop": {}}, 3,
     {"seq": 8, "type": "phase.set", "workshop": {}}),
])
def test_redaction_shows_others_private_stickies_as_placeholders(record, viewer, expected):
    assert rules.redact(record, viewer) == expected


def test_states_as_clients_see_them():
    ends = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
    state = rules.workshop_state(workshop(timer_ends_at=ends, timer_seconds=60, locked=True, vote_budget=3))
    assert state == {"id": 1, "team": "Payments", "status": "open", "phase": "map", "locked": True,
                     "private_writing": False, "vote_budget": 3, "hide_votes": False, "timer_seconds": 60,
                     "timer_ends_at": "2026-11-28T10:00:00Z"}
    assert rules.sticky_state(sticky())["votes"] == 0
    assert rules.workshop_state(workshop())["timer_ends_at"] is None
    assert rules.sticky_state(sticky(), 3) == {
        "id": "s1", "kind": "pain", "text": "Waiting", "x": 0.5, "y": 0.5, "duration_minutes": None,
        "link_to": None, "author_id": 2, "author_name": "Gus", "private": False, "deleted": False,
        "version": 1, "votes": 3}


# --- parsing at the limits -------------------------------------------------------------------------

def create_op(**sticky_fields):
    return {"id": "op-1", "type": "sticky.create",
            "sticky": {"id": "s-1", "kind": "event", "text": "Merged", "x": 0.5, "y": 0.5, **sticky_fields}}


@pytest.mark.parametrize("raw, code", [
    (create_op(x=0, y=1), None),
    (create_op(x=-0.00001), "invalid_position"),
    (create_op(y=1.00001), None),  # the wall grows downward (ADR 0015)
    (create_op(y=rules.MAX_Y), None),
    (create_op(y=rules.MAX_Y + 0.00001), "invalid_position"),
    (create_op(y=-0.00001), "invalid_position"),
    (create_op(x=1.00001), "invalid_position"),  # x stays on the timeline: the stage comes from it
    (create_op(x=True), "invalid_position"),
    (create_op(x=float("nan")), "invalid_position"),
    (create_op(text="x" * 2000), None),
    (create_op(text="x" * 2001), "text_too_long"),
    (create_op(text="esc \x1b[2J"), "invalid_text"),
    (create_op(text="tab\tand\nnew line"), None),
    (create_op(text="   "), "empty_text"),
    (create_op(kind="gossip"), "unknown_kind"),
    (create_op(kind="time", duration_minutes=0), None),
    (create_op(kind="time", duration_minutes=10_000_000), None),
    (create_op(kind="time", duration_minutes=10_000_001), "invalid_duration"),
    (create_op(kind="time", duration_minutes=-1), "invalid_duration"),
    (create_op(duration_minutes=5), "invalid_duration"),
    (create_op(id="x" * 41), "invalid_payload"),
    (create_op(id="x" * 40), None),
    (create_op(link_to="s-2"), None),
    ({"id": "op-1", "type": "timer.start", "seconds": 1}, None),
    ({"id": "op-1", "type": "timer.start", "seconds": 7200}, None),
    ({"id": "op-1", "type": "timer.start", "seconds": 0}, "invalid_seconds"),
    ({"id": "op-1", "type": "timer.start", "seconds": 7201}, "invalid_seconds"),
    ({"id": "op-1", "type": "timer.start", "seconds": True}, "invalid_seconds"),
    ({"id": "op-1", "type": "vote.budget", "budget": 0}, None),
    ({"id": "op-1", "type": "vote.budget", "budget": 50}, None),
    ({"id": "op-1", "type": "vote.budget", "budget": 51}, "invalid_budget"),
    ({"id": "op-1", "type": "vote.budget", "budget": -1}, "invalid_budget"),
    ({"id": "op-1", "type": "vote.budget", "budget": True}, "invalid_budget"),
    ({"id": "op-1", "type": "vote.budget", "budget": "5"}, "invalid_budget"),
    ({"id": "op-1", "type": "board.lock", "locked": 1}, "invalid_payload"),
    ({"id": "op-1", "type": "private.set", "on": False}, None),
    ({"id": "op-1", "type": "phase.set", "phase": 3}, "unknown_phase"),
    ({"id": "op-1", "type": "sticky.update", "sticky_id": "s-1", "changes": {}}, "invalid_payload"),
    ({"id": "op-1", "type": "sticky.update", "sticky_id": "s-1", "changes": {"kind": "pain"}}, None),  # issue 26
    ({"id": "op-1", "type": "sticky.update", "sticky_id": "s-1", "changes": {"kind": "banana"}}, "unknown_kind"),
    ({"id": "op-1", "type": "sticky.update", "sticky_id": "s-1", "changes": {"kind": 3}}, "unknown_kind"),
    ({"id": "op-1", "type": "sticky.delete", "sticky_id": 7}, "invalid_payload"),
    ({"id": "x" * 64, "type": "timer.stop"}, None),
    ({"id": "x" * 65, "type": "timer.stop"}, "invalid_op_id"),
    ({"id": "a b", "type": "timer.stop"}, "invalid_op_id"),
    ({"id": "op-1", "type": "sticky.explode"}, "unknown_op"),
    ({"id": "op-1", "type": ["sticky.create"]}, "unknown_op"),
    (["op"], "invalid_payload"),
])
def test_parse_op_at_its_limits(raw, code):
    assert code_of(lambda: rules.parse_op(raw)) == code


def test_parse_op_keeps_positions_to_five_decimals_and_durations_as_floats():
    op = rules.parse_op(create_op(kind="time", x=0.123456789, y=1, duration_minutes=30))
    assert (op.fields["x"], op.fields["y"], op.fields["duration_minutes"]) == (0.12346, 1.0, 30.0)
    update = rules.parse_op({"id": "op-2", "type": "sticky.update", "sticky_id": "s-1",
                             "changes": {"x": 0.5, "text": "t", "link_to": None, "duration_minutes": None}})
    assert update.fields == {"sticky_id": "s-1", "changes": {"x": 0.5, "text": "t", "link_to": None,
                                                             "duration_minutes": None}}


@pytest.mark.parametrize("payload, code", [
    ({"ops": [{}]}, None), ({"ops": [{}] * 50}, None), ({"ops": [{}] * 51}, "too_many_ops"),
    ({"ops": []}, "invalid_payload"), ({"ops": {}}, "invalid_payload"), ([], "invalid_payload")])
def test_an_ops_message_holds_one_to_fifty_ops(payload, code):
    assert code_of(lambda: rules.parse_ops_message(payload)) == code


# --- the board service's batches, on an in-memory database (no Flask) -------------------------------

@pytest.fixture
def board(caplog):
    import logging
    from workshop.db.engine import Database
    from workshop.db.models import Discovery, Participant, Workshop
    from workshop.services.board import BoardService
    database = Database("sqlite://")
    SQLModel.metadata.create_all(database.engine)
    with database.session() as session:
        discovery = Discovery(name="D", stages=["A", "B"], start_label="s", end_label="e")
        session.add(discovery)
        session.flush()
        # open voting (everyone sees the counts live): blind voting's rules have tests of their own
        row = Workshop(discovery_id=discovery.id, team="Payments", template="discovery", join_token="t" * 32,
                       phase="pain", hide_votes=False)
        session.add(row)
        session.flush()
        people = [Participant(workshop_id=row.id, name=name, secret_hash=name, is_facilitator=name == "Fran")
                  for name in ("Fran", "Gus")]
        session.add_all(people)
        session.commit()
        fac, guest = (Actor(p.id, p.name, p.is_facilitator) for p in people)
    service = BoardService(database)
    op_ids = itertools.count(1)

    def send(actor, *ops):
        from workshop.services.board import Submission
        submission = Submission(actor, [{"id": f"op-{next(op_ids)}", **o} for o in ops])
        records = service.apply_batch(row.id, [submission])
        state.check_no_failure()
        return submission.results, records

    def check_no_failure():
        # A batch that fails falls back to one transaction per op and still answers every op: only the
        # log tells. No op of these tests may fail that way unless the test says so.
        failed = [r.getMessage() for r in caplog.records if r.name == "workshop.services.board"
                  and r.levelno >= logging.ERROR]
        assert state.failures_expected or not failed, failed

    state = SimpleNamespace(send=send, fac=fac, guest=guest, service=service, workshop_id=row.id, db=database,
                            failures_expected=False, check_no_failure=check_no_failure)
    yield state
    database.dispose()


def new(sticky_id, kind="pain", text="Waiting for a VM"):
    return {"type": "sticky.create", "sticky": {"id": sticky_id, "kind": kind, "text": text, "x": 0.3, "y": 0.3}}


def test_a_reveal_publishes_private_stickies_and_ends_private_writing(board):
    board.send(board.fac, {"type": "private.set", "on": True})
    results, records = board.send(board.guest, new("g1"), new("g2"), {"type": "sticky.delete", "sticky_id": "g2"})
    assert all(r["ok"] for r in results) and records[0]["private_to"] == board.guest.participant_id
    results, records = board.send(board.fac, new("f1", kind="note", text="Facilitator's note"))
    assert records[0]["private_to"] is None and records[0]["sticky"]["private"] is False
    seen_by_fac = board.service.snapshot(board.workshop_id, board.fac)
    assert [s["id"] for s in seen_by_fac["stickies"]] == ["f1"] and seen_by_fac["hidden_count"] == 1

    results, [record] = board.send(board.fac, {"type": "private.reveal"})
    assert results[0]["ok"]
    assert [s["id"] for s in record["revealed"]] == ["g1"]  # the deleted one stays deleted
    assert record["revealed"][0]["private"] is False and record["revealed"][0]["version"] == 2
    assert record["workshop"]["private_writing"] is False
    after = board.service.snapshot(board.workshop_id, board.fac)
    assert {s["id"] for s in after["stickies"]} == {"g1", "f1"} and after["hidden_count"] == 0
    assert after["workshop"]["private_writing"] is False
    # private writing is off now: the next guest sticky is public at once
    _, [next_record] = board.send(board.guest, new("g3"))
    assert next_record["private_to"] is None


def test_nobody_votes_on_a_private_sticky_and_nobody_links_a_sticky_to_itself(board):
    board.send(board.fac, {"type": "private.set", "on": True})
    board.send(board.guest, new("g1"))
    board.send(board.fac, {"type": "private.set", "on": False}, {"type": "phase.set", "phase": "vote"})
    for actor in (board.guest, board.fac):
        results, records = board.send(actor, {"type": "vote.add", "sticky_id": "g1"})
        assert results[0]["error"]["code"] == "unknown_sticky" and records == []
    board.send(board.fac, {"type": "phase.set", "phase": "pain"})
    results, _ = board.send(board.guest, {"type": "sticky.update", "sticky_id": "g1", "changes": {"link_to": "g1"}})
    assert results[0]["error"]["code"] == "unknown_sticky"
    results, _ = board.send(board.guest, new("g2") | {"sticky": new("g2")["sticky"] | {"link_to": "g2"}})
    assert results[0]["error"]["code"] == "unknown_sticky"


def test_close_ends_the_timer_and_reopen_opens_in_the_phase_it_closed_in(board):
    board.send(board.fac, {"type": "timer.start", "seconds": 60})
    _, [closed] = board.send(board.fac, {"type": "workshop.close"})
    assert (closed["workshop"]["status"], closed["workshop"]["phase"]) == ("closed", "wrapup")
    assert closed["workshop"]["timer_seconds"] is None and closed["workshop"]["timer_ends_at"] is None
    results, records = board.send(board.guest, {"type": "workshop.reopen"})
    assert results[0]["error"]["code"] == "not_facilitator" and records == []
    _, [reopened] = board.send(board.fac, {"type": "workshop.reopen"})
    assert (reopened["workshop"]["status"], reopened["workshop"]["phase"]) == ("open", "wrapup")
    assert reopened["seq"] == closed["seq"] + 1


def test_a_timer_that_ran_out_ends_with_its_phase_and_a_running_one_carries_on(board, monkeypatch):
    """A walkthrough saw "Time's up" of the map phase shown to someone joining in the deep-dive."""
    from datetime import datetime, timedelta, timezone

    from workshop.services import board as board_service
    start = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(board_service, "_now", lambda: start)
    _, [running] = board.send(board.fac, {"type": "timer.start", "seconds": 60})
    monkeypatch.setattr(board_service, "_now", lambda: start + timedelta(seconds=30))
    _, [moved] = board.send(board.fac, {"type": "phase.set", "phase": "pain"})
    assert moved["workshop"]["timer_ends_at"] == running["workshop"]["timer_ends_at"] == "2026-11-28T10:01:00Z"
    assert moved["workshop"]["timer_seconds"] == 60
    monkeypatch.setattr(board_service, "_now", lambda: start + timedelta(seconds=60))
    _, [moved] = board.send(board.fac, {"type": "phase.set", "phase": "deepdive"})
    assert moved["workshop"]["timer_ends_at"] is None and moved["workshop"]["timer_seconds"] is None
    assert board.service.snapshot(board.workshop_id, board.guest)["workshop"]["timer_ends_at"] is None


def test_every_operation_type_has_its_field_parser():
    assert set(rules.FIELD_PARSERS) == rules.OP_TYPES
    assert rules.FACILITATOR_OPS < rules.OP_TYPES


# --- every refusal's message (what the person reads) ----------------------------------------------------



def nested(depth: int):
    value: object = "leaf"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("raw, expected", [
    ("op", ("invalid_payload", "An operation is an object {id, type, ...}.")),
    ({"type": "timer.stop"}, ("invalid_op_id", "An operation needs an id: 1 to 64 letters, digits or - _ : .")),
    ({"id": "o", "type": "x" * 50}, ("unknown_op", f"Unknown operation type {'x' * 40!r}.")),
    ({"id": "o", "type": 3}, ("unknown_op", "Unknown operation type 'int'.")),
    ({"id": "o", "type": "timer.stop", "note": "lone \ud800"},
     ("invalid_unicode", "The operation holds characters that cannot be stored (an unpaired UTF-16 surrogate).")),
    ({"id": "o", "type": "timer.stop", "lone \udfff": 1},
     ("invalid_unicode", "The operation holds characters that cannot be stored (an unpaired UTF-16 surrogate).")),
    ({"id": "o", "type": "timer.stop", "deep": nested(rules.MAX_OP_DEPTH)},
     ("invalid_payload", "An operation nests too deeply.")),
    ({"id": "o", "type": "sticky.create"}, ("invalid_payload", "sticky.create needs a sticky object.")),
    (create_op(kind="gossip" * 10), ("unknown_kind", f"Unknown sticky kind {('gossip' * 10)[:40]!r}.")),
    (create_op(kind=3), ("unknown_kind", "Unknown sticky kind 'int'.")),
    (create_op(x=2), ("invalid_position", "x must be a number between 0 and 1.")),
    (create_op(y="0.5"), ("invalid_position", "y must be a number between 0 and 10.")),
    (create_op(y=10.5), ("invalid_position", "y must be a number between 0 and 10.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": "s", "changes": {"y": 11}},
     ("invalid_position", "y must be a number between 0 and 10.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": "s", "changes": {"x": 1.5}},
     ("invalid_position", "x must be a number between 0 and 1.")),
    (create_op(kind="time", duration_minutes="5"),
     ("invalid_duration", "A duration is a number of minutes (0 to 10,000,000).")),
    (create_op(duration_minutes=5), ("invalid_duration", "Only a time-taken sticky carries a duration.")),
    (create_op(id=None), ("invalid_payload", "sticky.id must be an id of at most 40 characters.")),
    (create_op(link_to="a b"), ("invalid_payload", "link_to must be an id of at most 40 characters.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": "s", "changes": []},
     ("invalid_payload", "sticky.update needs a non-empty changes object.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": "s", "changes": {"kind": "x", "author_id": 1}},
     ("invalid_payload", "These fields cannot be changed: author_id.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": None, "changes": {"x": 0.5}},
     ("invalid_payload", "sticky_id must be an id of at most 40 characters.")),
    ({"id": "o", "type": "sticky.update", "sticky_id": "s", "changes": {"link_to": "a b"}},
     ("invalid_payload", "link_to must be an id of at most 40 characters.")),
    ({"id": "o", "type": "phase.set"}, ("unknown_phase", "phase.set needs a phase.")),
    ({"id": "o", "type": "timer.start", "seconds": 0}, ("invalid_seconds", "A timer runs 1 to 7200 seconds.")),
    ({"id": "o", "type": "board.lock"}, ("invalid_payload", "board.lock needs locked: true or false.")),
    ({"id": "o", "type": "private.set", "on": "yes"}, ("invalid_payload", "private.set needs on: true or false.")),
    ({"id": "o", "type": "vote.budget", "budget": 51}, ("invalid_budget", "The vote budget is 0 to 50 dots.")),
    ({"id": "o", "type": "vote.hide", "on": 1}, ("invalid_payload", "vote.hide needs on: true or false.")),
    ({"id": "o", "type": "vote.hide"}, ("invalid_payload", "vote.hide needs on: true or false.")),
])
def test_parse_op_refusals_say_what_is_wrong(raw, expected):
    assert refusal(lambda: rules.parse_op(raw)) == expected


def test_parse_op_reads_the_fields_of_each_flag_and_reference():
    assert rules.parse_op({"id": "o", "type": "board.lock", "locked": True}).fields == {"locked": True}
    assert rules.parse_op({"id": "o", "type": "private.set", "on": False}).fields == {"on": False}
    assert rules.parse_op({"id": "o", "type": "vote.remove", "sticky_id": "s-1"}).fields == {"sticky_id": "s-1"}
    assert rules.parse_op({"id": "o", "type": "phase.set", "phase": "vote"}).fields == {"phase": "vote"}
    assert rules.parse_op({"id": "o", "type": "timer.stop", "deep": nested(rules.MAX_OP_DEPTH - 1)}).fields == {}


@pytest.mark.parametrize("payload, expected", [
    ([], ("invalid_payload", "Send {ops: [...]}: a list of operations.")),
    ({"ops": ()}, ("invalid_payload", "Send {ops: [...]}: a list of operations.")),
    ({"ops": []}, ("invalid_payload", "The list of operations is empty.")),
    ({"ops": [{}] * 51}, ("too_many_ops", "Send at most 50 operations at a time.")),
])
def test_ops_message_refusals(payload, expected):
    assert refusal(lambda: rules.parse_ops_message(payload)) == expected


@pytest.mark.parametrize("call, expected", [
    (lambda: rules.check_board_writable(FACILITATOR, workshop(), TEMPLATE, "workshop.reopen"),
     ("workshop_open", "This workshop is open already.")),
    (lambda: rules.check_board_writable(GUEST, workshop(status="closed"), TEMPLATE, "sticky.create"),
     ("workshop_closed", "This workshop is closed; the board is read-only.")),
    (lambda: rules.check_board_writable(GUEST, workshop(phase="wrapup"), TEMPLATE, "sticky.create"),
     ("read_only_phase", "The board is read-only in this phase.")),
    (lambda: rules.check_board_writable(GUEST, workshop(locked=True), TEMPLATE, "sticky.create"),
     ("board_locked", "The facilitator has locked the board.")),
    (lambda: rules.check_facilitator(GUEST, rules.Op("o", "timer.stop")),
     ("not_facilitator", "Only the facilitator can do that.")),
    (lambda: rules.check_can_create(GUEST, workshop(phase="map"), TEMPLATE, "pain"),
     ("kind_not_in_phase", "In the Map the journey phase you can add event, not pain point.")),
    (lambda: rules.check_can_create(GUEST, workshop(phase="context"), TEMPLATE, "event"),
     ("kind_not_in_phase", "In the Context phase you can add system, time taken, team, not event.")),
    (lambda: rules.check_can_create(GUEST, workshop(phase="setup"), TEMPLATE, "event"),
     ("kind_not_in_phase", "In the Set-up phase you can add no stickies, not event.")),
    (lambda: rules.check_can_change(GUEST, None), ("unknown_sticky", "That sticky does not exist.")),
    (lambda: rules.check_can_change(GUEST, sticky(deleted=True)), ("sticky_deleted", "That sticky was deleted.")),
    (lambda: rules.check_can_change(OTHER, sticky()),
     ("not_author", "Only Gus (who wrote this sticky) or a facilitator can delete it; anyone can move it.")),
    (lambda: rules.check_can_change(OTHER, sticky(), {"text": "x"}),
     ("not_author", "Only Gus (who wrote this sticky) or a facilitator can change its text; anyone can move it.")),
    (lambda: rules.check_can_change(OTHER, sticky(author_name="")),
     ("not_author", "Only its author (who wrote this sticky) or a facilitator can delete it; anyone can move it.")),
    (lambda: rules.check_can_restore(GUEST, None), ("unknown_sticky", "That sticky does not exist.")),
    (lambda: rules.check_can_restore(GUEST, sticky()), ("sticky_not_deleted", "That sticky is on the board already.")),
    (lambda: rules.check_can_restore(OTHER, sticky(deleted=True)),
     ("not_author", "Only Gus or a facilitator can bring this sticky back.")),
    (lambda: rules.check_can_restore(OTHER, sticky(deleted=True, author_name="")),
     ("not_author", "Only its author or a facilitator can bring this sticky back.")),
    (lambda: rules.check_can_restore(GUEST, sticky(deleted=True)), None),
    (lambda: rules.check_can_restore(FACILITATOR, sticky(deleted=True)), None),
    (lambda: rules.check_can_vote(workshop(phase="map"), TEMPLATE, sticky()),
     ("not_voting_phase", "Voting is open only in the vote phase.")),
    (lambda: rules.check_can_vote(workshop(phase="vote"), TEMPLATE, None),
     ("unknown_sticky", "That sticky does not exist.")),
    (lambda: rules.check_can_vote(workshop(phase="vote"), TEMPLATE, sticky(deleted=True)),
     ("sticky_deleted", "That sticky was deleted.")),
    (lambda: rules.check_can_vote(workshop(phase="vote"), TEMPLATE, sticky(kind="event")),
     ("not_votable", "Dots go on pain points and opportunities.")),
    (lambda: rules.check_vote_budget(workshop(vote_budget=3), 3),
     ("vote_budget_spent", "You have used all 3 of your dots.")),
    (lambda: rules.apply_sticky_changes(sticky(), {"duration_minutes": 5.0}, lambda _id: True),
     ("invalid_duration", "Only a time-taken sticky carries a duration.")),
    (lambda: rules.apply_sticky_changes(sticky(), {"link_to": "s1"}, lambda _id: True),
     ("unknown_sticky", "The sticky to link to does not exist.")),
])
def test_rule_refusals_say_what_is_wrong(call, expected):
    assert refusal(call) == expected


def test_op_id_of_names_only_usable_ids():
    assert rules.op_id_of({"id": "op-1"}) == "op-1"
    assert [rules.op_id_of(raw) for raw in ({"id": 1}, {"id": "a b"}, {"id": "x" * 65}, ["op-1"], {})] == [None] * 5


# --- the board service: votes, room controls, changes, duplicates, resync --------------------------------

def ok_records(results, records):
    assert all(r["ok"] for r in results), results
    return records


@pytest.mark.parametrize("hide_votes, phase, hidden", [
    (True, "vote", True), (True, "deepdive", False), (True, "wrapup", False), (False, "vote", False)])
def test_votes_are_hidden_only_while_the_vote_phase_runs_with_hiding_on(hide_votes, phase, hidden):
    assert rules.votes_hidden(workshop(hide_votes=hide_votes, phase=phase), TEMPLATE) is hidden


@pytest.mark.parametrize("record, viewer, seen", [
    ({"seq": 4, "type": "vote.add", "by": 2, "vote": {"sticky_id": "s", "delta": 1}, "blind_to": 2}, 3,
     {"seq": 4, "type": "vote.hidden", "delta": 1, "by": 2}),
    ({"seq": 4, "type": "vote.remove", "by": 2, "vote": {"sticky_id": "s", "delta": -1}, "blind_to": 2}, 3,
     {"seq": 4, "type": "vote.hidden", "delta": -1, "by": 2}),
    ({"seq": 4, "type": "vote.add", "by": 2, "vote": {"sticky_id": "s", "delta": 1}, "blind_to": 2}, 2,
     {"seq": 4, "type": "vote.add", "by": 2, "vote": {"sticky_id": "s", "delta": 1}}),
])
def test_a_hidden_dot_reaches_others_as_one_dot_more_or_less_nowhere(record, viewer, seen):
    assert rules.redact(record, viewer) == seen
    assert rules.addressee(record) == 2


def test_hiding_votes_is_the_facilitators_and_ending_it_shows_every_count(board):
    ok_records(*board.send(board.guest, new("g1"), new("g2")))
    refused, _ = board.send(board.guest, {"type": "vote.hide", "on": True})
    assert refused[0]["error"]["code"] == "not_facilitator"
    _, [_, start] = board.send(board.fac, {"type": "vote.hide", "on": True}, {"type": "phase.set", "phase": "vote"})
    assert start["votes"] == {}
    records = ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"},
                                     {"type": "vote.add", "sticky_id": "g2"},
                                     {"type": "vote.remove", "sticky_id": "g2"}))
    assert [(r["vote"], r["blind_to"]) for r in records] == [
        ({"sticky_id": "g1", "delta": 1}, board.guest.participant_id),
        ({"sticky_id": "g2", "delta": 1}, board.guest.participant_id),
        ({"sticky_id": "g2", "delta": -1}, board.guest.participant_id)]
    snap = board.service.snapshot(board.workshop_id, board.fac)
    assert [s["votes"] for s in snap["stickies"]] == [0, 0] and snap["votes_placed"] == 1
    assert snap["votes_by"] == {str(board.guest.participant_id): 1}  # how many each, not where
    assert board.service.snapshot(board.workshop_id, board.guest)["my_votes"] == {"g1": 1}
    # the facilitator's own dot added in the same message as the end of the vote is counted
    [_, end] = ok_records(*board.send(board.fac, {"type": "vote.add", "sticky_id": "g1"},
                                      {"type": "phase.set", "phase": "wrapup"}))
    assert end["votes"] == {"g1": 2} and "blind_to" not in end
    assert [s["votes"] for s in board.service.snapshot(board.workshop_id, board.guest)["stickies"]] == [2, 0]
    # back to the vote: hidden again; hiding off mid-vote shows the counts in its record
    ok_records(*board.send(board.fac, {"type": "phase.set", "phase": "vote"}))
    [off] = ok_records(*board.send(board.fac, {"type": "vote.hide", "on": False}))
    assert off["workshop"]["hide_votes"] is False and off["votes"] == {"g1": 2}
    [on] = ok_records(*board.send(board.fac, {"type": "vote.hide", "on": True}))
    assert on["votes"] == {}  # the counts clients held are hidden again: a fresh snapshot's 0s
    [budget] = ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 4}))
    assert "votes" not in budget  # only a change of hiding carries the counts


def test_dots_within_the_budget_and_taken_back(board):
    ok_records(*board.send(board.guest, new("g1")))
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 2}, {"type": "phase.set", "phase": "vote"}))
    records = ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"},
                                     {"type": "vote.add", "sticky_id": "g1"}))
    assert [r["vote"] for r in records] == [{"sticky_id": "g1", "delta": 1, "total": 1},
                                            {"sticky_id": "g1", "delta": 1, "total": 2}]
    results, records = board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"})
    assert results[0]["error"] == {"code": "vote_budget_spent", "message": "You have used all 2 of your dots."}
    # the facilitator has a budget of their own
    ok_records(*board.send(board.fac, {"type": "vote.add", "sticky_id": "g1"}))
    # one taken back (the stored one), then added and taken back within one message
    records = ok_records(*board.send(board.guest, {"type": "vote.remove", "sticky_id": "g1"},
                                     {"type": "vote.add", "sticky_id": "g1"},
                                     {"type": "vote.remove", "sticky_id": "g1"}))
    assert [r["vote"]["total"] for r in records] == [2, 3, 2]
    assert [r["vote"]["delta"] for r in records] == [-1, 1, -1]
    mine = board.service.snapshot(board.workshop_id, board.guest)
    assert mine["my_votes"] == {"g1": 1} and mine["stickies"][0]["votes"] == 2
    ok_records(*board.send(board.guest, {"type": "vote.remove", "sticky_id": "g1"}))
    results, _ = board.send(board.guest, {"type": "vote.remove", "sticky_id": "g1"})
    assert results[0]["error"] == {"code": "no_vote_to_remove", "message": "You have no dot on this sticky."}
    assert board.service.snapshot(board.workshop_id, board.fac)["my_votes"] == {"g1": 1}


def test_room_controls_change_the_workshop_state(board):
    [timer] = ok_records(*board.send(board.fac, {"type": "timer.start", "seconds": 90}))
    assert timer["workshop"]["timer_seconds"] == 90 and timer["at"].endswith("Z")
    ends = datetime.fromisoformat(timer["workshop"]["timer_ends_at"].replace("Z", "+00:00"))
    assert 89 <= (ends - datetime.fromisoformat(timer["at"].replace("Z", "+00:00"))).total_seconds() <= 91
    records = ok_records(*board.send(board.fac, {"type": "timer.stop"}, {"type": "board.lock", "locked": True},
                                     {"type": "private.set", "on": True}, {"type": "vote.budget", "budget": 7},
                                     {"type": "phase.set", "phase": "vote"}))
    state = records[-1]["workshop"]
    assert (state["timer_seconds"], state["timer_ends_at"], state["locked"], state["private_writing"],
            state["vote_budget"], state["phase"]) == (None, None, True, True, 7, "vote")
    assert [r["type"] for r in records] == ["timer.stop", "board.lock", "private.set", "vote.budget", "phase.set"]
    assert all("at" not in r for r in records)
    snapshot = board.service.snapshot(board.workshop_id, board.guest)
    assert snapshot["workshop"] == state and snapshot["seq"] == records[-1]["seq"] == 6
    results, _ = board.send(board.guest, new("g1"))
    assert results[0]["error"]["code"] == "board_locked"
    results, _ = board.send(board.fac, {"type": "phase.set", "phase": "dance"})
    assert results[0]["error"]["code"] == "unknown_phase"


def test_changes_carry_only_what_changed_and_a_new_version(board):
    [created] = ok_records(*board.send(board.guest, new("g1")))
    assert created["sticky"]["version"] == 1 and created["sticky"]["author_name"] == "Gus"
    assert (created["seq"], created["by"], created["type"]) == (1, board.guest.participant_id, "sticky.create")
    [moved] = ok_records(*board.send(board.guest, {"type": "sticky.update", "sticky_id": "g1",
                                                   "changes": {"x": 0.7, "text": "Waiting for a VM, again"}}))
    assert moved["sticky"] == {"id": "g1", "x": 0.7, "text": "Waiting for a VM, again", "version": 2}
    results, _ = board.send(board.fac, {"type": "sticky.update", "sticky_id": "g1", "changes": {"y": 0.9}})
    assert results[0]["ok"]  # a facilitator changes anyone's sticky
    [deleted] = ok_records(*board.send(board.guest, {"type": "sticky.delete", "sticky_id": "g1"}))
    assert deleted["sticky"] == {"id": "g1", "deleted": True, "version": 4}
    results, _ = board.send(board.guest, {"type": "sticky.update", "sticky_id": "g1", "changes": {"x": 0.1}})
    assert results[0]["error"]["code"] == "sticky_deleted"
    results, _ = board.send(board.guest, new("g1"))
    assert results[0]["error"] == {"code": "duplicate_sticky", "message": "A sticky with this id exists already."}
    results, _ = board.send(board.guest, {"type": "sticky.update", "sticky_id": "nope", "changes": {"x": 0.1}})
    assert results[0]["error"]["code"] == "unknown_sticky"
    assert board.service.snapshot(board.workshop_id, board.fac)["stickies"] == []
    assert board.service.current_seq(board.workshop_id) == 4


def test_a_repeated_op_is_answered_from_the_log_and_resync_replays_in_order(board):
    from workshop.services.board import Submission
    op = {"id": "same-op", **new("g1")}
    first = Submission(board.guest, [op])
    board.service.apply_batch(board.workshop_id, [first])
    again = Submission(board.guest, [op])
    records = board.service.apply_batch(board.workshop_id, [again])
    assert records == [] and again.results == [{"id": "same-op", "ok": True, "seq": 1, "duplicate": True}]
    board.send(board.fac, {"type": "private.set", "on": True})
    board.send(board.guest, new("g2"))
    since = board.service.ops_since(board.workshop_id, 0, board.fac)
    assert since["seq"] == 3 and [r["seq"] for r in since["ops"]] == [1, 2, 3]
    assert since["ops"][2] == {"seq": 3, "type": "hidden", "for": board.guest.participant_id, "change": "created"}
    assert board.service.ops_since(board.workshop_id, 1, board.guest)["ops"][1]["sticky"]["id"] == "g2"
    assert board.service.ops_since(board.workshop_id, 3, board.guest) == {"seq": 3, "ops": []}


def test_an_unknown_seat_is_refused_and_nothing_is_logged(board):
    stranger = Actor(999, "Nobody", True)
    results, records = board.send(stranger, new("s1"), {"type": "timer.stop"})
    assert records == [] and [r["error"]["code"] for r in results] == ["unknown_participant"] * 2
    assert results[0]["error"]["message"] == "Join the workshop from its link first."
    assert [r["id"] for r in results] == ["op-1", "op-2"]
    from sqlalchemy.exc import NoResultFound
    from workshop.services.board import Submission
    with pytest.raises(NoResultFound, match=f"workshop {board.workshop_id + 9} does not exist"):
        board.service.apply_batch(board.workshop_id + 9, [Submission(board.fac, [{"id": "x", **new("n1")}])])
    assert board.service.current_seq(board.workshop_id) == 0


# --- the board service: restore, dots within one message, reveals in a batch, resync, accounts ------------

def batch(board, *submissions):
    """Several senders' ops applied as one batch (one tick): [(actor, [ops])] -> (results per sender, records)."""
    from workshop.services.board import Submission
    subs = [Submission(actor, [{"id": f"b-{i}-{j}", **o} for j, o in enumerate(ops)])
            for i, (actor, ops) in enumerate(submissions)]
    records = board.service.apply_batch(board.workshop_id, subs)
    board.check_no_failure()
    return [s.results for s in subs], records


def test_a_deleted_sticky_is_restored_whole_with_a_new_version(board):
    ok_records(*board.send(board.guest, new("g1"), {"type": "sticky.delete", "sticky_id": "g1"}))
    [restored] = ok_records(*board.send(board.guest, {"type": "sticky.restore", "sticky_id": "g1"}))
    assert restored["type"] == "sticky.restore" and restored["by"] == board.guest.participant_id
    assert restored["sticky"]["id"] == "g1" and restored["sticky"]["deleted"] is False
    assert restored["sticky"]["version"] == 3 and restored["sticky"]["text"] == "Waiting for a VM"
    assert [s["id"] for s in board.service.snapshot(board.workshop_id, board.fac)["stickies"]] == ["g1"]
    results, _ = board.send(board.guest, {"type": "sticky.restore", "sticky_id": "g1"})
    assert results[0]["error"]["code"] == "sticky_not_deleted"
    # its dots come back with it
    ok_records(*board.send(board.fac, {"type": "phase.set", "phase": "vote"}))
    ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"}, {"type": "sticky.delete", "sticky_id": "g1"}))
    [again] = ok_records(*board.send(board.guest, {"type": "sticky.restore", "sticky_id": "g1"}))
    assert again["sticky"]["votes"] == 1
    results, _ = board.send(board.guest, {"type": "sticky.restore", "sticky_id": "nope"})
    assert results[0]["error"]["code"] == "unknown_sticky"


def test_a_dot_added_and_taken_back_in_one_message_needs_no_stored_dot(board):
    ok_records(*board.send(board.guest, new("g1"), new("g2")))
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 2}, {"type": "phase.set", "phase": "vote"}))
    records = ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"},
                                     {"type": "vote.add", "sticky_id": "g2"},
                                     {"type": "vote.remove", "sticky_id": "g2"}))
    assert [r["vote"] for r in records] == [{"sticky_id": "g1", "delta": 1, "total": 1},
                                            {"sticky_id": "g2", "delta": 1, "total": 1},
                                            {"sticky_id": "g2", "delta": -1, "total": 0}]
    # the dot taken back is free again: two more fit the budget of two
    ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g2"}))
    results, _ = board.send(board.guest, {"type": "vote.add", "sticky_id": "g2"})
    assert results[0]["error"]["code"] == "vote_budget_spent"
    assert board.service.snapshot(board.workshop_id, board.guest)["my_votes"] == {"g1": 1, "g2": 1}
    # the dot taken back is found wherever it stands among the message's new ones
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 5}))
    ok_records(*board.send(board.guest, {"type": "vote.remove", "sticky_id": "g2"}))  # no stored dot on g2 now
    records = ok_records(*board.send(board.guest, *({"type": "vote.add", "sticky_id": s} for s in ("g1", "g2", "g1")),
                                     {"type": "vote.remove", "sticky_id": "g2"}))
    assert [r["vote"]["total"] for r in records] == [2, 1, 3, 0]
    ok_records(*board.send(board.guest, *({"type": "vote.remove", "sticky_id": s} for s in ("g1", "g1")),
                           {"type": "vote.add", "sticky_id": "g2"}))
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 2}))
    # both dots spent and stored: one taken back frees one, not two
    results, records = board.send(board.guest, {"type": "vote.remove", "sticky_id": "g1"},
                                  *[{"type": "vote.add", "sticky_id": "g1"}] * 2)
    assert [r["ok"] for r in results] == [True, True, False] and results[2]["error"]["code"] == "vote_budget_spent"
    from workshop.db.models import Vote
    with board.db.session() as session:
        assert all(v.created_at is not None for v in session.exec(select(Vote)))


def test_taking_a_dot_back_takes_the_senders_own_not_one_another_added_in_the_same_tick(board):
    ok_records(*board.send(board.guest, new("g1")))
    ok_records(*board.send(board.fac, {"type": "phase.set", "phase": "vote"}))
    ok_records(*board.send(board.guest, {"type": "vote.add", "sticky_id": "g1"}))
    results, records = batch(board, (board.fac, [{"type": "vote.add", "sticky_id": "g1"}]),
                             (board.guest, [{"type": "vote.remove", "sticky_id": "g1"}]))
    assert all(r["ok"] for rs in results for r in rs)
    assert [r["vote"]["total"] for r in records] == [2, 1]
    assert board.service.snapshot(board.workshop_id, board.fac)["my_votes"] == {"g1": 1}
    assert board.service.snapshot(board.workshop_id, board.guest)["my_votes"] == {}


def test_a_reveal_in_the_same_tick_shows_what_that_tick_did_to_private_stickies(board):
    board.send(board.fac, {"type": "private.set", "on": True})
    ok_records(*board.send(board.guest, new("g1"), new("g2")))
    results, records = batch(
        board,
        (board.guest, [{"type": "sticky.update", "sticky_id": "g1", "changes": {"text": "Edited"}},
                       {"type": "sticky.delete", "sticky_id": "g2"}, new("g3"), new("g4"),
                       {"type": "sticky.delete", "sticky_id": "g4"}]),
        (board.fac, [new("f1", kind="note", text="Public note"), {"type": "private.reveal"}]))
    assert all(r["ok"] for rs in results for r in rs)
    revealed = records[-1]["revealed"]
    assert [s["id"] for s in revealed] == ["g1", "g3"]  # not the deleted ones, not the public note
    assert revealed[0]["text"] == "Edited" and revealed[0]["version"] == 3
    assert [s["votes"] for s in revealed] == [0, 0] and not any(s["private"] for s in revealed)
    after = board.service.snapshot(board.workshop_id, board.fac)
    assert {s["id"] for s in after["stickies"]} == {"g1", "g3", "f1"} and after["hidden_count"] == 0


def test_a_snapshot_counts_dots_per_sticky_and_hides_others_private_stickies(board):
    ok_records(*board.send(board.guest, new("g1"), new("g2"), new("g3")))
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 5}, {"type": "phase.set", "phase": "vote"}))
    ok_records(*board.send(board.guest, *[{"type": "vote.add", "sticky_id": "g1"}] * 2,
                           {"type": "vote.add", "sticky_id": "g2"}))
    ok_records(*board.send(board.fac, {"type": "vote.add", "sticky_id": "g1"}))
    ok_records(*board.send(board.fac, {"type": "phase.set", "phase": "pain"}, {"type": "private.set", "on": True}))
    ok_records(*board.send(board.guest, new("p1"), new("p2"), {"type": "sticky.delete", "sticky_id": "p2"}))
    ok_records(*board.send(board.fac, new("fp", kind="note", text="mine")))
    for_fac = board.service.snapshot(board.workshop_id, board.fac)
    assert {s["id"]: s["votes"] for s in for_fac["stickies"]} == {"g1": 3, "g2": 1, "g3": 0, "fp": 0}
    assert for_fac["my_votes"] == {"g1": 1} and for_fac["hidden_count"] == 1  # p1; p2 is deleted
    for_guest = board.service.snapshot(board.workshop_id, board.guest)
    assert {s["id"] for s in for_guest["stickies"]} == {"g1", "g2", "g3", "fp", "p1"}
    assert for_guest["my_votes"] == {"g1": 2, "g2": 1} and for_guest["hidden_count"] == 0
    assert for_guest["serverTime"].endswith("Z") and for_guest["seq"] == board.service.current_seq(board.workshop_id)


def test_an_unknown_workshop_has_no_snapshot_and_sequence_number_zero(board):
    from workshop.domain.errors import NotFound
    with pytest.raises(NotFound) as missing:
        board.service.snapshot(board.workshop_id + 99, board.fac)
    assert (missing.value.code, missing.value.message) == ("unknown_workshop", "This workshop no longer exists.")
    assert board.service.current_seq(board.workshop_id + 99) == 0
    assert board.service.ops_since(board.workshop_id + 99, 4, board.fac) == {"seq": 4, "ops": []}


def test_resync_sends_a_snapshot_past_the_limit_or_from_a_history_the_workshop_does_not_have(board, monkeypatch):
    import workshop.services.board as board_service
    monkeypatch.setattr(board_service, "RESYNC_LIMIT", 3)
    ok_records(*board.send(board.guest, new("g1"), new("g2"), new("g3"), new("g4")))
    since_1 = board.service.ops_since(board.workshop_id, 1, board.guest)
    assert since_1["seq"] == 4 and [r["seq"] for r in since_1["ops"]] == [2, 3, 4]  # exactly the limit
    since_0 = board.service.ops_since(board.workshop_id, 0, board.guest)
    assert set(since_0) == {"seq", "snapshot"} and since_0["seq"] == 4
    assert since_0["snapshot"] == board.service.snapshot(board.workshop_id, board.guest) | {
        "serverTime": since_0["snapshot"]["serverTime"]}
    ahead = board.service.ops_since(board.workshop_id, 9, board.guest)
    assert set(ahead) == {"seq", "snapshot"} and ahead["seq"] == 4
    assert {s["id"] for s in ahead["snapshot"]["stickies"]} == {"g1", "g2", "g3", "g4"}


def test_the_seats_and_states_of_accounts(board):
    from workshop.db.models import Participant, User
    with board.db.session() as session:
        users = [User(email=f"{n}@example.com", name=n, password_hash=f"hash-{n}", role="facilitator",
                      is_admin=False, is_active=n != "off") for n in ("on", "off", "none")]
        session.add_all(users)
        session.flush()
        seats = [Participant(workshop_id=board.workshop_id, name=f"seat {i}", secret_hash=str(i), is_facilitator=True,
                             user_id=users[i // 2].id) for i in range(3)]
        session.add_all(seats)
        session.commit()
        on, off, none = (u.id for u in users)
        seat_ids = [s.id for s in seats]
    assert board.service.seats_of_user(on) == {board.workshop_id: {seat_ids[0], seat_ids[1]}}
    assert board.service.seats_of_user(off) == {board.workshop_id: {seat_ids[2]}}
    assert board.service.seats_of_user(none) == {}
    assert board.service.account_states([on, off]) == {on: (True, "hash-on"), off: (False, "hash-off")}
    assert board.service.account_states(set()) == {}


def test_every_answer_names_its_op_and_says_ok_or_why_not(board):
    ok_records(*board.send(board.guest, new("g1")))
    results, _ = batch(board, (board.guest, [new("g2"), {"type": "sticky.delete", "sticky_id": "nope"},
                                             {"type": "phase.set", "phase": 7}, {"type": "bogus"}]))
    assert results[0] == [
        {"id": "b-0-0", "ok": True, "seq": 2},
        {"id": "b-0-1", "ok": False, "error": {"code": "unknown_sticky", "message": "That sticky does not exist."}},
        {"id": "b-0-2", "ok": False, "error": {"code": "unknown_phase",
                                               "message": results[0][2]["error"]["message"]}},
        {"id": "b-0-3", "ok": False, "error": {"code": "unknown_op", "message": results[0][3]["error"]["message"]}}]
    assert all(r["error"]["message"] for r in results[0][2:])
    # the same op id from someone else is refused; from its sender it is answered from the log
    from workshop.services.board import Submission
    mine, theirs = (Submission(actor, [{"id": "b-0-0", **new("g9")}]) for actor in (board.guest, board.fac))
    board.service.apply_batch(board.workshop_id, [mine, theirs])
    assert mine.results == [{"id": "b-0-0", "ok": True, "seq": 2, "duplicate": True}]
    assert theirs.results == [{"id": "b-0-0", "ok": False, "error": {
        "code": "op_id_taken", "message": "Another participant's operation has this id; send yours with a new id."}}]


def test_a_deactivated_accounts_seat_is_refused_in_the_same_tick_as_others_are_served(board):
    from workshop.db.models import Participant, User
    with board.db.session() as session:
        users = [User(email=f"{n}@example.com", name=n, password_hash="x", role="facilitator", is_admin=False,
                      is_active=n == "on") for n in ("off", "on")]
        session.add_all(users)
        session.flush()
        seats = [Participant(workshop_id=board.workshop_id, name=u.name, secret_hash=u.name, is_facilitator=False,
                             user_id=u.id) for u in users]
        session.add_all(seats)
        # an account's seat holds while it may run the discovery (ADR 0019): "on" is a member
        from workshop.db.models import DiscoveryMember, Workshop
        session.add(DiscoveryMember(discovery_id=session.get(Workshop, board.workshop_id).discovery_id,
                                    user_id=users[1].id))
        session.commit()
        off, on = (Actor(s.id, s.name, False) for s in seats)
    results, records = batch(board, (off, [new("x1")]), (board.guest, [new("g1")]), (on, [new("o1")]),
                             (off, [new("x2")]))
    assert results[0] == [{"id": "b-0-0", "ok": False, "error": {
        "code": "account_inactive", "message": "This account is deactivated; ask an admin."}}]
    assert results[3][0]["error"]["code"] == "account_inactive"
    assert results[1] == [{"id": "b-1-0", "ok": True, "seq": 1}] and results[2] == [{"id": "b-2-0", "ok": True, "seq": 2}]
    assert [r["sticky"]["id"] for r in records] == ["g1", "o1"]


def test_what_a_create_stores_is_what_a_snapshot_gives_back(board):
    from workshop.db.models import Sticky
    [created] = ok_records(*board.send(board.fac, {"type": "sticky.create", "sticky": {
        "id": "t1", "kind": "time", "text": "Three days", "x": 0.25, "y": 0.75, "duration_minutes": 4320}}))
    [linked] = ok_records(*board.send(board.guest, {"type": "sticky.create", "sticky": {
        "id": "t2", "kind": "pain", "text": "Waiting", "x": 0.5, "y": 0.5, "link_to": "t1"}}))
    snapshot = {s["id"]: s for s in board.service.snapshot(board.workshop_id, board.fac)["stickies"]}
    assert snapshot["t1"] == created["sticky"] and snapshot["t2"] == linked["sticky"]
    assert (snapshot["t1"]["duration_minutes"], snapshot["t2"]["link_to"]) == (4320, "t1")
    assert snapshot["t1"]["author_name"] == "Fran" and snapshot["t1"]["version"] == 1
    with board.db.session() as session:
        row = session.get(Sticky, "t1")
        assert row.created_at == row.updated_at
    results, _ = board.send(board.guest, {"type": "sticky.create", "sticky": {
        "id": "t3", "kind": "pain", "text": "x", "x": 0.5, "y": 0.5, "link_to": "nope"}})
    assert results[0]["error"] == {"code": "unknown_sticky", "message": "The sticky to link to does not exist."}


@pytest.fixture
def failing_op(monkeypatch, board):
    """Applying an op whose sticky text is "boom" fails as a database error would."""
    from workshop.services import board as board_service
    apply = board_service._Batch.apply

    def fails_on_boom(self, actor, op):
        if op.type == "sticky.create" and op.fields["text"] == "boom":
            raise RuntimeError("the database refused it")
        return apply(self, actor, op)

    monkeypatch.setattr(board_service._Batch, "apply", fails_on_boom)
    board.failures_expected = True


def test_a_failing_op_is_refused_alone_and_the_rest_of_its_tick_is_stored(board, failing_op, caplog):
    results, records = batch(board, (board.guest, [new("g1"), new("g2", text="boom"), new("g3")]),
                             (board.fac, [new("f1", kind="note")]))
    assert results[0] == [{"id": "b-0-0", "ok": True, "seq": 1},
                          {"id": "b-0-1", "ok": False, "error": {"code": "server_error", "message":
                              "The change could not be saved; the other changes of its moment were."}},
                          {"id": "b-0-2", "ok": True, "seq": 2}]
    assert results[1] == [{"id": "b-1-0", "ok": True, "seq": 3}]
    assert [r["sticky"]["id"] for r in records] == ["g1", "g3", "f1"]
    assert {s["id"] for s in board.service.snapshot(board.workshop_id, board.fac)["stickies"]} == {"g1", "g3", "f1"}
    logged = [r.getMessage() for r in caplog.records if r.name == "workshop.services.board"]
    assert logged == [f"a batch of workshop {board.workshop_id} failed; applying its submissions one by one",
                      f"an op of workshop {board.workshop_id} could not be stored"]
    # two ops of one sender: the failing one alone is refused
    results, records = board.send(board.guest, new("g4", text="boom"), new("g5"))
    assert [r["ok"] for r in results] == [False, True] and [r["sticky"]["id"] for r in records] == ["g5"]


def test_a_single_failing_op_raises(board, failing_op):
    with pytest.raises(RuntimeError):
        batch(board, (board.guest, [new("g1", text="boom")]))
    assert board.service.current_seq(board.workshop_id) == 0


def test_links_go_to_stickies_the_sender_can_see_and_moves_are_anyones(board):
    ok_records(*board.send(board.fac, new("f1", kind="note", text="Facilitator's")))
    ok_records(*board.send(board.guest, new("g1"), new("g2")))
    # a guest moves the facilitator's sticky (moving is anyone's) and links its own to it (a stored one)
    [moved] = ok_records(*board.send(board.guest, {"type": "sticky.update", "sticky_id": "f1", "changes": {"x": 0.9}}))
    assert moved["sticky"] == {"id": "f1", "x": 0.9, "version": 2} and moved["id"] == "op-4"
    [linked] = ok_records(*board.send(board.guest, {"type": "sticky.update", "sticky_id": "g1",
                                                    "changes": {"link_to": "f1"}}))
    assert linked["sticky"]["link_to"] == "f1" and linked["private_to"] is None
    ok_records(*board.send(board.guest, {"type": "sticky.delete", "sticky_id": "g2"}))
    results, _ = board.send(board.guest, {"type": "sticky.update", "sticky_id": "g1", "changes": {"link_to": "g2"}})
    assert results[0]["error"]["code"] == "unknown_sticky"  # deleted
    # private writing: one's own private sticky can be linked to and its changes stay private
    board.send(board.fac, {"type": "private.set", "on": True})
    ok_records(*board.send(board.guest, new("p1"), new("p2")))
    [own] = ok_records(*board.send(board.guest, {"type": "sticky.update", "sticky_id": "p2",
                                                 "changes": {"link_to": "p1"}}))
    assert own["sticky"]["link_to"] == "p1" and own["private_to"] == board.guest.participant_id
    results, _ = board.send(board.fac, {"type": "sticky.update", "sticky_id": "f1", "changes": {"link_to": "p1"}})
    assert results[0]["error"]["code"] == "unknown_sticky"  # someone else's private sticky
    [p3] = ok_records(*board.send(board.guest, {"type": "sticky.create", "sticky": {
        "id": "p3", "kind": "pain", "text": "x", "x": 0.5, "y": 0.5, "link_to": "p1"}}))
    assert p3["sticky"]["link_to"] == "p1" and p3["private_to"] == board.guest.participant_id
    ok_records(*board.send(board.guest, {"type": "sticky.delete", "sticky_id": "p3"}))
    [back] = ok_records(*board.send(board.guest, {"type": "sticky.restore", "sticky_id": "p3"}))
    assert back["sticky"]["deleted"] is False and back["private_to"] == board.guest.participant_id
    from workshop.db.models import Operation
    with board.db.session() as session:
        logged = {o.seq: o for o in session.exec(select(Operation).where(Operation.workshop_id == board.workshop_id))}
    assert logged[p3["seq"]].private_to == board.guest.participant_id and logged[1].private_to is None
    assert all(o.created_at is not None for o in logged.values())


def test_a_vote_budget_of_zero_still_lets_everyone_write(board):
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 0}))
    ok_records(*board.send(board.guest, new("g1")))


def test_the_dot_budget_holds_within_one_message_and_one_op_id_is_applied_once(board):
    ok_records(*board.send(board.guest, new("g1")))
    ok_records(*board.send(board.fac, {"type": "vote.budget", "budget": 2}, {"type": "phase.set", "phase": "vote"}))
    results, records = board.send(board.guest, *[{"type": "vote.add", "sticky_id": "g1"}] * 3)
    assert [r["ok"] for r in results] == [True, True, False] and results[2]["error"]["code"] == "vote_budget_spent"
    assert [r["id"] for r in records] == [r["id"] for r in results[:2]]
    from workshop.services.board import Submission
    twice = Submission(board.fac, [{"id": "same", "type": "vote.add", "sticky_id": "g1"}] * 2)
    records = board.service.apply_batch(board.workshop_id, [twice])
    board.check_no_failure()
    assert len(records) == 1 and twice.results[1] == {"id": "same", "ok": True, "seq": records[0]["seq"],
                                                     "duplicate": True}


def test_rooms_are_isolated_and_an_earlier_rounds_workshop_stays_closed(board):
    from workshop.db.models import Participant, Workshop
    from workshop.services.board import Submission
    with board.db.session() as session:
        first = session.get(Workshop, board.workshop_id)
        later = Workshop(discovery_id=first.discovery_id, team="Payments", template="discovery", join_token="u" * 32,
                         phase="pain", round=2)
        session.add(later)
        session.flush()
        other, guest = (Participant(workshop_id=later.id, name=name, secret_hash=name, is_facilitator=name == "Olga")
                        for name in ("Olga", "Pat"))
        session.add_all([other, guest])
        session.commit()
        later_id, olga, pat = later.id, Actor(other.id, "Olga", True), Actor(guest.id, "Pat", False)
    elsewhere = [Submission(olga, [{"id": "o-1", **new("o1")}, {"id": "o-2", "type": "private.set", "on": True}]),
                 Submission(pat, [{"id": "p-1", **new("p1")}]),
                 Submission(olga, [{"id": "o-3", "type": "phase.set", "phase": "vote"},
                                   {"id": "o-4", "type": "vote.add", "sticky_id": "o1"}])]
    for submission in elsewhere:
        board.service.apply_batch(later_id, [submission])
    assert all(r["ok"] for s in elsewhere for r in s.results)
    assert board.service.snapshot(later_id, olga)["hidden_count"] == 1
    ok_records(*board.send(board.guest, new("g1")))
    snapshot = board.service.snapshot(board.workshop_id, board.fac)
    assert [s["id"] for s in snapshot["stickies"]] == ["g1"] and snapshot["hidden_count"] == 0
    assert snapshot["my_votes"] == {} and snapshot["stickies"][0]["votes"] == 0
    assert [r["seq"] for r in board.service.ops_since(board.workshop_id, 0, board.fac)["ops"]] == [1]
    ok_records(*board.send(board.fac, {"type": "workshop.close"}))
    results, _ = board.send(board.fac, {"type": "workshop.reopen"})
    assert results[0]["error"] == {"code": "earlier_round", "message": "This workshop belongs to round 1, which is "
                                   "over; its board stays read-only."}


def test_server_times_are_utc_whatever_the_machines_zone(monkeypatch):
    import time
    from datetime import timedelta
    from workshop.services.board import _iso
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        moment = datetime(2026, 11, 28, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        assert _iso(moment) == "2026-11-28T10:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()
