"""The Redis message queue of a scaled-out deployment (ADR 0007), with the tick's publishes sent together.

python-socketio's RedisManager delivers each emit to this process's own sockets at once, then
publishes it to the other processes: one Redis round trip per emit, and under gevent every round
trip hands the hub to every other ready greenlet before the tick goes on. A tick that sends 20 rooms
their messages waited 20 times (issue 25, docs/benchmarks.md "Round trips per tick on PostgreSQL").
Here the publishes the tick's greenlet makes inside `held()` are kept, then sent in one pipeline of
PUBLISH commands (one round trip, in the order they were made) when the block ends, and only then are
the same messages delivered to this process's own sockets, in the order they were made: the other
processes' clients no longer wait for every local delivery of the tick before theirs leave (holding
the publishes to the end of the tick had cost them that; docs/benchmarks.md). A publish or an emit
from any other greenlet (a handler, the queue's listener delivering another process's messages) goes
out at once, as before, so nothing it orders is reordered. `BOARD_PUBLISH_AFTER_LOCAL=1` delivers
locally at once and publishes at the end, as before this change (for measuring only).
"""
from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from typing import Iterator

import socketio

log = logging.getLogger(__name__)


class TickRedisManager(socketio.RedisManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._held: list | None = None
        self._local: list = []      # this greenlet's messages for this process's sockets, while held
        self._holder: int | None = None
        self.publish_first = os.environ.get("BOARD_PUBLISH_AFTER_LOCAL", "0") != "1"

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep this greenlet's publishes until the block ends, then send them in one round trip."""
        if self._held is not None:  # already holding (never nested by the hub): publish as it goes
            yield
            return
        self._held, self._local, self._holder = [], [], threading.get_ident()
        try:
            yield
        finally:
            held, local = self._held, self._local
            self._held, self._local, self._holder = None, [], None
            try:
                if held:
                    self._publish_all(held)
            finally:
                for message in local:  # delivered here whatever became of the publish
                    super()._handle_emit(message)

    def _holding(self) -> bool:
        return self._held is not None and threading.get_ident() == self._holder

    def _handle_emit(self, message):
        if self.publish_first and self._holding():
            self._local.append(message)
            return None
        return super()._handle_emit(message)

    def _publish(self, data):
        if self._holding():
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
