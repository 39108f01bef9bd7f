"""Issue 12, item 8: what docs/protocol.md promises, checked against the server: the code for a
field of the wrong type (its table), a sticky id's format and length, the scope of op ids,
`resync` from ahead of the workshop, the lock and facilitators, the heartbeat's figures."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.board_helpers import create, join, make_workshop, op
from workshop.config import settings_from_environment
from workshop.domain.board import parse_op
from workshop.domain.errors import ValidationError
from workshop.extensions import socketio

PROTOCOL = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()


def _wrong_type_table() -> list[tuple[str, str]]:
    section = PROTOCOL.split("**A field of the wrong type**")[1].split("Refusal codes:")[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1].startswith("`"):
            for field in re.findall(r"`([a-z_.]+)`", cells[0]):
                rows.append((field, cells[1].strip("`")))
    return rows


BASE = {
    "phase": {"type": "phase.set", "phase": "map"},
    "seconds": {"type": "timer.start", "seconds": 60},
    "budget": {"type": "vote.budget", "budget": 5},
    "locked": {"type": "board.lock", "locked": True},
    "on": {"type": "private.set", "on": True},
    "sticky": {"type": "sticky.create", "sticky": {"id": "s-1", "kind": "time", "text": "t", "x": 0, "y": 0}},
    "changes": {"type": "sticky.update", "sticky_id": "s-1", "changes": {"x": 0.5}},
    "sticky_id": {"type": "sticky.delete", "sticky_id": "s-1"},
}


# values of the wrong type for each field (3 is a right type for a number, None for an optional id)
WRONG = {
    "seconds": ("60", [], True, 1.5), "budget": ("5", [], True, 2.5), "locked": (3, "yes", [], None),
    "on": (3, "yes", [], None), "sticky": (3, [], "x", None), "changes": (3, [], "x", None),
    "x": ("0.5", [], True, None), "y": ("0.5", [], True, None), "duration_minutes": ("30", [], True, {"a": 1}),
    "link_to": (3, [], True, {"a": 1}),
}


def _raw_with(field: str, value) -> dict:
    if field in ("id", "type"):
        raw = {"id": "op-1", **BASE["phase"]}
        raw[field] = value
        return raw
    head, _, tail = field.partition(".")
    raw = {"id": "op-1", **{k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE[head].items()}}
    if tail:
        raw[head] = dict(raw[head])
        raw[head][tail] = value
    else:
        raw[head] = value
    return raw


def test_the_wrong_type_table_covers_every_field_and_is_what_the_server_answers():
    rows = _wrong_type_table()
    assert len(rows) >= 20, rows
    for field, code in rows:
        for value in WRONG.get(field.rpartition(".")[2], (3, [], {"a": 1}, True)):
            with pytest.raises(ValidationError) as refused:
                parse_op(_raw_with(field, value))
            assert refused.value.code == code, (field, value, refused.value.code)


def test_every_operation_is_in_the_table_of_operations():
    from workshop.domain.board import FACILITATOR_OPS, OP_TYPES
    section = PROTOCOL.split("### Operations")[1].split("**A field of the wrong type**")[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z.]+)` \|[^|]*\| (\w+)", section, re.M)}
    assert set(rows) == OP_TYPES
    assert {op for op, who in rows.items() if who == "facilitator"} == FACILITATOR_OPS


def test_phase_3_is_unknown_phase_as_documented():
    assert "`{\"type\": \"phase.set\", \"phase\": 3}` is `unknown_phase`" in PROTOCOL
    with pytest.raises(ValidationError) as refused:
        parse_op({"id": "x", "type": "phase.set", "phase": 3})
    assert refused.value.code == "unknown_phase"


@pytest.mark.parametrize("sticky_id,ok", [
    ("a", True), ("x" * 40, True), ("123e4567-e89b-12d3-a456-426614174000", True), ("a_b:c.d-e", True),
    ("x" * 41, False), ("", False), ("a b", False), ("a/b", False), ("é", False), ("abc\n", False),
])
def test_a_sticky_ids_format_and_length_are_as_documented(sticky_id, ok):
    assert "1 to 40\nletters, digits or `- _ : .`" in PROTOCOL or "1 to 40 letters, digits or `- _ : .`" in PROTOCOL
    raw = {"id": "op-1", "type": "sticky.create",
           "sticky": {"id": sticky_id, "kind": "event", "text": "t", "x": 0, "y": 0}}
    if ok:
        assert parse_op(raw).fields["id"] == sticky_id
    else:
        with pytest.raises(ValidationError) as refused:
            parse_op(raw)
        assert refused.value.code == "invalid_payload"


def test_resync_from_ahead_of_the_workshop_answers_a_snapshot(app, db):
    _, token, secret = make_workshop(db)
    fac = socketio.test_client(app, auth={"token": token, "secret": secret})
    assert fac.emit("ops", {"ops": [op("phase.set", phase="map"), create()]}, callback=True)["ok"]
    answer = fac.emit("resync", {"since": 1000}, callback=True)
    assert answer["ok"] and answer["seq"] == 2 and answer["snapshot"]["seq"] == 2, answer
    assert len(answer["snapshot"]["stickies"]) == 1
    behind = fac.emit("resync", {"since": 1}, callback=True)
    assert [r["seq"] for r in behind["ops"]] == [2] and "snapshot" not in behind
    fac.disconnect()


def test_the_lock_binds_guests_not_facilitators(app, db):
    assert "The lock (`board.lock`) binds guests only" in PROTOCOL
    _, token, secret = make_workshop(db)
    _, guest_secret = join(db, token, "Gus")
    fac = socketio.test_client(app, auth={"token": token, "secret": secret})
    guest = socketio.test_client(app, auth={"token": token, "secret": guest_secret})
    assert fac.emit("ops", {"ops": [op("phase.set", phase="map"), op("board.lock", locked=True)]},
                    callback=True)["results"][1]["ok"]
    assert fac.emit("ops", {"ops": [create(text="facilitator while locked")]}, callback=True)["results"][0]["ok"]
    refused = guest.emit("ops", {"ops": [create(text="guest while locked")]}, callback=True)["results"][0]
    assert refused["error"]["code"] == "board_locked"
    fac.disconnect()
    guest.disconnect()


def test_the_documented_heartbeat_is_the_configured_one():
    settings = settings_from_environment(str(Path(__file__).parent))
    interval = re.search(r"every `pingInterval` \((\d+) s\)", PROTOCOL)
    timeout = re.search(r"within `pingTimeout` \((\d+) s\)", PROTOCOL)
    assert interval and timeout, "docs/protocol.md states the heartbeat"
    assert float(interval.group(1)) == settings["SOCKETIO_PING_INTERVAL"]
    assert float(timeout.group(1)) == settings["SOCKETIO_PING_TIMEOUT"]
    assert "The server never drops a client that answers its pings" in PROTOCOL


def test_the_documented_coordinate_ranges_are_what_the_server_accepts():
    """x in 0..1 (the timeline: the stage comes from it), y in 0..MAX_Y (the wall grows, ADR 0015)."""
    from workshop.domain.board import MAX_Y
    stated = re.search(r"`x` in 0\.\.1 and `y` in 0\.\.(\d+)", PROTOCOL)
    assert stated, "docs/protocol.md states a sticky's coordinate ranges"
    assert int(stated.group(1)) == MAX_Y and f"**0..{MAX_Y}** (`MAX_Y`" in PROTOCOL

    def code(**fields):
        try:
            parse_op({"id": "o", "type": "sticky.create",
                      "sticky": {"id": "s", "kind": "event", "text": "t", "x": 0.5, "y": 0.5, **fields}})
        except ValidationError as error:
            return error.code
        return None

    assert [code(y=v) for v in (0, 1, 2.5, MAX_Y)] == [None] * 4
    assert [code(y=v) for v in (-0.1, MAX_Y + 0.1)] == ["invalid_position"] * 2
    assert [code(x=v) for v in (0, 1)] == [None] * 2
    assert [code(x=v) for v in (-0.1, 1.1)] == ["invalid_position"] * 2
