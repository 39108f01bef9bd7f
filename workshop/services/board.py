"""The live board's use cases: apply a tick's operations in one transaction, snapshot, resync.

Knows nothing of Socket.IO: the realtime adapter hands it batches and broadcasts what it returns.
Serialisation: each batch locks its workshop row (SELECT ... FOR UPDATE on PostgreSQL; SQLite has
one writer at a time), so sequence numbers stay gap-free and ordered across processes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, select

from ..db.engine import Database
from ..db.models import Operation, Participant, Sticky, Vote, Workshop
from ..domain import board as rules
from ..domain.board import Actor, Op
from ..domain.errors import DomainError, NotFound
from ..domain.templates import get_template

RESYNC_LIMIT = 500


@dataclass
class Submission:
    """One client message: its sender and its raw ops, in order."""
    actor: Actor
    raw_ops: list
    results: list = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class _Batch:
    """Working state of one transaction: the locked workshop and caches of what the ops touch."""

    def __init__(self, session: Session, workshop: Workshop, submissions: list[Submission]):
        self.session = session
        self.workshop = workshop
        self.template = get_template(workshop.template)
        self.records: list[dict] = []
        raws = [raw for s in submissions for raw in s.raw_ops]
        ids = {rules.op_id_of(raw) for raw in raws} - {None}
        self.applied: dict[str, int] = {}
        if ids:
            self.applied = dict(session.exec(select(Operation.op_id, Operation.seq).where(
                Operation.workshop_id == workshop.id, Operation.op_id.in_(ids))).all())
        sticky_ids: set[str] = set()
        for raw in raws:
            if isinstance(raw, dict):
                for key in ("sticky_id",):
                    if isinstance(raw.get(key), str):
                        sticky_ids.add(raw[key])
                for holder in (raw.get("sticky"), raw.get("changes")):
                    if isinstance(holder, dict):
                        for key in ("id", "link_to"):
                            if isinstance(holder.get(key), str):
                                sticky_ids.add(holder[key])
        self.stickies: dict[str, Sticky] = {}
        self.votes: dict[str, int] = {}
        if sticky_ids:
            self.stickies = {s.id: s for s in session.exec(select(Sticky).where(Sticky.id.in_(sticky_ids)))}
            self.votes = dict(session.exec(select(Vote.sticky_id, func.count()).where(
                Vote.sticky_id.in_(sticky_ids)).group_by(Vote.sticky_id)).all())
        self._budget_used: dict[int, int] = {}

    def sticky(self, sticky_id: str) -> Sticky | None:
        sticky = self.stickies.get(sticky_id)
        if sticky is not None and sticky.workshop_id != self.workshop.id:
            return None  # rooms are isolated: another workshop's sticky does not exist here
        return sticky

    def visible_to(self, actor: Actor, sticky_id: str) -> bool:
        sticky = self.sticky(sticky_id)
        return sticky is not None and not sticky.deleted and (not sticky.private or sticky.author_id == actor.participant_id)

    def budget_used(self, participant_id: int) -> int:
        if participant_id not in self._budget_used:
            self._budget_used[participant_id] = self.session.exec(select(func.count()).select_from(Vote).where(
                Vote.workshop_id == self.workshop.id, Vote.participant_id == participant_id)).one()
        return self._budget_used[participant_id]

    def _changeable(self, actor: Actor, sticky_id: str) -> Sticky:
        """The sticky an update or delete targets; someone else's private sticky does not exist."""
        sticky = self.sticky(sticky_id)
        if sticky is not None and sticky.private and sticky.author_id != actor.participant_id:
            sticky = None
        rules.check_can_change(actor, sticky)
        return sticky

    # --- one operation ---------------------------------------------------------------------

    def apply(self, actor: Actor, op: Op) -> dict:
        rules.check_facilitator(actor, op)
        rules.check_board_writable(actor, self.workshop, self.template, op.type)
        handler = getattr(self, "_" + op.type.replace(".", "_"))
        record = handler(actor, op)
        self.workshop.seq += 1
        record.update({"seq": self.workshop.seq, "id": op.id, "type": op.type, "by": actor.participant_id,
                       "at": _iso(_now())})
        self.session.add(Operation(workshop_id=self.workshop.id, seq=record["seq"], op_id=op.id,
                                   participant_id=actor.participant_id, type=op.type,
                                   private_to=record.get("private_to"), result=record))
        self.applied[op.id] = record["seq"]
        self.records.append(record)
        return record

    def _sticky_record(self, sticky: Sticky) -> dict:
        return {"sticky": rules.sticky_state(sticky, self.votes.get(sticky.id, 0)),
                "private_to": sticky.author_id if sticky.private else None}

    def _sticky_create(self, actor: Actor, op: Op) -> dict:
        f = op.fields
        rules.check_can_create(actor, self.workshop, self.template, f["kind"])
        if f["id"] in self.stickies:
            raise DomainError("duplicate_sticky", "A sticky with this id exists already.")
        if f["link_to"] is not None and not self.visible_to(actor, f["link_to"]):
            raise NotFound("unknown_sticky", "The sticky to link to does not exist.")
        sticky = Sticky(id=f["id"], workshop_id=self.workshop.id, kind=f["kind"], text=f["text"], x=f["x"], y=f["y"],
                        duration_minutes=f["duration_minutes"], link_to=f["link_to"], author_id=actor.participant_id,
                        author_name=actor.name, private=self.workshop.private_writing and not actor.facilitator)
        self.session.add(sticky)
        self.stickies[sticky.id] = sticky
        return self._sticky_record(sticky)

    def _sticky_update(self, actor: Actor, op: Op) -> dict:
        sticky = self._changeable(actor, op.fields["sticky_id"])
        rules.apply_sticky_changes(sticky, op.fields["changes"], lambda sid: self.visible_to(actor, sid))
        sticky.updated_at = _now()
        self.session.add(sticky)
        return self._sticky_record(sticky)

    def _sticky_delete(self, actor: Actor, op: Op) -> dict:
        sticky = self._changeable(actor, op.fields["sticky_id"])
        sticky.deleted = True
        sticky.version += 1
        sticky.updated_at = _now()
        self.session.add(sticky)
        return self._sticky_record(sticky)

    def _vote_add(self, actor: Actor, op: Op) -> dict:
        sticky = self.sticky(op.fields["sticky_id"])
        rules.check_can_vote(self.workshop, self.template, sticky)
        rules.check_vote_budget(self.workshop, self.budget_used(actor.participant_id))
        self.session.add(Vote(workshop_id=self.workshop.id, sticky_id=sticky.id, participant_id=actor.participant_id))
        self._budget_used[actor.participant_id] += 1
        self.votes[sticky.id] = self.votes.get(sticky.id, 0) + 1
        return {"vote": {"sticky_id": sticky.id, "delta": 1, "total": self.votes[sticky.id]}}

    def _vote_remove(self, actor: Actor, op: Op) -> dict:
        sticky = self.sticky(op.fields["sticky_id"])
        rules.check_can_vote(self.workshop, self.template, sticky)
        self.session.flush()
        vote = self.session.exec(select(Vote).where(Vote.sticky_id == sticky.id,
                                                    Vote.participant_id == actor.participant_id)
                                 .order_by(Vote.id.desc())).first()
        if vote is None:
            raise DomainError("no_vote_to_remove", "You have no dot on this sticky.")
        self.session.delete(vote)
        self._budget_used[actor.participant_id] = self.budget_used(actor.participant_id) - 1
        self.votes[sticky.id] = self.votes.get(sticky.id, 1) - 1
        return {"vote": {"sticky_id": sticky.id, "delta": -1, "total": self.votes[sticky.id]}}

    def _workshop_record(self) -> dict:
        self.session.add(self.workshop)
        return {"workshop": rules.workshop_state(self.workshop)}

    def _phase_set(self, actor: Actor, op: Op) -> dict:
        self.workshop.phase = self.template.phase(op.fields["phase"]).key
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
        self.session.flush()
        hidden = list(self.session.exec(select(Sticky).where(Sticky.workshop_id == self.workshop.id,
                                                             Sticky.private == True,  # noqa: E712
                                                             Sticky.deleted == False)))  # noqa: E712
        for sticky in hidden:
            sticky.private = False
            sticky.version += 1
            self.session.add(sticky)
            self.stickies[sticky.id] = sticky
        self.workshop.private_writing = False
        record = self._workshop_record()
        record["revealed"] = [rules.sticky_state(s, self.votes.get(s.id, 0)) for s in hidden]
        return record

    def _vote_budget(self, actor: Actor, op: Op) -> dict:
        self.workshop.vote_budget = op.fields["budget"]
        return self._workshop_record()

    def _workshop_close(self, actor: Actor, op: Op) -> dict:
        readonly = [p for p in self.template.phases if p.readonly]
        if readonly:
            self.workshop.phase = readonly[-1].key
        self.workshop.status = "closed"
        self.workshop.timer_ends_at = None
        self.workshop.timer_seconds = None
        return self._workshop_record()


class BoardService:
    """Snapshot, resync and batch application over a Database (one session per call)."""

    def __init__(self, db: Database):
        self.db = db

    def apply_batch(self, workshop_id: int, submissions: list[Submission]) -> list[dict]:
        """Apply every submission's ops in order, in one transaction; fill each submission's results.

        Returns the committed records in sequence order (to broadcast). Raises only on a storage
        failure, in which case nothing was committed and no result was given.
        """
        with self.db.session() as session:
            workshop = session.exec(select(Workshop).where(Workshop.id == workshop_id).with_for_update()).one()
            batch = _Batch(session, workshop, submissions)
            seats = self._current_seats(session, workshop_id, submissions)
            for submission in submissions:
                submission.results = []
                actor = seats.get(submission.actor.participant_id)
                for raw in submission.raw_ops:
                    if actor is None:
                        submission.results.append({"id": rules.op_id_of(raw), "ok": False, "error": {
                            "code": "unknown_participant", "message": "Join the workshop from its link first."}})
                    else:
                        submission.results.append(self._apply_one(batch, actor, raw))
            session.add(workshop)
            session.commit()
            return batch.records

    @staticmethod
    def _current_seats(session: Session, workshop_id: int, submissions: list[Submission]) -> dict[int, Actor]:
        """The senders as the database knows them now: a role is checked on every event, not only
        at connect (a seat removed or demoted since the socket connected no longer counts)."""
        ids = {submission.actor.participant_id for submission in submissions}
        rows = session.exec(select(Participant).where(Participant.id.in_(ids),
                                                      Participant.workshop_id == workshop_id))
        return {p.id: Actor(p.id, p.name, p.is_facilitator) for p in rows}

    @staticmethod
    def _apply_one(batch: _Batch, actor: Actor, raw) -> dict:
        op_id = rules.op_id_of(raw)
        if op_id is not None and op_id in batch.applied:
            return {"id": op_id, "ok": True, "seq": batch.applied[op_id], "duplicate": True}
        try:
            op = rules.parse_op(raw)
            record = batch.apply(actor, op)  # every rule is checked before anything changes
        except DomainError as error:
            return {"id": op_id, "ok": False, "error": error.as_dict()}
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
            mine = dict(session.exec(select(Vote.sticky_id, func.count()).where(
                Vote.workshop_id == workshop_id, Vote.participant_id == viewer.participant_id)
                .group_by(Vote.sticky_id)).all())
            return {
                "seq": workshop.seq, "serverTime": _iso(_now()), "workshop": rules.workshop_state(workshop),
                "stickies": [rules.sticky_state(s, votes.get(s.id, 0)) for s in stickies], "my_votes": mine,
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
        return {"seq": seq, "ops": ops}

    def actor_for(self, workshop_id: int, participant_id: int) -> Actor | None:
        with self.db.session() as session:
            participant = session.get(Participant, participant_id)
            if participant is None or participant.workshop_id != workshop_id:
                return None
            return Actor(participant.id, participant.name, participant.is_facilitator)
