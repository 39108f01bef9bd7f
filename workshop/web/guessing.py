"""Guessing secret links (join links, invitations and new-password links): only unknown links count,
per client address and per kind of link.

Past GUESS_SOFT_LIMIT failures every link request of that kind from the address is answered one at a
time and slowly (JOIN_GUESS_DELAY seconds): an unknown link gets 429, a valid one still opens (an
office behind one NAT is never locked out by one mistyped link); past GUESS_HARD_LIMIT the address
gets 429 for every link of that kind (a guessing script, not a person). Tokens have 192 bits: the
limits keep a script slow and visible, they are not what makes a link unguessable.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import current_app
from flask_limiter.util import get_remote_address
from gevent import sleep as gevent_sleep
from gevent.lock import Semaphore
from limits import parse as parse_limit

from ..domain.errors import DomainError, NotFound
from ..extensions import limiter

GUESS_SOFT_LIMIT = parse_limit("20/minute")
GUESS_HARD_LIMIT = parse_limit("300/hour")
_slow_lanes: dict[tuple[str, str], Semaphore] = {}
T = TypeVar("T")


def _state(kind: str, address: str) -> str:
    """"ok", "slow" (past the soft limit) or "blocked" (past the hard limit) for this address."""
    if not limiter.enabled:
        return "ok"
    strategy = limiter.limiter
    if not strategy.test(GUESS_HARD_LIMIT, f"{kind}-guess-hard", address):
        return "blocked"
    if not strategy.test(GUESS_SOFT_LIMIT, f"{kind}-guess", address):
        return "slow"
    return "ok"


def _count(kind: str, address: str) -> None:
    if limiter.enabled:
        limiter.limiter.hit(GUESS_SOFT_LIMIT, f"{kind}-guess", address)
        limiter.limiter.hit(GUESS_HARD_LIMIT, f"{kind}-guess-hard", address)


def _too_many(message: str):
    from . import answer_error
    body, status = answer_error(DomainError("rate_limited", message), 429)
    return body, status, {"Retry-After": "60"}


def guarded(kind: str, message: str, lookup: Callable[[], T]) -> tuple[T | None, object]:
    """`lookup()` (which raises NotFound for an unknown link), with guessing limited per address.
    Returns (what it found, None) or (None, the answer to send: 429)."""
    address = get_remote_address()
    state = _state(kind, address)
    if state == "blocked":
        return None, _too_many(message)
    if state == "slow":  # one answer at a time per address, each after a pause
        key = (kind, address)
        lane = _slow_lanes.setdefault(key, Semaphore())
        with lane:
            gevent_sleep(current_app.config.get("JOIN_GUESS_DELAY", 1.0))
        if not lane.locked() and _slow_lanes.get(key) is lane:
            del _slow_lanes[key]  # nobody else waiting: no lane kept per address ever seen
    try:
        return lookup(), None
    except NotFound:
        _count(kind, address)
        if state != "ok":
            return None, _too_many(message)
        raise
