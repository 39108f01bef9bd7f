"""Issue 12, item 2: one participant's op can never fail the tick of everyone else.

An unpaired UTF-16 surrogate (JSON's "\\ud800") in any string of any op is refused at validation
(`invalid_unicode`), before the tick's transaction; and should applying or committing a batch fail
for any other reason, only the op that fails is refused while every other op of the tick commits.
"""
from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.board_helpers import create, join, make_workshop, new_id, op
from workshop.domain.board import Actor
from workshop.realtime import wire
from workshop.services import board as board_service
from workshop.services.board import BoardService, Submission

PROTOCOL_CODES = set(re.findall(r"`([a-z_]+)`", open("docs/protocol.md").read().split("Refusal codes:")[1]
                                .split("## Server")[0]))
LONE = "lone \ud800 surrogate"


@pytest.fixture
def room(db):
    """A workshop in the vote phase, its facilitator and two guests, and the service."""
    workshop_id, token, _ = make_workshop(db)
    from sqlmodel import select

    from workshop.db.models import Participant
    with db.session() as session:
        fac = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                     Participant.is_facilitator == True)).one()  # noqa: E712
        fac_actor = Actor(fac.id, fac.name, True)
    ana, _ = join(db, token, "Ana")
    ben, _ = join(db, token, "Ben")
    service = BoardService(db)
    service.apply_batch(workshop_id, [Submission(fac_actor, [op("phase.set", phase="pain")]),
                                      Submission(Actor(ben, "Ben", False), [create(kind="pain", text="Ben's",
                                                                                   sticky_id="ben-sticky")])])
    assert service.apply_batch(workshop_id, [Submission(fac_actor, [op("phase.set", phase="vote")])])
    return workshop_id, service, fac_actor, Actor(ana, "Ana", False), Actor(ben, "Ben", False)


def _bystander(text: str) -> dict:
    """Ben edits his own sticky (allowed in the vote phase)."""
    return {"id": new_id(), "type": "sticky.update", "sticky_id": "ben-sticky", "changes": {"text": text}}


def _target(service, workshop_id, fac) -> str:
    """A fresh pain point to update, link to, vote on or delete."""
    sticky = create(kind="pain", text="Waiting for a firewall change")
    sub = Submission(fac, [sticky])
    service.apply_batch(workshop_id, [sub])
    assert sub.results[0]["ok"], sub.results
    return sticky["sticky"]["id"]


def _stored_texts(db, workshop_id) -> set[str]:
    from sqlmodel import select

    from workshop.db.models import Sticky
    with db.session() as session:
        return set(session.exec(select(Sticky.text).where(Sticky.workshop_id == workshop_id)))


# every string field of every op type: (op builder given a target sticky id, path to the string)
def _ops(target: str) -> dict:
    return {
        "sticky.create": create(kind="pain", text="A pain"),
        "sticky.create/link": create(kind="pain", text="Linked", link_to=target),
        "sticky.update": {"id": new_id(), "type": "sticky.update", "sticky_id": target,
                          "changes": {"text": "Changed", "link_to": None}},
        "sticky.update/link": {"id": new_id(), "type": "sticky.update", "sticky_id": target,
                               "changes": {"link_to": target}},
        "sticky.delete": op("sticky.delete", sticky_id=target),
        "vote.add": op("vote.add", sticky_id=target),
        "vote.remove": op("vote.remove", sticky_id=target),
        "phase.set": op("phase.set", phase="vote"),
    }


STRING_FIELDS = [
    ("sticky.create", ("id",)), ("sticky.create", ("type",)), ("sticky.create", ("sticky", "id")),
    ("sticky.create", ("sticky", "kind")), ("sticky.create", ("sticky", "text")),
    ("sticky.create/link", ("sticky", "link_to")),
    ("sticky.update", ("sticky_id",)), ("sticky.update", ("changes", "text")),
    ("sticky.update/link", ("changes", "link_to")),
    ("sticky.delete", ("sticky_id",)), ("vote.add", ("sticky_id",)), ("vote.remove", ("sticky_id",)),
    ("phase.set", ("phase",)), ("phase.set", ("id",)),
]


def _set(raw: dict, path: tuple, value) -> dict:
    raw = copy.deepcopy(raw)
    holder = raw
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    return raw


def _assert_sendable(result: dict) -> None:
    """The answer can be encoded and sent: JSON that is valid UTF-8."""
    wire.dumps(result).encode("utf-8")


@pytest.mark.parametrize("name,path", STRING_FIELDS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v)
def test_a_lone_surrogate_in_any_string_field_is_refused_and_the_rest_of_the_tick_commits(db, room, name, path):
    workshop_id, service, fac, ana, ben = room
    target = _target(service, workshop_id, fac)
    poison = _set(_ops(target)[name], path, LONE)
    good = _bystander("Bystander's pain point")
    poisoned, bystander = Submission(fac, [poison]), Submission(ben, [good])
    service.apply_batch(workshop_id, [poisoned, bystander])
    assert bystander.results[0]["ok"] is True, bystander.results
    assert poisoned.results[0]["ok"] is False
    assert poisoned.results[0]["error"]["code"] == "invalid_unicode", poisoned.results
    _assert_sendable(poisoned.results[0])
    assert "Bystander's pain point" in _stored_texts(db, workshop_id)


def test_a_failure_while_committing_one_submission_refuses_only_its_op(db, room, monkeypatch):
    """Defence in depth: whatever fails in the batch (here an injected failure for one op's write),
    the other submissions of the tick commit, and so do the failing submission's other ops."""
    workshop_id, service, fac, ana, ben = room
    write = board_service._write

    def failing_write(conn, batches, *rest):
        if any(s.text == "boom" for batch in batches for s in batch.new_stickies.values()):
            raise RuntimeError("injected storage failure")
        return write(conn, batches, *rest)

    monkeypatch.setattr(board_service, "_write", failing_write)
    first = Submission(ben, [_bystander("Ana's first")])
    mixed = Submission(fac, [create(kind="pain", text="Ben's good one"), create(kind="pain", text="boom"),
                             create(kind="pain", text="Ben's after")])
    last = Submission(fac, [op("timer.start", seconds=60)])
    records = service.apply_batch(workshop_id, [first, mixed, last])
    assert first.results[0]["ok"] and last.results[0]["ok"], (first.results, last.results)
    assert [r["ok"] for r in mixed.results] == [True, False, True]
    assert mixed.results[1]["error"]["code"] == "server_error"
    assert mixed.results[1]["id"] == mixed.raw_ops[1]["id"]
    assert _stored_texts(db, workshop_id) >= {"Ben's good one", "Ben's after"}
    assert "boom" not in _stored_texts(db, workshop_id)
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs) and len(seqs) == 4 and seqs == list(range(seqs[0], seqs[0] + 4))
    # in arrival order: Ben's edit, the facilitator's two good stickies, the timer
    assert [r["id"] for r in records] == [first.raw_ops[0]["id"], mixed.raw_ops[0]["id"], mixed.raw_ops[2]["id"],
                                          last.raw_ops[0]["id"]]


# any Unicode: every plane, control characters, and the surrogate range Hypothesis leaves out by default
any_char = st.one_of(st.characters(codec=None), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
# (st.text() drops surrogates from any alphabet: join the characters instead)
any_text = st.lists(any_char, max_size=40).map("".join)


def _has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in value)


@pytest.mark.parametrize("name,path", STRING_FIELDS, ids=lambda v: ".".join(v) if isinstance(v, tuple) else v)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=any_text)
def test_any_unicode_in_any_string_field_applies_or_is_refused_precisely(db, room, name, path, value):
    workshop_id, service, fac, ana, ben = room
    target = _target(service, workshop_id, fac)
    raw = _set(_ops(target)[name], path, value)
    tried, bystander = Submission(fac, [raw]), Submission(ben, [_bystander("Still here")])
    service.apply_batch(workshop_id, [tried, bystander])
    assert bystander.results[0]["ok"] is True, bystander.results
    result = tried.results[0]
    _assert_sendable(result)
    if _has_surrogate(value):
        assert result["ok"] is False and result["error"]["code"] == "invalid_unicode", result
    elif not result["ok"]:
        assert result["error"]["code"] in PROTOCOL_CODES - {"server_error"}, result

