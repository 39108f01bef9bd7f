"""The live board's use cases: apply a tick's operations in one transaction, snapshot, resync.

Knows nothing of Socket.IO: the realtime adapter hands it batches and broadcasts what it returns.
Serialisation: each batch locks its workshop row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has
one writer at a time), so sequence numbers stay gap-free and ordered across processes.

apply_batches runs once per 25 ms tick for every busy workshop of the process, so it uses SQLAlchemy
Core, not the ORM unit of work (ADR 0008), and the same statements however many workshops are due
(on PostgreSQL each round trip is a wait, and under gevent every wait lets all the other greenlets
run before the tick goes on; ADR 0020): three SELECTs for all of them (the locked workshops, in id
order, with their senders' current seats and dots used; the already-applied op ids; the referenced
stickies with their vote counts), the rules applied to plain objects in memory, workshop by
workshop, then one write per table (new stickies, changed stickies, new votes, operation rows, the
workshops' changed columns), then the commit. On SQLite the ids go as IN lists and the writes as
executemany; on PostgreSQL as arrays, and the three reads go in one round trip and the writes in
another (psycopg's pipeline mode). Only the rare vote.remove, private.reveal and workshop.reopen read
more, per op. apply_batch is the same with one workshop.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import ARRAY, JSON, Integer, String, Text, and_, any_, bindparam, cast, delete, func, insert, tuple_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import NoResultFound
from sqlmodel import select

from ..db.engine import Database
from ..db.models import DiscoveryMember, Operation, Participant, Sticky, User, Vote, Workshop
from ..domain import board as rules
from ..domain.board import Actor, Op
from ..domain.errors import DomainError, NotFound
from ..domain.permissions import Account, keeps_board_seat
from ..domain.templates import get_template

RESYNC_LIMIT = 500
log = logging.getLogger(__name__)

_W = Workshop.__table__
_P = Participant.__table__
_S = Sticky.__table__
_V = Vote.__table__
_O = Operation.__table__
_U = User.__table__

# The workshop's columns the board reads or changes (an UPDATE writes back only those that changed).
_WORKSHOP_STATE = ("status", "phase", "private_writing", "locked", "vote_budget", "hide_votes", "timer_ends_at",
                   "timer_seconds", "seq")
# The sticky's columns a board operation can change (the UPDATE writes these; nothing else writes them).
_STICKY_MUTABLE = ("kind", "text", "x", "y", "duration_minutes", "link_to", "private", "deleted", "version", "updated_at")
_STICKY_COLUMNS = ("id", "workshop_id", "kind", "text", "x", "y", "duration_minutes", "link_to", "author_id",
                   "author_name", "private", "deleted", "version", "updated_at")

# The three reads of a tick, each for all the due workshops at once. Two forms of each: lists of ids
# as `IN (...)` (SQLite), or as one array parameter each (PostgreSQL: the statement's text is the same
# whatever the number of ids, so psycopg and the server cache and prepare it, and the three are sent
# together; see _fetch_together).


def _one_of(column, name: str, arrays: bool, item_type):
    return (column == any_(bindparam(name, type_=ARRAY(item_type))) if arrays
            else column.in_(bindparam(name, expanding=True)))


_dots_used = (core_select(func.count()).select_from(_V)
              .where(_V.c.workshop_id == _W.c.id, _V.c.participant_id == _P.c.id)
              .correlate(_W, _P).scalar_subquery())
_DM = DiscoveryMember.__table__
_member = (core_select(_DM.c.id).where(_DM.c.discovery_id == _W.c.discovery_id, _DM.c.user_id == _P.c.user_id)
           .correlate(_W, _P).exists())
_vote_count = (core_select(func.count()).select_from(_V).where(_V.c.sticky_id == _S.c.id)
               .correlate(_S).scalar_subquery())


class _Reads:
    def __init__(self, arrays: bool):
        self.arrays = arrays
        # 1. The workshop rows, locked in id order (two processes' ticks never wait on each other in
        #    a cycle), each joined with its senders' seats as the database knows them now (a role is
        #    checked on every tick, not only at connect) and the dots each sender has on that board.
        #    A seat joins its own workshop only, so one list of every workshop's senders serves all.
        self.lock = (
            core_select(_W.c.id, _W.c.team, _W.c.template, *(_W.c[name] for name in _WORKSHOP_STATE),
                        _P.c.id, _P.c.name, _P.c.is_facilitator, _dots_used, _U.c.is_active,
                        _U.c.id, _U.c.role, _U.c.is_admin, _member)
            .select_from(_W.outerjoin(_P, and_(_P.c.workshop_id == _W.c.id,
                                               _one_of(_P.c.id, "senders", arrays, Integer)))
                         .outerjoin(_U, _U.c.id == _P.c.user_id))
            .where(_one_of(_W.c.id, "workshop_ids", arrays, Integer))
            .order_by(_W.c.id)  # PostgreSQL locks the rows in the order they come out (after the sort)
            .with_for_update(of=_W))
        # 2. The ops of the batches already applied earlier (idempotency), with who sent them: an op
        #    id is the sender's, so another participant's reuse of it is refused, never answered as a
        #    duplicate. By (workshop, op id) pairs: each is one probe of the unique index, where
        #    `workshop_id IN (...) AND op_id IN (...)` let PostgreSQL scan every op of those workshops.
        pairs = (core_select(func.unnest(bindparam("pair_workshops", type_=ARRAY(Integer)),
                                         bindparam("pair_ops", type_=ARRAY(String)))
                             .table_valued("workshop_id", "op_id").render_derived()) if arrays
                 else bindparam("pairs", expanding=True))
        self.applied = (core_select(_O.c.workshop_id, _O.c.op_id, _O.c.seq, _O.c.participant_id)
                        .where(tuple_(_O.c.workshop_id, _O.c.op_id).in_(pairs)))
        # 3. The stickies the batches name (any workshop: ids are global) with their vote counts.
        self.stickies = (core_select(*(_S.c[name] for name in _STICKY_COLUMNS), _vote_count)
                         .where(_one_of(_S.c.id, "ids", arrays, String)))

    def params(self, workshop_ids: list[int], senders: list[int], pairs: list[tuple[int, str]],
               sticky_ids: list[str]) -> tuple[dict, dict, dict]:
        applied = ({"pair_workshops": [w for w, _ in pairs], "pair_ops": [o for _, o in pairs]} if self.arrays
                   else {"pairs": pairs})
        return {"workshop_ids": workshop_ids, "senders": senders}, applied, {"ids": sticky_ids}


_READS = {False: _Reads(arrays=False), True: _Reads(arrays=True)}
_HIDDEN = (core_select(*(_S.c[name] for name in _STICKY_COLUMNS))
           .where(_S.c.workshop_id == bindparam("workshop_id"), _S.c.private.is_(True),
                  _S.c.deleted.is_(False)))
_VOTE_COUNTS = (core_select(_V.c.sticky_id, func.count()).where(_V.c.workshop_id == bindparam("workshop_id"))
                .group_by(_V.c.sticky_id))
_LATEST_VOTE = (core_select(_V.c.id)
                .where(_V.c.sticky_id == bindparam("sticky_id"), _V.c.participant_id == bindparam("participant_id"))
                .order_by(_V.c.id.desc()).limit(1))
_DELETE_VOTE = delete(_V).where(_V.c.id == bindparam("vote_id"))
# The writes: one executemany per table (SQLite), or, on PostgreSQL, one statement per table whose
# rows come as one array parameter per column (unnest), all sent together (see _write).
_INSERT_STICKY = insert(_S)
_INSERT_VOTE = insert(_V)
_INSERT_OPERATION = insert(_O)
_UPDATE_STICKY = (update(_S).where(_S.c.id == bindparam("b_id"))
                  .values({name: bindparam("b_" + name) for name in _STICKY_MUTABLE}))
_NEW_STICKY_COLUMNS = _STICKY_COLUMNS + ("created_at",)
_NEW_VOTE_COLUMNS = ("workshop_id", "sticky_id", "participant_id", "created_at")
_OPERATION_COLUMNS = ("workshop_id", "seq", "op_id", "participant_id", "type", "private_to", "result", "created_at")


def _unnested(table, names):
    """unnest(:a_<name>, ...) AS v(<name>, ...): rows given as one array per column (JSON as text)."""
    return (func.unnest(*(bindparam("a_" + name, type_=ARRAY(Text if isinstance(table.c[name].type, JSON)
                                                              else table.c[name].type)) for name in names))
            .table_valued(*names).render_derived())


def _insert_unnested(table, names):
    rows = _unnested(table, names)
    return insert(table).from_select(names, core_select(*(
        cast(rows.c[name], JSON) if isinstance(table.c[name].type, JSON) else rows.c[name] for name in names)))


def _update_unnested(table, names):
    """UPDATE table SET <names> FROM unnest(...) WHERE table.id = v.id"""
    rows = _unnested(table, ("id",) + tuple(names))
    return update(table).where(table.c.id == rows.c.id).values({name: rows.c[name] for name in names})


_ARRAYS_INSERT_STICKY = _insert_unnested(_S, _NEW_STICKY_COLUMNS)
_ARRAYS_UPDATE_STICKY = _update_unnested(_S, _STICKY_MUTABLE)
_ARRAYS_INSERT_VOTE = _insert_unnested(_V, _NEW_VOTE_COLUMNS)
_ARRAYS_INSERT_OPERATION = _insert_unnested(_O, _OPERATION_COLUMNS)
_ARRAYS_UPDATE_WORKSHOP: dict[tuple[str, ...], object] = {}  # by the set of changed columns


def _as_arrays(rows: list[dict], names, json_names=()) -> dict:
    return {"a_" + name: [json.dumps(row[name]) if name in json_names else row[name] for row in rows]
            for name in names}


@dataclass
class Submission:
    """One client message: its sender and its raw ops, in order."""
    actor: Actor
    raw_ops: list
    results: list = field(default_factory=list)
    # each raw op validated (an Op) or its refusal (a result), filled before the transaction
    parsed: list = field(default_factory=list, repr=False)


def _refusal(op_id, code: str, message: str) -> dict:
    return {"id": op_id, "ok": False, "error": {"code": code, "message": message}}


def parse_submission(submission: Submission) -> None:
    """Validate every op of a submission before any transaction: what cannot be stored (an unpaired
    surrogate, say) is refused here and never reaches the database."""
    parsed = []
    for raw in submission.raw_ops:
        try:
            parsed.append(rules.parse_op(raw))
        except DomainError as error:
            parsed.append({"id": rules.op_id_of(raw), "ok": False, "error": error.as_dict()})
    submission.parsed = parsed


NOT_STORED = ("server_error", "The change could not be saved; the other changes of its moment were.")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """A stored moment in UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class _WorkshopState:
    """The locked workshop row as a plain object (the rules read attributes; the service writes them)."""
    __slots__ = ("id", "team", "template") + _WORKSHOP_STATE

    def __init__(self, values):
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)

    def changes(self, before: tuple) -> dict:
        return {name: getattr(self, name) for name, old in zip(_WORKSHOP_STATE, before)
                if getattr(self, name) != old}


class _StickyState:
    """A sticky row as a plain object (the rules read and set its attributes by name)."""
    __slots__ = _STICKY_COLUMNS

    def __init__(self, values):
        for name, value in zip(_STICKY_COLUMNS, values):
            setattr(self, name, value)


class _Batch:
    """Working state of one workshop's batch: the locked workshop and what its ops touch.

    The reads are made for every workshop of the transaction at once, before any op is applied
    (`BoardService._apply_in`), and, for the rare vote.remove, private.reveal and workshop.reopen,
    when needed; every write is collected and executed in `_write`, one statement per table for all
    the workshops.
    """

    def __init__(self, conn, workshop: _WorkshopState, before: tuple, dots_used: dict[int, int],
                 applied: dict[str, tuple[int, int | None]], stickies: dict, votes: dict[str, int]):
        self.conn = conn
        self.workshop = workshop
        self.before = before  # the workshop's state columns as read (the UPDATE writes what changed)
        self.template = get_template(workshop.template)
        self.records: list[dict] = []
        self._budget_used = dots_used
        self.applied = applied  # op id -> (seq, sender)
        # Shared by the workshops of a transaction (sticky ids are global: a sticky created by one
        # workshop's batch is a duplicate for the next, as if it were stored already); a workshop
        # sees only its own (`sticky`).
        self.stickies: dict[str, _StickyState] = stickies
        self.votes = votes
        self.new_stickies: dict[str, _StickyState] = {}
        self.changed_stickies: dict[str, _StickyState] = {}
        self.new_votes: list[dict] = []
        self.operations: list[dict] = []

    def sticky(self, sticky_id: str) -> _StickyState | None:
        sticky = self.stickies.get(sticky_id)
        if sticky is not None and sticky.workshop_id != self.workshop.id:
            return None  # rooms are isolated: another workshop's sticky does not exist here
        return sticky

    def visible_to(self, actor: Actor, sticky_id: str) -> bool:
        sticky = self.sticky(sticky_id)
        return sticky is not None and not sticky.deleted and (not sticky.private or sticky.author_id == actor.participant_id)

    def budget_used(self, participant_id: int) -> int:
        return self._budget_used.get(participant_id, 0)

    def _own_or_public(self, actor: Actor, sticky_id: str) -> _StickyState | None:
        """The sticky an op targets; someone else's private sticky does not exist."""
        sticky = self.sticky(sticky_id)
        if sticky is not None and sticky.private and sticky.author_id != actor.participant_id:
            return None
        return sticky

    def _changeable(self, actor: Actor, sticky_id: str, changes: dict | None = None) -> _StickyState:
        """The sticky an update (`changes`) or a delete (None) targets, if the actor may."""
        sticky = self._own_or_public(actor, sticky_id)
        rules.check_can_change(actor, sticky, changes)
        return sticky

    def _changed(self, sticky: _StickyState) -> None:
        if sticky.id not in self.new_stickies:  # a sticky created in this batch is inserted as it ends up
            self.changed_stickies[sticky.id] = sticky

    # --- one operation ---------------------------------------------------------------------

    def votes_hidden(self) -> bool:
        return rules.votes_hidden(self.workshop, self.template)

    def vote_counts(self) -> dict[str, int]:
        """Every sticky's dots as they stand now in this batch: the stored ones (a removal is deleted
        at once) and the ones added in this batch, not written yet."""
        counts = dict(self.conn.execute(_VOTE_COUNTS, {"workshop_id": self.workshop.id}).all())
        for vote in self.new_votes:
            counts[vote["sticky_id"]] = counts.get(vote["sticky_id"], 0) + 1
        return {sticky_id: n for sticky_id, n in counts.items() if n > 0}

    def apply(self, actor: Actor, op: Op) -> dict:
        rules.check_facilitator(actor, op)
        rules.check_board_writable(actor, self.workshop, self.template, op.type)
        handler = getattr(self, "_" + op.type.replace(".", "_"))
        hidden_before = self.votes_hidden()
        record = handler(actor, op)
        # The records that start and end blind voting carry every count: none while hidden (clients
        # hold what a fresh snapshot says), all of them once the vote ends or hiding goes off.
        if hidden_before != self.votes_hidden():
            record["votes"] = {} if hidden_before is False else self.vote_counts()
        self.workshop.seq += 1
        now = _now()
        record.update({"seq": self.workshop.seq, "id": op.id, "type": op.type, "by": actor.participant_id})
        if op.type == "timer.start":  # the server's clock, for the countdown (the log keeps every op's time)
            record["at"] = _iso(now)
        self.operations.append({"workshop_id": self.workshop.id, "seq": record["seq"], "op_id": op.id,
                                "participant_id": actor.participant_id, "type": op.type,
                                "private_to": record.get("private_to"), "result": record, "created_at": now})
        self.applied[op.id] = (record["seq"], actor.participant_id)
        self.records.append(record)
        return record

    def shown_votes(self, sticky_id: str) -> int:
        """A sticky's dots as records show them: 0 while votes are hidden (the count comes with the
        record that ends the hiding)."""
        return 0 if self.votes_hidden() else self.votes.get(sticky_id, 0)

    def _sticky_record(self, sticky: _StickyState) -> dict:
        return {"sticky": rules.sticky_state(sticky, self.shown_votes(sticky.id)),
                "private_to": sticky.author_id if sticky.private else None}

    def _sticky_create(self, actor: Actor, op: Op) -> dict:
        f = op.fields
        rules.check_can_create(actor, self.workshop, self.template, f["kind"])
        if f["id"] in self.stickies:
            raise DomainError("duplicate_sticky", "A sticky with this id exists already.")
        if f["link_to"] is not None and not self.visible_to(actor, f["link_to"]):
            raise NotFound("unknown_sticky", "The sticky to link to does not exist.")
        now = _now()
        sticky = _StickyState((f["id"], self.workshop.id, f["kind"], f["text"], f["x"], f["y"], f["duration_minutes"],
                               f["link_to"], actor.participant_id, actor.name,
                               rules.starts_private(self.workshop, actor), False, 1, now))
        self.new_stickies[sticky.id] = sticky
        self.stickies[sticky.id] = sticky
        return self._sticky_record(sticky)

    def _sticky_change_record(self, sticky: _StickyState, changes: dict) -> dict:
        """An update or delete carries only what changed, with the new version: every client holds
        the sticky already (records arrive in seq order after a snapshot), and moves and edits are
        most of a board's traffic, sent to everyone in the room (ADR 0009)."""
        return {"sticky": {"id": sticky.id, **changes, "version": sticky.version},
                "private_to": sticky.author_id if sticky.private else None}

    def _sticky_update(self, actor: Actor, op: Op) -> dict:
        sticky = self._changeable(actor, op.fields["sticky_id"], op.fields["changes"])
        if "kind" in op.fields["changes"]:
            rules.check_can_change_kind(actor, self.workshop, self.template, op.fields["changes"]["kind"])
        changes = rules.apply_sticky_changes(sticky, op.fields["changes"], lambda sid: self.visible_to(actor, sid))
        sticky.updated_at = _now()
        self._changed(sticky)
        return self._sticky_change_record(sticky, changes)

    def _sticky_delete(self, actor: Actor, op: Op) -> dict:
        sticky = self._changeable(actor, op.fields["sticky_id"])
        sticky.deleted = True
        sticky.version += 1
        sticky.updated_at = _now()
        self._changed(sticky)
        return self._sticky_change_record(sticky, {"deleted": True})

    def _sticky_restore(self, actor: Actor, op: Op) -> dict:
        """A deleted sticky comes back as it was (the undo of a delete): the record carries it whole,
        like a create, since clients forgot it when it was deleted."""
        sticky = self._own_or_public(actor, op.fields["sticky_id"])
        rules.check_can_restore(actor, sticky)
        sticky.deleted = False
        sticky.version += 1
        sticky.updated_at = _now()
        self._changed(sticky)
        return self._sticky_record(sticky)

    def _vote_add(self, actor: Actor, op: Op) -> dict:
        sticky = self.sticky(op.fields["sticky_id"])
        rules.check_can_vote(self.workshop, self.template, sticky)
        rules.check_vote_budget(self.workshop, self.budget_used(actor.participant_id))
        self.new_votes.append({"workshop_id": self.workshop.id, "sticky_id": sticky.id,
                               "participant_id": actor.participant_id, "created_at": _now()})
        self._budget_used[actor.participant_id] = self.budget_used(actor.participant_id) + 1
        self.votes[sticky.id] = self.votes.get(sticky.id, 0) + 1
        return self._vote_record(actor, sticky.id, 1)

    def _vote_record(self, actor: Actor, sticky_id: str, delta: int) -> dict:
        """While votes are hidden the record goes in full to the voter alone, without the total."""
        if self.votes_hidden():
            return {"vote": {"sticky_id": sticky_id, "delta": delta}, "blind_to": actor.participant_id}
        return {"vote": {"sticky_id": sticky_id, "delta": delta, "total": self.votes[sticky_id]}}

    def _vote_remove(self, actor: Actor, op: Op) -> dict:
        sticky = self.sticky(op.fields["sticky_id"])
        rules.check_can_vote(self.workshop, self.template, sticky)
        # The newest of the sender's dots on it: one added earlier in this batch (not written yet), else
        # the newest stored one (deleted at once, so a later vote.remove in the batch finds the next).
        for index in range(len(self.new_votes) - 1, -1, -1):
            vote = self.new_votes[index]
            if vote["sticky_id"] == sticky.id and vote["participant_id"] == actor.participant_id:
                del self.new_votes[index]
                break
        else:
            vote_id = self.conn.execute(_LATEST_VOTE, {"sticky_id": sticky.id,
                                                       "participant_id": actor.participant_id}).scalar()
            if vote_id is None:
                raise DomainError("no_vote_to_remove", "You have no dot on this sticky.")
            self.conn.execute(_DELETE_VOTE, {"vote_id": vote_id})
        self._budget_used[actor.participant_id] = self.budget_used(actor.participant_id) - 1
        self.votes[sticky.id] = self.votes.get(sticky.id, 1) - 1
        return self._vote_record(actor, sticky.id, -1)

    def _workshop_record(self) -> dict:
        return {"workshop": rules.workshop_state(self.workshop)}

    def _phase_set(self, actor: Actor, op: Op) -> dict:
        self.workshop.phase = self.template.phase(op.fields["phase"]).key
        ends = self.workshop.timer_ends_at
        if ends is not None and _aware(ends) <= _now():
            # a timer that ran out belongs to the phase it timed: "Time's up" is not the next one's
            # (someone joining later would see it), while a running timer carries on
            self.workshop.timer_seconds = None
            self.workshop.timer_ends_at = None
        return self._workshop_record()

    def _timer_start(self, actor: Actor, op: Op) -> dict:
        self.workshop.timer_seconds = op.fields["seconds"]
        self.workshop.timer_ends_at = _now() + timedelta(seconds=op.fields["seconds"])
        return self._workshop_record()

    def _timer_stop(self, actor: Actor, op: Op) -> dict:
        self.workshop.timer_seconds = None
        self.workshop.timer_ends_at = None
        return self._workshop_record()

    def _board_lock(self, actor: Actor, op: Op) -> dict:
        self.workshop.locked = op.fields["locked"]
        return self._workshop_record()

    def _private_set(self, actor: Actor, op: Op) -> dict:
        self.workshop.private_writing = op.fields["on"]
        return self._workshop_record()

    def _private_reveal(self, actor: Actor, op: Op) -> dict:
        # The stored private stickies (in their state as changed by this batch so far), then the ones
        # created in this batch and not written yet, in the order they were created.
        hidden: list[_StickyState] = []
        seen: set[str] = set()
        for row in self.conn.execute(_HIDDEN, {"workshop_id": self.workshop.id}):
            sticky = self.stickies.get(row[0])
            if sticky is None:
                sticky = self.stickies[row[0]] = _StickyState(row)
            seen.add(sticky.id)
            if sticky.private and not sticky.deleted:
                hidden.append(sticky)
        hidden.extend(s for s in self.new_stickies.values()
                      if s.id not in seen and s.private and not s.deleted)
        for sticky in hidden:
            sticky.private = False
            sticky.version += 1
            self._changed(sticky)
        self.workshop.private_writing = False
        record = self._workshop_record()
        record["revealed"] = [rules.sticky_state(s, self.shown_votes(s.id)) for s in hidden]
        return record

    def _vote_budget(self, actor: Actor, op: Op) -> dict:
        self.workshop.vote_budget = op.fields["budget"]
        return self._workshop_record()

    def _vote_hide(self, actor: Actor, op: Op) -> dict:
        self.workshop.hide_votes = op.fields["on"]
        return self._workshop_record()

    def _workshop_close(self, actor: Actor, op: Op) -> dict:
        readonly = [p for p in self.template.phases if p.readonly]
        if readonly:
            self.workshop.phase = readonly[-1].key
        self.workshop.status = "closed"
        self.workshop.timer_ends_at = None
        self.workshop.timer_seconds = None
        return self._workshop_record()

    def _workshop_reopen(self, actor: Actor, op: Op) -> dict:
        # Open again in the phase it was closed in (wrap-up: read-only until the facilitator moves
        # the room to the phase to go on with). A workshop of a round that is over stays closed
        # (the discovery page refuses it too: services.discoveries.ensure_round_open).
        mine, latest = self.conn.execute(
            core_select(_W.c.round, core_select(func.max(_W.c.round)).where(
                _W.c.discovery_id == core_select(_W.c.discovery_id).where(_W.c.id == self.workshop.id)
                .scalar_subquery()).scalar_subquery()).where(_W.c.id == self.workshop.id)).one()
        if mine < latest:
            raise DomainError("earlier_round", f"This workshop belongs to round {mine}, which is over; "
                                               "its board stays read-only.")
        self.workshop.status = "open"
        return self._workshop_record()


def _sticky_ids(ops: list[Op]) -> set[str]:
    """Every sticky id the ops name (their target, a new sticky's id, a link)."""
    ids: set[str] = set()
    for op in ops:
        f = op.fields
        for value in (f.get("sticky_id"), f.get("id"), f.get("link_to"), f.get("changes", {}).get("link_to")):
            if isinstance(value, str):
                ids.add(value)
    return ids


def _write(conn, batches: list[_Batch], together: bool = False) -> None:
    """Everything the batches changed, one statement per table for all of them, in foreign-key order
    (the workshops in id order within each statement): executemany, or with `together` (PostgreSQL)
    one statement per table, all sent in one round trip (psycopg's pipeline mode; they still run one
    after the other, and the first failure fails the rest)."""
    new_stickies = [{"id": s.id, "workshop_id": s.workshop_id, "kind": s.kind, "text": s.text, "x": s.x, "y": s.y,
                     "duration_minutes": s.duration_minutes, "link_to": s.link_to, "author_id": s.author_id,
                     "author_name": s.author_name, "private": s.private, "deleted": s.deleted, "version": s.version,
                     "created_at": s.updated_at, "updated_at": s.updated_at}
                    for batch in batches for s in batch.new_stickies.values()]
    changed_stickies = [{"id": s.id, **{name: getattr(s, name) for name in _STICKY_MUTABLE}}
                        for batch in batches for s in batch.changed_stickies.values()]
    new_votes = [vote for batch in batches for vote in batch.new_votes]
    operations = [row for batch in batches for row in batch.operations]
    # The workshops' changed columns, by set of changed columns (a tick's workshops mostly change
    # `seq` alone: one statement).
    workshops: dict[tuple[str, ...], list[dict]] = {}
    for batch in batches:
        changes = batch.workshop.changes(batch.before)
        if changes:
            workshops.setdefault(tuple(changes), []).append({"id": batch.workshop.id, **changes})
    if together:
        statements = []
        if new_stickies:
            statements.append((_ARRAYS_INSERT_STICKY, _as_arrays(new_stickies, _NEW_STICKY_COLUMNS)))
        if changed_stickies:
            statements.append((_ARRAYS_UPDATE_STICKY, _as_arrays(changed_stickies, ("id",) + _STICKY_MUTABLE)))
        if new_votes:
            statements.append((_ARRAYS_INSERT_VOTE, _as_arrays(new_votes, _NEW_VOTE_COLUMNS)))
        if operations:
            statements.append((_ARRAYS_INSERT_OPERATION, _as_arrays(operations, _OPERATION_COLUMNS, ("result",))))
        for columns, rows in workshops.items():
            if columns not in _ARRAYS_UPDATE_WORKSHOP:
                _ARRAYS_UPDATE_WORKSHOP[columns] = _update_unnested(_W, columns)
            statements.append((_ARRAYS_UPDATE_WORKSHOP[columns], _as_arrays(rows, ("id",) + columns)))
        if statements:
            with conn.connection.dbapi_connection.pipeline():
                for statement, params in statements:
                    conn.execute(statement, params)
        return
    if new_stickies:
        conn.execute(_INSERT_STICKY, new_stickies)
    if changed_stickies:
        conn.execute(_UPDATE_STICKY, [{"b_" + name: value for name, value in row.items()} for row in changed_stickies])
    if new_votes:
        conn.execute(_INSERT_VOTE, new_votes)
    if operations:
        conn.execute(_INSERT_OPERATION, operations)
    for columns, rows in workshops.items():
        conn.execute(update(_W).where(_W.c.id == bindparam("b_id"))
                     .values({name: bindparam("b_" + name) for name in columns}),
                     [{"b_" + name: value for name, value in row.items()} for row in rows])


# psycopg's pipeline mode for the tick's reads and writes on PostgreSQL. BOARD_DB_PIPELINE=0 sends
# them one by one again (with IN lists and executemany), for the before/after measurement only.
_PIPELINE = os.environ.get("BOARD_DB_PIPELINE", "1") != "0"
_pipeline_supported: bool | None = None
_COMPILED: dict = {}


def _together(conn) -> bool:
    """Whether this connection sends the tick's statements together (PostgreSQL through psycopg 3,
    with a libpq that has pipeline mode)."""
    global _pipeline_supported
    if not _PIPELINE or conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    if _pipeline_supported is None:
        import psycopg
        _pipeline_supported = psycopg.Pipeline.is_supported()
    return _pipeline_supported


def _fetch_together(conn, queries: list[tuple[object, dict]]) -> list[list[tuple]]:
    """Several SELECTs' rows, in one round trip (psycopg's pipeline mode): the server still runs them
    one after the other, each seeing what was committed before it began, so a read sent after the
    locking SELECT sees what the lock waited for. SQLAlchemy reads no result in pipeline mode, so the
    statements (compiled once) go to psycopg's cursors; their values need no conversion (ids, text,
    numbers, booleans, timestamps)."""
    raw = conn.connection.dbapi_connection
    cursors = []
    try:
        with raw.pipeline():
            for statement, params in queries:
                key = (id(statement), type(conn.dialect))
                compiled = _COMPILED.get(key)
                if compiled is None:
                    compiled = _COMPILED[key] = statement.compile(dialect=conn.dialect)
                cursors.append(raw.cursor())
                cursors[-1].execute(compiled.string, compiled.construct_params(params))
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class BoardService:
    """Snapshot, resync and batch application over a Database (one session per call)."""

    def __init__(self, db: Database):
        self.db = db

    def apply_batch(self, workshop_id: int, submissions: list[Submission]) -> list[dict]:
        """Apply every submission's ops in order, in one transaction; fill each submission's results.

        Returns the committed records in sequence order (to broadcast). Every op is validated first,
        outside the transaction. Should applying or committing the batch fail all the same, the
        submissions are applied again one transaction each (a failing one, op by op), so only the
        op that fails is refused (`server_error`) and everyone else's ops still commit. Raises only
        when the workshop does not exist (nothing committed, no result given).
        """
        for submission in submissions:
            parse_submission(submission)
        try:
            return self._transaction(workshop_id, submissions)
        except NoResultFound:
            raise
        except Exception:
            if sum(len(s.raw_ops) for s in submissions) <= 1:
                raise
            log.exception("a batch of workshop %s failed; applying its submissions one by one", workshop_id)
        records: list[dict] = []
        for submission in submissions:
            records.extend(self._isolated(workshop_id, submission))
        return records

    def _isolated(self, workshop_id: int, submission: Submission) -> list[dict]:
        """One submission in its own transaction; if that fails, each of its ops in its own."""
        try:
            return self._transaction(workshop_id, [submission])
        except NoResultFound:
            raise
        except Exception:
            if len(submission.raw_ops) == 1:
                log.exception("an op of workshop %s could not be stored", workshop_id)
                submission.results = [_refusal(rules.op_id_of(submission.raw_ops[0]), *NOT_STORED)]
                return []
        records: list[dict] = []
        results: list[dict] = []
        for raw, parsed in zip(submission.raw_ops, submission.parsed):
            single = Submission(submission.actor, [raw], parsed=[parsed])
            records.extend(self._isolated(workshop_id, single))
            results.extend(single.results)
        submission.results = results
        return records

    # The reads and writes of apply_batches are made once for all the workshops. BOARD_READS_PER_ROOM=1
    # makes them once per workshop again (as before), in the same one transaction, for the
    # before/after measurement only (benchmarks/realtime.py --variants).
    READS_PER_ROOM = os.environ.get("BOARD_READS_PER_ROOM", "0") == "1"

    def apply_batches(self, batches: dict[int, list[Submission]]) -> dict[int, list[dict]]:
        """Several workshops' batches (one tick of a process) in ONE transaction: one commit, hence
        one fsync on SQLite, and the same few statements, however many boards are busy (issue 25,
        ADR 0020). Each workshop's batch is applied exactly as `apply_batch` applies it; the
        workshops are locked in id order, so two processes' ticks never wait on each other in a
        cycle. Raises on any failure, with nothing committed (NoResultFound when a workshop does not
        exist): the caller then applies each workshop's batch with `apply_batch` (and its isolation
        of a failing op)."""
        for submissions in batches.values():
            for submission in submissions:
                parse_submission(submission)
        with self.db.session() as session:
            conn = session.connection()
            if self.READS_PER_ROOM:  # as before: each workshop's statements one by one
                out = {workshop_id: self._apply_in(conn, {workshop_id: batches[workshop_id]}, False)[workshop_id]
                       for workshop_id in sorted(batches)}
            else:
                out = self._apply_in(conn, batches)
            session.commit()
            return out

    def _transaction(self, workshop_id: int, submissions: list[Submission]) -> list[dict]:
        with self.db.session() as session:
            records = self._apply_in(session.connection(), {workshop_id: submissions})[workshop_id]
            session.commit()
            return records

    def _apply_in(self, conn, batches: dict[int, list[Submission]], together: bool | None = None) -> dict[int, list[dict]]:
        """Workshops' batches inside the caller's transaction: lock the workshop rows and read the
        senders' seats, the applied op ids and the stickies, for all of them at once; apply every op
        in order, workshop by workshop in id order (filling each submission's results); write it
        all. With `together` (PostgreSQL, unless told otherwise), the three reads go in one round trip
        and the writes in another. Returns {workshop: its records in sequence order}."""
        if together is None:
            together = _together(conn)
        reads = _READS[together]
        workshop_ids = sorted(batches)
        ops = {workshop_id: [op for s in batches[workshop_id] for op in s.parsed if isinstance(op, Op)]
               for workshop_id in workshop_ids}  # the validated ones only
        senders = sorted({s.actor.participant_id for submissions in batches.values() for s in submissions})
        pairs = sorted({(workshop_id, op.id) for workshop_id, workshop_ops in ops.items() for op in workshop_ops})
        sticky_ids = sorted(_sticky_ids([op for workshop_ops in ops.values() for op in workshop_ops]))
        lock_params, applied_params, sticky_params = reads.params(workshop_ids, senders, pairs, sticky_ids)
        queries = [(reads.lock, lock_params)] + ([(reads.applied, applied_params)] if pairs else []) + \
            ([(reads.stickies, sticky_params)] if sticky_ids else [])
        if together:
            results = _fetch_together(conn, queries)
        else:
            results = [conn.execute(statement, params).all() for statement, params in queries]
        rows = results[0]
        applied_rows = results[1] if pairs else []
        sticky_rows = results[-1] if sticky_ids else []
        width = 3 + len(_WORKSHOP_STATE)
        by_workshop: dict[int, list] = {}
        for row in rows:
            by_workshop.setdefault(row[0], []).append(row)
        missing = [workshop_id for workshop_id in workshop_ids if workshop_id not in by_workshop]
        if missing:
            raise NoResultFound(f"workshop {missing[0]} does not exist")
        applied: dict[int, dict[str, tuple[int, int | None]]] = {workshop_id: {} for workshop_id in workshop_ids}
        for workshop_id, op_id, seq, sender in applied_rows:
            applied[workshop_id][op_id] = (seq, sender)
        stickies: dict[str, _StickyState] = {}
        votes: dict[str, int] = {}
        for row in sticky_rows:
            stickies[row[0]] = _StickyState(row)
            if row[-1]:
                votes[row[0]] = row[-1]
        done: list[_Batch] = []
        for workshop_id in workshop_ids:
            rows = by_workshop[workshop_id]
            workshop = _WorkshopState(rows[0][:width])
            # The senders as the database knows them now: a role is checked on every event, not only
            # at connect (a seat removed or demoted since the socket connected no longer counts, nor
            # the seat of an account deactivated since).
            seats: dict[int, Actor] = {}
            inactive: set[int] = set()
            lapsed: set[int] = set()  # an account's seat whose rights ended (ADR 0019)
            dots_used: dict[int, int] = {}
            for row in rows:
                if row[width] is not None:
                    if row[width + 4] is False or row[width + 4] == 0:
                        inactive.add(row[width])
                        continue
                    user_id, role, is_admin, member = row[width + 5:width + 9]
                    if user_id is not None and not keeps_board_seat(
                            True, Account(user_id, role, bool(is_admin)), {user_id} if member else set()):
                        lapsed.add(row[width])
                        continue
                    seats[row[width]] = Actor(row[width], row[width + 1], row[width + 2])
                    dots_used[row[width]] = row[width + 3]
            batch = _Batch(conn, workshop, rows[0][3:width], dots_used, applied[workshop_id], stickies, votes)
            self._apply_submissions(batch, batches[workshop_id], seats, inactive, lapsed)
            done.append(batch)
        _write(conn, done, together)
        return {batch.workshop.id: batch.records for batch in done}

    def _apply_submissions(self, batch: _Batch, submissions: list[Submission], seats: dict[int, Actor],
                           inactive: set[int], lapsed: set[int]) -> None:
        for submission in submissions:
            submission.results = []
            sender = submission.actor.participant_id
            actor = seats.get(sender)
            for raw, parsed in zip(submission.raw_ops, submission.parsed):
                if sender in inactive:
                    submission.results.append(_refusal(rules.op_id_of(raw), "account_inactive",
                                                       "This account is deactivated; ask an admin."))
                elif sender in lapsed:
                    submission.results.append(_refusal(rules.op_id_of(raw), "rights_ended",
                                                       "You may no longer run this board; open it again "
                                                       "from its discovery page if you still may."))
                elif actor is None:
                    submission.results.append(_refusal(rules.op_id_of(raw), "unknown_participant",
                                                       "Join the workshop from its link first."))
                else:
                    submission.results.append(self._apply_one(batch, actor, parsed))

    @staticmethod
    def _apply_one(batch: _Batch, actor: Actor, op) -> dict:
        if not isinstance(op, Op):
            return op  # refused by validation
        if op.id in batch.applied:
            seq, sender = batch.applied[op.id]
            if sender != actor.participant_id:
                return _refusal(op.id, "op_id_taken", "Another participant's operation has this id; "
                                                      "send yours with a new id.")
            return {"id": op.id, "ok": True, "seq": seq, "duplicate": True}
        try:
            record = batch.apply(actor, op)  # every rule is checked before anything changes
        except DomainError as error:
            return {"id": op.id, "ok": False, "error": error.as_dict()}
        return {"id": op.id, "ok": True, "seq": record["seq"]}

    def snapshot(self, workshop_id: int, viewer: Actor) -> dict:
        with self.db.session() as session:
            workshop = session.get(Workshop, workshop_id)
            if workshop is None:
                raise NotFound("unknown_workshop", "This workshop no longer exists.")
            stickies = list(session.exec(select(Sticky).where(
                Sticky.workshop_id == workshop_id, Sticky.deleted == False,  # noqa: E712
                (Sticky.private == False) | (Sticky.author_id == viewer.participant_id))))  # noqa: E712
            votes = dict(session.exec(select(Vote.sticky_id, func.count()).where(Vote.workshop_id == workshop_id)
                                      .group_by(Vote.sticky_id)).all())
            placed = sum(votes.values())
            # how many dots each person has placed, never where: who has placed all theirs
            by_person = session.exec(select(Vote.participant_id, func.count()).where(Vote.workshop_id == workshop_id)
                                     .group_by(Vote.participant_id)).all()
            if rules.votes_hidden(workshop, get_template(workshop.template)):
                votes = {}  # blind voting: others' dots are not sent (the viewer's own are in my_votes)
            mine = dict(session.exec(select(Vote.sticky_id, func.count()).where(
                Vote.workshop_id == workshop_id, Vote.participant_id == viewer.participant_id)
                .group_by(Vote.sticky_id)).all())
            hidden = session.exec(select(func.count()).select_from(Sticky).where(
                Sticky.workshop_id == workshop_id, Sticky.deleted == False, Sticky.private == True,  # noqa: E712
                Sticky.author_id != viewer.participant_id)).one()
            return {
                "seq": workshop.seq, "serverTime": _iso(_now()), "workshop": rules.workshop_state(workshop),
                "stickies": [rules.sticky_state(s, votes.get(s.id, 0)) for s in stickies], "my_votes": mine,
                "hidden_count": hidden,  # others' private stickies: what a reveal will show this viewer
                "votes_placed": placed,  # everyone's dots in all (the facilitator's progress while hidden)
                "votes_by": {str(pid): n for pid, n in by_person},  # participant id -> dots placed
            }

    def ops_since(self, workshop_id: int, since: int, viewer: Actor) -> dict:
        with self.db.session() as session:
            rows = list(session.exec(select(Operation.result).where(
                Operation.workshop_id == workshop_id, Operation.seq > since)
                .order_by(Operation.seq).limit(RESYNC_LIMIT + 1)))
        if len(rows) > RESYNC_LIMIT:
            snapshot = self.snapshot(workshop_id, viewer)
            return {"seq": snapshot["seq"], "snapshot": snapshot}
        ops = [rules.redact(record, viewer.participant_id) for record in rows]
        seq = ops[-1]["seq"] if ops else since
        if not ops:
            with self.db.session() as session:
                workshop = session.get(Workshop, workshop_id)
                seq = workshop.seq if workshop else since
            if since > seq:  # the client saw a history this workshop does not have: start it afresh
                snapshot = self.snapshot(workshop_id, viewer)
                return {"seq": snapshot["seq"], "snapshot": snapshot}
        return {"seq": seq, "ops": ops}

    def current_seq(self, workshop_id: int) -> int:
        """The workshop's last committed sequence number (0 for an unknown workshop)."""
        with self.db.session() as session:
            workshop = session.get(Workshop, workshop_id)
            return workshop.seq if workshop else 0

    def seats_of_user(self, user_id: int) -> dict[int, set[int]]:
        """The board seats (participants) of an account, by workshop."""
        seats: dict[int, set[int]] = {}
        with self.db.session() as session:
            for workshop_id, participant_id in session.exec(
                    select(Participant.workshop_id, Participant.id).where(Participant.user_id == user_id)):
                seats.setdefault(workshop_id, set()).add(participant_id)
        return seats

    def account_states(self, user_ids) -> dict[int, tuple[bool, str]]:
        """Whether each account is active, and its password hash (a change ends its board sockets)."""
        if not user_ids:
            return {}
        with self.db.session() as session:
            rows = session.exec(select(User.id, User.is_active, User.password_hash)
                                .where(User.id.in_(list(user_ids)))).all()
        return {user_id: (bool(active), password_hash) for user_id, active, password_hash in rows}

    def lapsed(self, seats: dict) -> set:
        """Which of these open seats no longer hold (key -> (workshop id, account id, password hash at
        connect)): the account is gone, inactive, has a new password, or may no longer run the
        workshop's discovery (the one rule, ADR 0019). Each process's account sweep asks this."""
        if not seats:
            return set()
        user_ids = {user_id for _, user_id, _ in seats.values()}
        workshop_ids = {workshop_id for workshop_id, _, _ in seats.values()}
        with self.db.session() as session:
            users = {row[0]: row for row in session.exec(
                select(User.id, User.is_active, User.password_hash, User.role, User.is_admin)
                .where(User.id.in_(list(user_ids)))).all()}
            discovery_of = dict(session.exec(select(Workshop.id, Workshop.discovery_id)
                                             .where(Workshop.id.in_(list(workshop_ids)))).all())
            members = set(session.exec(select(DiscoveryMember.discovery_id, DiscoveryMember.user_id)
                                       .where(DiscoveryMember.user_id.in_(list(user_ids)))).all())
        gone = set()
        for key, (workshop_id, user_id, password_hash) in seats.items():
            user = users.get(user_id)
            discovery_id = discovery_of.get(workshop_id)
            if user is None or discovery_id is None or user[2] != password_hash or not keeps_board_seat(
                    user[1], Account(user_id, user[3], bool(user[4])),
                    {user_id} if (discovery_id, user_id) in members else set()):
                gone.add(key)
        return gone
