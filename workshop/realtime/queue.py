"""The Redis message queue of a scaled-out deployment (ADR 0007), with the tick's publishes sent together.

python-socketio's RedisManager delivers each emit to this process's own sockets at once, then
publishes it to the other processes: one Redis round trip per emit, and under gevent every round
trip hands the hub to every other ready greenlet before the tick goes on. A tick that sends 20 rooms
their messages waited 20 times (issue 25, docs/benchmarks.md "Round trips per tick on PostgreSQL").
Here the publishes the tick's greenlet makes inside `held()` are kept, then sent in one pipeline of
PUBLISH commands (one round trip, in the order they were made) when the block ends. Local delivery
is unchanged (it happens before the publish), and a publish from any other greenlet (a handler, a
disconnect over the queue) goes out at once, as before, so nothing it orders is reordered.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Iterator

import socketio

log = logging.getLogger(__name__)


class TickRedisManager(socketio.RedisManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held: list | None = None
        self._holder: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep this greenlet's publishes until the block ends, then send them in one round trip."""
        if self._held is not None:  # already holding (never nested by the hub): publish as it goes
            yield
            return
        self._held, self._holder = [], threading.get_ident()
        try:
            yield
        finally:
            held, self._held, self._holder = self._held, None, None
            if held:
                self._publish_all(held)

    def _publish(self, data):
        if self._held is not None and threading.get_ident() == self._holder:
            self._held.append(data)
            return None
        return super()._publish(data)

    def _publish_all(self, messages: list) -> None:
        """As RedisManager._publish, for several messages: two attempts, reconnecting in between. A
        retry after a partial failure can publish a message twice, as python-socketio's own retry can;
        a client applies a record only when its seq follows the last one it applied."""
        for retries_left in (1, 0):
            try:
                if not self.connected:
                    self._redis_connect()
                pipeline = self.redis.pipeline(transaction=False)
                for message in messages:
                    pipeline.publish(self.channel, self.json.dumps(message))
                pipeline.execute()
                return
            except Exception as error:
                if retries_left:
                    log.error("cannot publish %d messages to redis (%s): retrying", len(messages), error)
                    self.connected = False
                else:
                    log.error("cannot publish %d messages to redis (%s): giving up", len(messages), error)
