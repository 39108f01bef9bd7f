"""The JSON of Socket.IO packets, with orjson (ADR 0009).

python-socketio encodes each room message once, but decodes every incoming packet, and cursor moves
(10 per participant per second) are most of them. Its default (`engineio.json`) builds a new decoder
per call (to refuse integers longer than 100 digits) and parses in Python; orjson parses in C, and
turns long integers into floats instead, so a hostile packet is never a slow parse.
"""
from __future__ import annotations

import json

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


def loads(text, **_stdlib_options):
    """orjson for what clients send; anything it refuses (1e400, NaN, a lone surrogate, invalid
    JSON) goes to engine.io's own parser, so odd input gets exactly the answer it got before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return engineio_json.loads(text)
