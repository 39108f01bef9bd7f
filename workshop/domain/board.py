"""The board's rules: what an operation looks like, who may apply it in which phase, and what it changes.

Pure Python. The service (workshop.services.board) loads the rows, asks these functions, and writes
what they decide. Objects passed in only need the attributes named here (duck typing), so the
rules do not depend on the ORM.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import DomainError, Forbidden, NotFound, ValidationError
from .kinds import KINDS_BY_KEY
from .templates import Template
from .validation import sticky_text, storable

MAX_OPS_PER_MESSAGE = 50
MAX_TIMER_SECONDS = 7200
MAX_VOTE_BUDGET = 50
_OP_ID = re.compile(r"[A-Za-z0-9_\-:.]{1,64}")  # always with fullmatch ("$" would let a final newline in)
STICKY_FIELDS = ("text", "x", "y", "duration_minutes", "link_to", "kind")
# What anyone in the room may change on anyone's sticky, as on a paper wall: where it stands.
MOVE_FIELDS = frozenset({"x", "y"})
FACILITATOR_OPS = {"phase.set", "timer.start", "timer.stop", "board.lock", "private.set", "private.reveal",
                   "vote.budget", "vote.hide", "workshop.close", "workshop.reopen"}
OP_TYPES = {"sticky.create", "sticky.update", "sticky.delete", "sticky.restore", "vote.add",
            "vote.remove"} | FACILITATOR_OPS


@dataclass(frozen=True)
class Actor:
    """Who is sending: a participant of one workshop (guests and facilitators alike)."""
    participant_id: int
    name: str
    facilitator: bool


@dataclass
class Op:
    """A validated operation (schema and sizes checked; permissions not yet)."""
    id: str
    type: str
    fields: dict[str, Any] = field(default_factory=dict)


def op_id_of(raw: object) -> str | None:
    """The op's id if it has a usable one (so even a refusal can name the op it refuses)."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str) and _OP_ID.fullmatch(raw["id"]):
        return raw["id"]
    return None


# How deep an op's JSON may nest: no op has more than two levels (`sticky.create`'s sticky, an
# update's changes); anything deeper is refused before it is walked any further.
MAX_OP_DEPTH = 8


def check_storable(raw: object) -> None:
    """Refuse an op any of whose strings (keys and values, at any depth) cannot be stored or sent,
    before any other rule reads it: such a string used to reach the tick's transaction (a sticky id
    in a SELECT, a text in an INSERT) and fail the commit of every op in the tick (issue 12)."""
    stack = [(raw, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if not storable(value):
                raise ValidationError("invalid_unicode", "The operation holds characters that cannot be stored "
                                                         "(an unpaired UTF-16 surrogate).")
        elif isinstance(value, (dict, list)):
            if depth >= MAX_OP_DEPTH:
                raise ValidationError("invalid_payload", "An operation nests too deeply.")
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if isinstance(key, str):
                    stack.append((key, depth + 1))
                stack.append((item, depth + 1))


def parse_ops_message(payload: object) -> list:
    """The `ops` message: {ops: [...]} with 1..50 entries."""
    if not isinstance(payload, dict) or not isinstance(payload.get("ops"), list):
        raise ValidationError("invalid_payload", "Send {ops: [...]}: a list of operations.")
    ops = payload["ops"]
    if not ops:
        raise ValidationError("invalid_payload", "The list of operations is empty.")
    if len(ops) > MAX_OPS_PER_MESSAGE:
        raise ValidationError("too_many_ops", f"Send at most {MAX_OPS_PER_MESSAGE} operations at a time.")
    return ops


# Positions are kept to 1/100,000 of the board (a fraction of a pixel on any screen): a browser's
# 0.37291846312984127 costs every client in the room 12 more bytes to receive, per coordinate.
POSITION_DIGITS = 5


# x runs along the timeline (0 its start, 1 its end: a sticky's stage comes from x); y runs down the
# wall, in lane heights: 0..1 is the lane a board opens with, and the wall grows downward by whole
# lane heights as a stage fills up, to at most MAX_Y (ADR 0015).
MAX_Y = 10


def stage_of(x: float | None, stages: int) -> int:
    """The stage a position x (0..1 along the timeline) falls in: equal-width columns, 1.0 belonging to
    the last stage; x outside 0..1 counts as its nearest end, a missing x (None, NaN) as the start.
    The board's own copy is static/js/board/timeline.js stageAt."""
    if stages <= 0:
        return 0
    x = 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else min(max(float(x), 0.0), 1.0)
    return min(int(x * stages), stages - 1)


def _position(value: object, name: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= high:
        raise ValidationError("invalid_position", f"{name} must be a number between 0 and {high:g}.")
    return round(float(value), POSITION_DIGITS)


def _x(value: object) -> float:
    return _position(value, "x", 1)


def _y(value: object) -> float:
    return _position(value, "y", MAX_Y)


def _duration(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value <= 10_000_000:
        raise ValidationError("invalid_duration", "A duration is a number of minutes (0 to 10,000,000).")
    return float(value)


def _sticky_id(value: object, name: str = "sticky_id") -> str:
    if not isinstance(value, str) or not _OP_ID.fullmatch(value) or len(value) > 40:
        raise ValidationError("invalid_payload", f"{name} must be an id of at most 40 characters.")
    return value


def _sticky_create_fields(raw: dict) -> dict[str, Any]:
    sticky = raw.get("sticky")
    if not isinstance(sticky, dict):
        raise ValidationError("invalid_payload", "sticky.create needs a sticky object.")
    if not isinstance(sticky.get("kind"), str) or sticky["kind"] not in KINDS_BY_KEY:
        shown = sticky["kind"][:40] if isinstance(sticky.get("kind"), str) else type(sticky.get("kind")).__name__
        raise ValidationError("unknown_kind", f"Unknown sticky kind {shown!r}.")
    fields = {
        "id": _sticky_id(sticky.get("id"), "sticky.id"),
        "kind": sticky["kind"],
        "text": sticky_text(sticky.get("text")),
        "x": _x(sticky.get("x")),
        "y": _y(sticky.get("y")),
        "duration_minutes": _duration(sticky.get("duration_minutes")),
        "link_to": _sticky_id(sticky["link_to"], "link_to") if sticky.get("link_to") is not None else None,
    }
    if fields["duration_minutes"] is not None and not KINDS_BY_KEY[fields["kind"]].has_duration:
        raise ValidationError("invalid_duration", "Only a time-taken sticky carries a duration.")
    return fields


# How each field a sticky.update may change is checked.
_CHANGE_PARSERS: dict[str, Callable[[object], Any]] = {
    "text": sticky_text,
    "x": _x,
    "y": _y,
    "duration_minutes": _duration,
    "link_to": lambda value: _sticky_id(value, "link_to") if value is not None else None,
    "kind": lambda value: _kind(value),
}


def _kind(value: object) -> str:
    if not isinstance(value, str) or value not in KINDS_BY_KEY:
        shown = value[:40] if isinstance(value, str) else type(value).__name__
        raise ValidationError("unknown_kind", f"Unknown sticky kind {shown!r}.")
    return value


def _sticky_update_fields(raw: dict) -> dict[str, Any]:
    changes = raw.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise ValidationError("invalid_payload", "sticky.update needs a non-empty changes object.")
    unknown = set(changes) - set(STICKY_FIELDS)
    if unknown:
        raise ValidationError("invalid_payload", f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    return {"sticky_id": _sticky_id(raw.get("sticky_id")),
            "changes": {name: _CHANGE_PARSERS[name](value) for name, value in changes.items()}}


def _sticky_ref_fields(raw: dict) -> dict[str, Any]:
    return {"sticky_id": _sticky_id(raw.get("sticky_id"))}


def _phase_fields(raw: dict) -> dict[str, Any]:
    if not isinstance(raw.get("phase"), str):
        raise ValidationError("unknown_phase", "phase.set needs a phase.")
    return {"phase": raw["phase"]}


def _timer_fields(raw: dict) -> dict[str, Any]:
    seconds = raw.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_TIMER_SECONDS:
        raise ValidationError("invalid_seconds", f"A timer runs 1 to {MAX_TIMER_SECONDS} seconds.")
    return {"seconds": seconds}


def _flag(raw: dict, op_type: str, key: str) -> dict[str, Any]:
    if not isinstance(raw.get(key), bool):
        raise ValidationError("invalid_payload", f"{op_type} needs {key}: true or false.")
    return {key: raw[key]}


def _lock_fields(raw: dict) -> dict[str, Any]:
    return _flag(raw, "board.lock", "locked")


def _private_fields(raw: dict) -> dict[str, Any]:
    return _flag(raw, "private.set", "on")


def _hide_votes_fields(raw: dict) -> dict[str, Any]:
    return _flag(raw, "vote.hide", "on")


def _budget_fields(raw: dict) -> dict[str, Any]:
    budget = raw.get("budget")
    if isinstance(budget, bool) or not isinstance(budget, int) or not 0 <= budget <= MAX_VOTE_BUDGET:
        raise ValidationError("invalid_budget", f"The vote budget is 0 to {MAX_VOTE_BUDGET} dots.")
    return {"budget": budget}


def _no_fields(_raw: dict) -> dict[str, Any]:
    return {}


# Each operation type's fields: checked and converted, or a ValidationError with a precise code.
FIELD_PARSERS: dict[str, Callable[[dict], dict[str, Any]]] = {
    "sticky.create": _sticky_create_fields,
    "sticky.update": _sticky_update_fields,
    "sticky.delete": _sticky_ref_fields,
    "sticky.restore": _sticky_ref_fields,
    "vote.add": _sticky_ref_fields,
    "vote.remove": _sticky_ref_fields,
    "phase.set": _phase_fields,
    "timer.start": _timer_fields,
    "timer.stop": _no_fields,
    "board.lock": _lock_fields,
    "private.set": _private_fields,
    "private.reveal": _no_fields,
    "vote.budget": _budget_fields,
    "vote.hide": _hide_votes_fields,
    "workshop.close": _no_fields,
    "workshop.reopen": _no_fields,
}


def parse_op(raw: object) -> Op:
    """Check an operation's shape, types and sizes. Raises ValidationError with a precise code."""
    if not isinstance(raw, dict):
        raise ValidationError("invalid_payload", "An operation is an object {id, type, ...}.")
    check_storable(raw)
    op_id = op_id_of(raw)
    if op_id is None:
        raise ValidationError("invalid_op_id", "An operation needs an id: 1 to 64 letters, digits or - _ : .")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in OP_TYPES:  # (a list or dict here must not raise TypeError)
        shown = kind[:40] if isinstance(kind, str) else type(kind).__name__
        raise ValidationError("unknown_op", f"Unknown operation type {shown!r}.")
    return Op(op_id, kind, FIELD_PARSERS[kind](raw))


# --- permissions and phase rules -------------------------------------------------------------

def check_board_writable(actor: Actor, workshop, template: Template, op_type: str) -> None:
    """Closed workshops refuse everything; a read-only phase (wrap-up) refuses every change to the
    board's content, from anyone (the facilitator can still move the room to another phase);
    a locked board refuses guests. Only a reopen goes to a closed workshop, and only to one."""
    if op_type == "workshop.reopen":
        if workshop.status != "closed":
            raise DomainError("workshop_open", "This workshop is open already.")
        return
    if workshop.status == "closed":
        raise DomainError("workshop_closed", "This workshop is closed; the board is read-only.")
    if template.phase(workshop.phase).readonly and op_type not in FACILITATOR_OPS:
        raise DomainError("read_only_phase", "The board is read-only in this phase.")
    if workshop.locked and not actor.facilitator:
        raise DomainError("board_locked", "The facilitator has locked the board.")


def check_facilitator(actor: Actor, op: Op) -> None:
    if op.type in FACILITATOR_OPS and not actor.facilitator:
        raise Forbidden("not_facilitator", "Only the facilitator can do that.")


def check_can_create(actor: Actor, workshop, template: Template, kind: str) -> None:
    phase = template.phase(workshop.phase)
    if actor.facilitator:
        return
    if kind not in phase.kinds:
        allowed = ", ".join(KINDS_BY_KEY[k].label.lower() for k in phase.kinds) or "no stickies"
        raise DomainError("kind_not_in_phase",
                          f"In the {phase.label} phase you can add {allowed}, not {KINDS_BY_KEY[kind].label.lower()}.")


def starts_private(workshop, actor: Actor) -> bool:
    """A new sticky is private while private writing is on, unless a facilitator wrote it (the
    facilitator's stickies frame the room: everyone sees them at once)."""
    return bool(workshop.private_writing) and not actor.facilitator


def check_can_change(actor: Actor, sticky, changes: dict | None = None) -> None:
    """Anyone may move any sticky (the group tidies the wall together); its text, duration and link,
    and deleting it, stay with its author and the facilitators. `changes` None means a delete."""
    if sticky is None:
        raise NotFound("unknown_sticky", "That sticky does not exist.")
    if sticky.deleted:
        raise DomainError("sticky_deleted", "That sticky was deleted.")
    if actor.facilitator or sticky.author_id == actor.participant_id:
        return
    if changes is not None and set(changes) <= MOVE_FIELDS:
        return
    who = sticky.author_name or "its author"
    what = "delete it" if changes is None else "change its kind" if "kind" in changes else "change its text"
    raise Forbidden("not_author", f"Only {who} (who wrote this sticky) or a facilitator can {what}; anyone can move it.")


def check_can_restore(actor: Actor, sticky) -> None:
    """Bringing a deleted sticky back (the undo of a delete): whoever could delete it."""
    if sticky is None:
        raise NotFound("unknown_sticky", "That sticky does not exist.")
    if not sticky.deleted:
        raise DomainError("sticky_not_deleted", "That sticky is on the board already.")
    if not actor.facilitator and sticky.author_id != actor.participant_id:
        raise Forbidden("not_author", f"Only {sticky.author_name or 'its author'} or a facilitator can bring this sticky back.")


def check_can_vote(workshop, template: Template, sticky) -> None:
    if not template.phase(workshop.phase).voting:
        raise DomainError("not_voting_phase", "Voting is open only in the vote phase.")
    if sticky is None or sticky.private:
        raise NotFound("unknown_sticky", "That sticky does not exist.")
    if sticky.deleted:
        raise DomainError("sticky_deleted", "That sticky was deleted.")
    if not KINDS_BY_KEY[sticky.kind].votable:
        raise DomainError("not_votable", "Dots go on pain points and opportunities.")


def check_vote_budget(workshop, votes_used: int) -> None:
    if votes_used >= workshop.vote_budget:
        raise DomainError("vote_budget_spent", f"You have used all {workshop.vote_budget} of your dots.")


def votes_hidden(workshop, template: Template) -> bool:
    """Blind dot voting: while the vote phase runs with hiding on, each participant sees only their
    own dots; everyone sees every dot once the room moves on (or the facilitator turns hiding off)."""
    return bool(workshop.hide_votes) and bool(template.phase(workshop.phase).voting)


def check_can_change_kind(actor: Actor, workshop, template: Template, kind: str) -> None:
    """A sticky's kind changes (recoloured, as in Miro or FigJam: "Security review 2d" written while the
    palette was on System) into a kind its changer could add now: a guest, one the phase takes; a
    facilitator, any. Text, place, votes and links stay."""
    check_can_create(actor, workshop, template, kind)


def apply_sticky_changes(sticky, changes: dict, is_visible: Callable[[str], bool]) -> dict:
    """Last writer wins per field: set each changed field, bump the version. Returns the changes applied.
    A kind without a duration drops the duration it had (the change says so: `duration_minutes` None)."""
    changes = dict(changes)
    kind = changes.get("kind", sticky.kind)
    if "kind" in changes and not KINDS_BY_KEY[kind].has_duration and "duration_minutes" not in changes \
            and sticky.duration_minutes is not None:
        changes["duration_minutes"] = None
    if "duration_minutes" in changes and changes["duration_minutes"] is not None \
            and not KINDS_BY_KEY[kind].has_duration:
        raise ValidationError("invalid_duration", "Only a time-taken sticky carries a duration.")
    if changes.get("link_to") is not None:
        if changes["link_to"] == sticky.id or not is_visible(changes["link_to"]):
            raise NotFound("unknown_sticky", "The sticky to link to does not exist.")
    for name, value in changes.items():
        setattr(sticky, name, value)
    sticky.version += 1
    return changes


def sticky_state(sticky, votes: int = 0) -> dict:
    """A sticky as clients see it (the `sticky` of a record and of the snapshot)."""
    return {
        "id": sticky.id, "kind": sticky.kind, "text": sticky.text, "x": sticky.x, "y": sticky.y,
        "duration_minutes": sticky.duration_minutes, "link_to": sticky.link_to, "author_id": sticky.author_id,
        "author_name": sticky.author_name, "private": sticky.private, "deleted": sticky.deleted,
        "version": sticky.version, "votes": votes,
    }


def workshop_state(workshop) -> dict:
    ends = workshop.timer_ends_at
    return {
        "id": workshop.id, "team": workshop.team, "status": workshop.status, "phase": workshop.phase,
        "locked": workshop.locked, "private_writing": workshop.private_writing,
        "vote_budget": workshop.vote_budget, "hide_votes": workshop.hide_votes,
        "timer_seconds": workshop.timer_seconds,
        "timer_ends_at": ends.isoformat().replace("+00:00", "Z") if ends else None,
    }


_HIDDEN_CHANGE = {"sticky.create": "created", "sticky.restore": "created", "sticky.delete": "deleted"}


_AUDIENCE = ("private_to", "blind_to")


def addressee(record: dict) -> int | None:
    """The one participant who gets a record in full when the room gets a placeholder for it: the
    author of a private sticky, the voter of a dot placed while votes are hidden."""
    for key in _AUDIENCE:
        if record.get(key) is not None:
            return record[key]
    return None


def redact(record: dict, viewer_id: int) -> dict:
    """A record about someone else's private sticky becomes a placeholder that keeps its seq, whose
    it is and whether one was created, changed or deleted (so the room can count what a reveal will
    show), nothing of its content. Someone else's dot placed while votes are hidden becomes
    `vote.hidden`: one dot more or less somewhere, and by whom (the room counts the dots placed and
    who has placed all theirs), not where."""
    private_to = record.get("private_to")
    if private_to is not None and private_to != viewer_id:
        return {"seq": record["seq"], "type": "hidden", "for": private_to,
                "change": _HIDDEN_CHANGE.get(record.get("type"), "changed")}
    blind_to = record.get("blind_to")
    if blind_to is not None and blind_to != viewer_id:
        return {"seq": record["seq"], "type": "vote.hidden", "delta": record["vote"]["delta"], "by": record["by"]}
    return {k: v for k, v in record.items() if k not in _AUDIENCE}
