"""Cell-text policy for the Excel export: what a piece of user text becomes inside a cell.

Every piece of user text (sticky text, theme titles, team, workshop, author, stage and discovery
names...) goes through :func:`cell_text` before it reaches a cell. The policy, in order:

1. ``None`` / NaN / ``<NA>`` become an empty cell; anything that is not a ``str`` is ``str()``-ed.
2. Characters the xlsx format cannot hold are **replaced with U+FFFD** (the replacement character
   ``\N{REPLACEMENT CHARACTER}``), one for one, so the reader sees that something was there: the C0
   controls openpyxl refuses (``\\x00-\\x08 \\x0B \\x0C \\x0E-\\x1F``), lone UTF-16 surrogates (no UTF-8
   form) and the XML non-characters U+FFFE / U+FFFF. Tab, CR and LF are kept.
3. Text longer than Excel's cell limit (32,767 characters, counted as Excel counts them: UTF-16 code
   units, so an emoji counts 2) is **truncated** at a code-point boundary and ends with the visible
   marker ``"… [truncated, N characters]"`` (N = the original length in characters); the result,
   marker included, stays within the limit. openpyxl would otherwise cut silently at 32,767.
4. Everything else survives exactly: emoji, right-to-left text, combining marks, leading and trailing
   spaces, tabs and line breaks.

That is the *display* form (:func:`clean_text`): what Excel and LibreOffice show. The *stored* form
(:func:`cell_text`) additionally escapes the one OOXML quirk that would otherwise change the text:
spreadsheet applications decode ``_xHHHH_`` in cell strings as the character U+HHHH, so the underscore
that starts such a sequence is written as ``_x005F_`` (the format's own escape for ``_``). Excel and
LibreOffice then show the original text; openpyxl's inline-string reader does not decode the escape,
so a raw openpyxl read-back of such a (rare) cell shows ``_x005F_xHHHH_``.

No user text is ever a formula: the writer stores every user-text cell with data type ``s`` (string)
explicitly when it could be read as anything else (:func:`needs_string_type`: it starts with ``=``,
``+``, ``-``, ``@``, tab, CR or LF, or is one of Excel's error literals such as ``#N/A``), and never
prefixes an apostrophe: the text shows exactly as typed.
"""
from __future__ import annotations

import math
import re

#: Excel's maximum number of characters in a cell (UTF-16 code units).
EXCEL_CELL_LIMIT = 32_767

#: What an illegal character becomes.
REPLACEMENT_CHAR = "\ufffd"

#: openpyxl's ILLEGAL_CHARACTERS_RE plus what XML/UTF-8 cannot carry either.
ILLEGAL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: First characters that make a spreadsheet treat text as a formula (OWASP CSV/formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")

#: Strings openpyxl would store as error cells (data type "e") rather than text.
ERROR_LITERALS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))

_OOXML_ESCAPE_RE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_DECODE_RE = re.compile("_x([0-9A-Fa-f]{4})_")

# A string this short cannot exceed the limit even if every character were two UTF-16 units.
_SAFE_LEN = EXCEL_CELL_LIMIT // 2


def utf16_len(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units). ``text`` must hold no lone surrogates."""
    return len(text.encode("utf-16-le")) // 2


def truncation_marker(original_length: int) -> str:
    return f"\u2026 [truncated, {original_length:,} characters]"


def is_blank(value) -> bool:
    """None, NaN, pandas' NA/NaT: an empty cell."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaT, NA (NA != NA is NA -> TypeError on bool)
    except TypeError:
        return True


def _truncate(text: str, limit: int, encode) -> str:
    """Longest prefix whose stored form plus the marker fits in ``limit`` UTF-16 units."""
    marker = truncation_marker(len(text))
    budget = limit - utf16_len(marker)
    prefix = text[:budget]
    while True:
        excess = utf16_len(encode(prefix)) - budget
        if excess <= 0:
            return prefix + marker
        # a character is one or two units: dropping ceil(excess / 2) of them never overshoots by
        # more than half, so this converges in a few rounds and keeps as much text as fits
        prefix = prefix[: len(prefix) - (excess + 1) // 2]


def escape_ooxml(text: str) -> str:
    """Escape the underscore of every ``_xHHHH_`` so spreadsheet applications show it literally."""
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE_RE.sub("_x005F_", text)


def decode_ooxml(stored: str) -> str:
    """What Excel / LibreOffice display for a stored string (the inverse of :func:`escape_ooxml`)."""
    return _OOXML_DECODE_RE.sub(lambda m: chr(int(m.group(1), 16)), stored)


def clean_text(value) -> str:
    """The display form of ``value``: exactly what a spreadsheet application will show.

    Never raises for any input; the result has no illegal characters and fits Excel's cell limit.
    """
    if is_blank(value):
        return ""
    text = value if type(value) is str else str(value)
    if ILLEGAL_CHARS_RE.search(text):
        text = ILLEGAL_CHARS_RE.sub(REPLACEMENT_CHAR, text)
    if len(text) > _SAFE_LEN and utf16_len(escape_ooxml(text)) > EXCEL_CELL_LIMIT:
        text = _truncate(text, EXCEL_CELL_LIMIT, escape_ooxml)
    return text


def cell_text(value) -> str:
    """The stored form of ``value`` (what goes into the cell): :func:`clean_text` + OOXML escape."""
    return escape_ooxml(clean_text(value))


def needs_string_type(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as something other than text."""
    return bool(text) and (text.startswith(FORMULA_TRIGGERS) or text in ERROR_LITERALS)


def _as_str(value) -> str | None:
    if is_blank(value):
        return None
    return (value if type(value) is str else str(value)) or None


def clean_column(values: list) -> list:
    """:func:`cell_text` over a column, with a fast path for the common all-clean case.

    Returns stored-form strings, ``None`` for blanks.
    """
    out = [v if (type(v) is str and v) else _as_str(v) for v in values]
    strings = [v for v in out if v is not None]
    if not strings:
        return out
    joined = "".join(strings)
    if (ILLEGAL_CHARS_RE.search(joined) is None and "_x" not in joined
            and max(map(len, strings)) <= _SAFE_LEN):
        return out
    return [None if v is None else (cell_text(v) or None) for v in out]
