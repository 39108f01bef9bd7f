"""Issue 25 / ADR 0020: the rooms due in one tick commit in ONE transaction (one fsync on SQLite
however many boards are busy), each room's batch applied exactly as on its own; should the shared
transaction fail, nothing of it is committed and every room commits on its own as before."""
from __future__ import annotations

from sqlmodel import select

from tests.board_helpers import create, make_workshop
from workshop.db.models import Participant
from workshop.domain.board import Actor
from workshop.realtime.hub import LocalPresence, RoomHub, _Pending, room_of
from workshop.services.board import BoardService, Submission


class _Event:
    def __init__(self):
        self.done = False

    def set(self):
        self.done = True


class _SocketIO:
    def __init__(self):
        self.emitted: list[tuple[str, dict, str]] = []

    def emit(self, event, payload, to=None):
        self.emitted.append((event, payload, to))


def _facilitator(db, workshop_id: int) -> Actor:
    with db.session() as session:
        fac = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                     Participant.is_facilitator == True)).one()  # noqa: E712
        return Actor(fac.id, fac.name, True)


def _two_rooms(db):
    rooms = []
    for team in ("Payments", "Search"):
        workshop_id, _, _ = make_workshop(db, team=team)
        rooms.append((workshop_id, _facilitator(db, workshop_id)))
    return rooms


def test_two_workshops_commit_in_one_transaction_each_with_its_own_sequence(db):
    (w1, f1), (w2, f2) = _two_rooms(db)
    service = BoardService(db)
    a, b = Submission(f1, [create(text="one"), create(text="two")]), Submission(f2, [create(text="three")])
    records = service.apply_batches({w2: [b], w1: [a]})
    assert [r["seq"] for r in records[w1]] == [1, 2] and [r["seq"] for r in records[w2]] == [1]
    assert all(result["ok"] for result in a.results + b.results), (a.results, b.results)
    assert service.current_seq(w1) == 2 and service.current_seq(w2) == 1


def _hub(db, service):
    socketio = _SocketIO()
    hub = RoomHub(socketio, service, 0.025, LocalPresence())
    hub._ensure_running = lambda: None
    return hub, socketio


def _queue(hub, workshop_id, submission):
    pending = _Pending(submission, _Event())
    hub._pending.setdefault(workshop_id, []).append(pending)
    return pending


def test_a_tick_with_several_due_rooms_commits_once_and_sends_each_room_its_own_ops(db, monkeypatch):
    (w1, f1), (w2, f2) = _two_rooms(db)
    service = BoardService(db)
    calls = []
    monkeypatch.setattr(service, "apply_batch", lambda *args: calls.append(args) or [])
    hub, socketio = _hub(db, service)
    p1 = _queue(hub, w1, Submission(f1, [create(text="one")]))
    p2 = _queue(hub, w2, Submission(f2, [create(text="two")]))
    hub.tick()
    assert calls == []  # no transaction per room
    assert p1.event.done and p2.event.done
    assert p1.submission.results[0]["ok"] and p2.submission.results[0]["ok"]
    sent = {to: [r["sticky"]["text"] for r in payload["ops"]] for event, payload, to in socketio.emitted if event == "ops"}
    assert sent == {room_of(w1): ["one"], room_of(w2): ["two"]}  # never another board's op


def test_when_the_shared_transaction_fails_each_room_commits_on_its_own(db):
    (w1, f1), _ = _two_rooms(db)
    service = BoardService(db)
    hub, socketio = _hub(db, service)
    good = _queue(hub, w1, Submission(f1, [create(text="kept")]))
    gone = _queue(hub, w1 + 999, Submission(f1, [create(text="nowhere")]))  # a workshop that does not exist
    hub.tick()
    assert good.submission.results[0]["ok"], good.submission.results
    assert gone.submission.results[0]["error"]["code"] == "board_deleted"  # a final answer (issue 23), not a retry
    assert service.current_seq(w1) == 1
    assert [payload["ops"][0]["sticky"]["text"] for event, payload, to in socketio.emitted if event == "ops"] == ["kept"]
