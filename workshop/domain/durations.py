"""How long something takes, as people type it: "90" (minutes), "45m", "4h", "1.5 h", "3d", "2w",
"1d 4h", "half a day", "1,5 Tage", "anderthalb Wochen". The same grammar as the board's duration field (static/js/board/format.js, parseDuration):
a day is 24 hours, a week 7 days, a month 30 days (wall-clock waiting, as on a time sticky).
duration_in reads the duration a time sticky's text names, as the board's durationIn does (both are
checked against one table of cases: tests/fixtures/durations_in_text.json)."""
from __future__ import annotations

import math
import re

MAX_MINUTES = 10_000_000  # the board's limit too (domain/board.py)

UNIT_MINUTES = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": 1440, "day": 1440, "days": 1440,
    "w": 10080, "wk": 10080, "wks": 10080, "week": 10080, "weeks": 10080,
    "mo": 43200, "month": 43200, "months": 43200,
    # German, as a Kita or a Bauamt writes its stickies ("1,5 Tage", "anderthalb Wochen")
    "minuten": 1, "std": 60, "stunde": 60, "stunden": 60,
    "tag": 1440, "tage": 1440, "tagen": 1440, "woche": 10080, "wochen": 10080,
    "monat": 43200, "monate": 43200, "monaten": 43200,
}

# Numbers people write in words before a unit: "half a day", "an hour and a half" aside, "anderthalb
# Wochen", "eineinhalb Tage", "ein halber Tag", "a week". Rewritten to digits before reading (the board's
# WORD_NUMBERS in format.js is the same list).
WORD_NUMBERS = (
    (r"\b(?:one and a half|anderthalb|eineinhalb)\s+", "1.5 "),
    (r"\b(?:half(?: an?)?|(?:(?:a|ein|eine|einen) )?halbe[nrs]?)\s+", "0.5 "),
    (r"\b(?:an?|one|ein|eine|einen)\s+(?=(?:day|week|hour|month|tag|woche|stunde|monat)\b)", "1 "),
)
_WORD_NUMBERS = [(re.compile(pattern), digits) for pattern, digits in WORD_NUMBERS]


def _digits(text: str) -> str:
    for pattern, digits in _WORD_NUMBERS:
        text = pattern.sub(digits, text)
    return text
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def parse_duration(value: str) -> int | None:
    """Minutes (rounded), or None when the text is not a duration (empty text included)."""
    text = _digits(str(value or "").strip().lower()).replace(",", ".")
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        return round(float(text))
    total, matched = 0.0, ""
    for number, unit in _PART.findall(text):
        if unit not in UNIT_MINUTES:
            return None
        total += float(number) * UNIT_MINUTES[unit]
        matched += number + unit
    if not matched or matched != re.sub(r"\s", "", text):
        return None
    return round(total)


# A number and a unit inside a sentence ("Security review 2d", "waits 3 weeks", "1d 4h"): not inside a
# word or a version number ("v2d", "1.2.3d"), and the unit ends where a word would. ASCII \w and \d, as
# in the board's JavaScript.
_UNIT_WORDS = "|".join(sorted(UNIT_MINUTES, key=len, reverse=True))
_PART_IN_TEXT = re.compile(rf"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*({_UNIT_WORDS})(?!\w)", re.ASCII)


def duration_in(text: str) -> int | None:
    """The duration a time sticky's text names, in minutes: its first run of number+unit parts
    ("Security review 2d" -> 2880, "1d 4h to merge" -> 1680); None when it names none."""
    lowered = _digits(str(text or "").lower())
    total, end = 0.0, -1
    for part in _PART_IN_TEXT.finditer(lowered):
        if end >= 0 and lowered[end:part.start()].strip():
            break
        total += float(part.group(1).replace(",", ".")) * UNIT_MINUTES[part.group(2)]
        end = part.end()
    return None if end < 0 else _round_half_up(total)


def _round_half_up(value: float) -> int:
    """JavaScript's Math.round (halves go up), not Python's banker's rounding."""
    return math.floor(value + 0.5)


#: The units a duration is shown in, largest first (the board's formatDuration, static/js/board/format.js).
SHOWN_UNITS = (("wk", 10080), ("d", 1440), ("h", 60), ("min", 1))


def format_duration(minutes) -> str | None:
    """Minutes as the board shows them, in the unit people typed where it is whole: "3 wk", "10 d"
    (not "1.4 wk" beside "5 d" and "3 wk" in one table), "4 h", "95 min"; a half in the largest unit
    under 10 of it ("1.5 d", "1.5 h"); otherwise one decimal under 10 of the largest unit, whole
    numbers from 10 ("2.4 wk"); None for no duration."""
    if minutes is None or minutes != minutes or minutes in (float("inf"), float("-inf")):
        return None
    if minutes == 0:
        return "0 min"
    for label, size in SHOWN_UNITS[:-1]:
        value = minutes / size
        if value >= 1 and (value == int(value) or (value < 10 and value * 2 == int(value * 2))):
            return f"{value:g} {label}"
    if minutes < 60 or minutes == int(minutes) and minutes < 120:
        return f"{minutes:g} min"
    for label, size in SHOWN_UNITS:
        if minutes >= size:
            value = minutes / size
            shown = round(value) if value >= 10 else round(value * 10) / 10
            return f"{shown:g} {label}"
    return f"{minutes:g} min"
