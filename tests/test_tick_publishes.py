"""Issue 25: with the Redis message queue, a tick's room messages go to the other processes in one
round trip (realtime/queue.py), not one publish per room, and then to this process's sockets, in the
order they were made; a publish or a delivery from any other greenlet is never held back behind the
tick's."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager

from tests.board_helpers import create
from tests.test_tick_many_rooms import _SocketIO, _facilitator, _queue
from tests.board_helpers import make_workshop
from workshop.realtime.hub import LocalPresence, RoomHub, room_of
from workshop.realtime.queue import TickRedisManager
from workshop.services.board import BoardService, Submission


class _FakeRedis:
    """Counts round trips: each publish alone, each pipeline's execute."""

    def __init__(self):
        self.round_trips: list[list[dict]] = []

    def publish(self, channel, message):
        self.round_trips.append([json.loads(message)])

    def pipeline(self, transaction=True):
        sent = []
        redis = self

        class _Pipeline:
            def publish(self, channel, message):
                sent.append(json.loads(message))

            def execute(self):
                redis.round_trips.append(sent)
        return _Pipeline()


def _manager() -> tuple[TickRedisManager, _FakeRedis]:
    manager = TickRedisManager("redis://127.0.0.1:6379/0", channel="test")
    fake = _FakeRedis()
    manager.redis, manager.connected, manager.json = fake, True, json
    return manager, fake


def test_the_publishes_of_a_held_block_go_out_together_in_their_order():
    manager, redis = _manager()
    manager._publish({"n": 0})
    with manager.held():
        for n in (1, 2, 3):
            manager._publish({"n": n})
        assert redis.round_trips == [[{"n": 0}]]  # nothing of the block yet
    assert redis.round_trips == [[{"n": 0}], [{"n": 1}, {"n": 2}, {"n": 3}]]
    manager._publish({"n": 4})
    assert redis.round_trips[-1] == [{"n": 4}]  # after the block: one by one again


def test_another_thread_publishes_at_once_while_a_block_is_held():
    manager, redis = _manager()
    with manager.held():
        manager._publish({"tick": 1})
        other = threading.Thread(target=manager._publish, args=({"handler": 1},))
        other.start()
        other.join()
        assert redis.round_trips == [[{"handler": 1}]]
    assert redis.round_trips == [[{"handler": 1}], [{"tick": 1}]]


def test_an_empty_block_sends_nothing_and_a_failed_send_is_retried_once(caplog):
    manager, redis = _manager()
    with manager.held():
        pass
    assert redis.round_trips == []
    calls = []

    def flaky_connect():
        calls.append(1)
        manager.redis, manager.connected = redis, True

    manager._redis_connect = flaky_connect
    broken = _FakeRedis()
    broken.pipeline = lambda transaction=True: (_ for _ in ()).throw(ConnectionError("gone"))
    manager.redis = broken
    with manager.held():
        manager._publish({"n": 1})
    assert calls == [1] and redis.round_trips == [[{"n": 1}]]


def test_a_tick_sends_its_rooms_messages_inside_one_held_block(db):
    rooms = []
    for team in ("Payments", "Search"):
        workshop_id, _, _ = make_workshop(db, team=team)
        rooms.append((workshop_id, _facilitator(db, workshop_id)))
    socketio = _SocketIO()
    hub = RoomHub(socketio, BoardService(db), 0.025, LocalPresence())
    hub._ensure_running = lambda: None
    blocks = []

    @contextmanager
    def held():
        blocks.append(len(socketio.emitted))
        yield
        blocks.append(len(socketio.emitted))

    hub.held_publishes = held
    for workshop_id, fac in rooms:
        _queue(hub, workshop_id, Submission(fac, [create(text="one")]))
    hub.tick()
    rooms_sent = [to for event, _, to in socketio.emitted if event == "ops"]
    assert sorted(rooms_sent) == sorted(room_of(w) for w, _ in rooms)
    assert blocks == [0, len(socketio.emitted)]  # one block, every message of the tick inside it


def test_a_held_blocks_messages_go_to_the_other_processes_first_then_here_in_their_order(monkeypatch):
    """The other processes' clients used to wait for every local delivery of the tick before theirs
    were published; now the one pipeline goes first. Another greenlet's delivery (the listener
    handing over another process's message) is not held."""
    manager, redis = _manager()
    events: list = []
    monkeypatch.setattr("socketio.pubsub_manager.PubSubManager._handle_emit",
                        lambda self, message: events.append(("here", message["n"])))
    execute = redis.pipeline

    def pipeline(transaction=True):
        inner = execute(transaction)
        real = inner.execute
        inner.execute = lambda: (real(), events.append(("published", len(redis.round_trips[-1]))))
        return inner
    redis.pipeline = pipeline
    with manager.held():
        for n in (1, 2):
            manager._handle_emit({"n": n})
            manager._publish({"n": n})
        listener = threading.Thread(target=manager._handle_emit, args=({"n": 99},))
        listener.start()
        listener.join()
        assert events == [("here", 99)]  # the tick's own wait for the end of the block
    assert events == [("here", 99), ("published", 2), ("here", 1), ("here", 2)]
    manager._handle_emit({"n": 3})  # after the block: at once again
    assert events[-1] == ("here", 3)


def test_the_old_order_is_one_setting_away(monkeypatch):
    monkeypatch.setenv("BOARD_PUBLISH_AFTER_LOCAL", "1")
    manager, redis = _manager()
    events: list = []
    monkeypatch.setattr("socketio.pubsub_manager.PubSubManager._handle_emit",
                        lambda self, message: events.append(("here", message["n"])))
    with manager.held():
        manager._handle_emit({"n": 1})
        manager._publish({"n": 1})
        assert events == [("here", 1)] and redis.round_trips == []
    assert redis.round_trips == [[{"n": 1}]]
