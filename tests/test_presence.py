"""Presence across processes (Redis): a dead process's participants stop looking online."""
import os
import uuid

import pytest

from workshop.realtime.hub import LocalPresence, RedisPresence

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def channel():
    import redis
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception:
        if os.environ.get("CI"):
            pytest.fail("Redis at 127.0.0.1:6379 is required in CI")
        pytest.skip("Redis is not running here")
    name = f"storming-test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def person(pid, name, facilitator=False):
    return {"id": pid, "name": name, "team": "Payments", "facilitator": facilitator, "online": True}


def test_two_processes_share_one_room_and_several_tabs_count_once(channel):
    a, b = RedisPresence(REDIS, channel), RedisPresence(REDIS, channel)
    a.add(7, "sid-1", person(1, "Ann"))
    a.add(7, "sid-2", person(1, "Ann"))
    b.add(7, "sid-3", person(2, "Fran", facilitator=True))
    assert [p["name"] for p in b.list(7)] == ["Fran", "Ann"]
    a.remove(7, "sid-1")
    a.remove(7, "sid-2")
    assert [p["name"] for p in a.list(7)] == ["Fran"]


def test_a_dead_process_participants_disappear_when_its_heartbeat_expires(channel):
    import redis
    survivor, dead = RedisPresence(REDIS, channel), RedisPresence(REDIS, channel)
    survivor.add(9, "sid-a", person(1, "Ann"))
    dead.add(9, "sid-b", person(2, "Bob"))
    assert {p["name"] for p in survivor.list(9)} == {"Ann", "Bob"}
    redis.Redis.from_url(REDIS).delete(f"{channel}:presence:alive:{dead.process}")  # as if TTL ran out
    assert [p["name"] for p in survivor.list(9)] == ["Ann"]
    assert redis.Redis.from_url(REDIS).hlen(f"{channel}:presence:9") == 1  # the stale entry is gone


def test_local_presence_is_per_process():
    presence = LocalPresence()
    presence.add(1, "s1", person(1, "Ann"))
    presence.add(1, "s2", person(2, "Fran", facilitator=True))
    presence.beat()
    assert [p["name"] for p in presence.list(1)] == ["Fran", "Ann"]
