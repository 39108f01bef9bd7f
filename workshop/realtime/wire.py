"""The JSON of Socket.IO packets, with orjson (ADR 0009).

python-socketio encodes each room message once, but decodes every incoming packet, and cursor moves
(10 per participant per second) are most of them. Its default (`engineio.json`) builds a new decoder
per call (to refuse integers longer than 100 digits) and parses in Python; orjson parses in C, and
turns long integers into floats instead, so a hostile packet is never a slow parse.
"""
from __future__ import annotations

import json
import re

import orjson
from engineio import json as engineio_json

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj, **_stdlib_options) -> str:
    """Compact JSON text (`separators` and the like are what orjson always does). An integer
    beyond 64 bits (echoed back from a hostile payload, say) takes the standard library's way."""
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(obj, separators=(",", ":"))  # ASCII escapes: a lone surrogate stays sendable


class Undecodable:
    """The payload of an event whose JSON could not be decoded (nested past any parser's depth, an
    integer of hundreds of digits): the handler answers `invalid_payload` instead of the silence a
    decoding error in python-socketio's packet parser gave (issue 12)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<undecodable payload>"


UNDECODABLE = Undecodable()
# the event name at the start of an event's array: '["ops",' (a JSON string of at most 100 characters)
_EVENT_NAME = re.compile(r'\["((?:[^"\\]|\\.){0,100})"\s*[,\]]')


def loads(text, **_stdlib_options):
    """orjson for what clients send; anything it refuses (1e400, NaN, a lone surrogate, invalid
    JSON) goes to engine.io's own parser, so odd input gets exactly the answer it got before.
    An event array neither can decode (3,000 levels deep, a 401-digit integer) becomes
    `[<its event name>, UNDECODABLE]`, so the event's handler still answers it."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return engineio_json.loads(text)
    except (ValueError, RecursionError):
        name = _EVENT_NAME.match(text) if isinstance(text, str) else None
        if name is None:
            raise
        try:
            event = json.loads(f'"{name.group(1)}"')
        except ValueError:
            raise ValueError("undecodable event") from None
        return [event, UNDECODABLE]
