"""How a duration reads in the workbook: exactly as the board shows it (static/js/board/format.js)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.node_driver import node_driver
from workshop.domain.durations import duration_in, format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node") or "node"  # a requirement of make test (README)


@pytest.mark.parametrize("minutes, shown", [
    (None, None), (float("nan"), None), (0, "0 min"), (1, "1 min"), (45, "45 min"), (59, "59 min"),
    (60, "1 h"), (90, "1.5 h"), (600, "10 h"), (1439, "24 h"), (1440, "1 d"), (2160, "1.5 d"),
    (10080, "1 wk"), (30240, "3 wk"), (100800, "10 wk"), (0.5, "0.5 min"),
    # issue 26: one table read "1.4 wk" for a "10d" beside "5 d" and "3 wk": the unit typed, where it is whole
    (14400, "10 d"), (7200, "5 d"), (95, "95 min"), (1500, "25 h"), (15120, "1.5 wk"), (24500, "2.4 wk"),
])
def test_a_duration_reads_as_on_the_board(minutes, shown):
    assert format_duration(minutes) == shown


def test_the_workbook_and_the_board_format_every_duration_alike():
    values = [0, 1, 7, 59, 60, 61, 95, 121, 2160, 7200, 14400, 15120, 24500, 119, 1439, 1440, 1500, 4000, 10079, 10080, 30240, 43200, 99999, 10_000_000]
    script = ("import { formatDuration } from '" + (ROOT / "static/js/board/format.js").as_uri() + "';\n"
              f"console.log(JSON.stringify({json.dumps(values)}.map(formatDuration)));")
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [format_duration(v) for v in values]


def test_what_is_typed_reads_back_the_same():
    for typed in ("45m", "4h", "3d", "2w", "1.5 h", "10d", "95m", "36h", "half a day", "1,5 Tage"):
        assert parse_duration(format_duration(parse_duration(typed)).replace("wk", "w")) == parse_duration(typed)


# One table of cases for the rule "a time sticky takes the duration its text names", read by both
# implementations: the board's durationIn (format.js) and the importer's duration_in (domain/durations.py).
DURATIONS_IN_TEXT = json.loads((ROOT / "tests/fixtures/durations_in_text.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def board_duration_in(tmp_path_factory):
    """The board's durationIn run under Node (tests/js/durations_driver.mjs) on a list of texts."""
    return node_driver(tmp_path_factory.mktemp("durations"), "durations_driver.mjs", ["format.js"])


def test_the_board_reads_the_duration_a_time_stickys_text_names(board_duration_in):
    texts = list(DURATIONS_IN_TEXT)
    assert dict(zip(texts, board_duration_in(texts))) == DURATIONS_IN_TEXT


@pytest.mark.parametrize("text, minutes", DURATIONS_IN_TEXT.items())
def test_the_importer_reads_the_duration_a_text_names_as_the_board_does(text, minutes):
    assert duration_in(text) == minutes


@pytest.mark.parametrize("typed, minutes", [
    # issue 26: durations people write that the parser missed
    ("half a day", 720), ("1,5 Tage", 2160), ("anderthalb Wochen", 15120), ("eineinhalb Stunden", 90),
    ("2 Wochen", 20160), ("a week", 10080), ("half an hour", 30), ("half", None), ("Tage", None),
])
def test_a_duration_typed_in_words_or_german_is_read(typed, minutes):
    assert parse_duration(typed) == minutes


def test_the_board_reads_a_typed_duration_as_the_importer_does():
    typed = ["half a day", "1,5 Tage", "anderthalb Wochen", "eineinhalb Stunden", "2 Wochen", "a week", "half an hour",
             "half", "Tage", "3d", "1d 4h", "90", "2,5 days", "1.5 h", ""]
    script = ("import { parseDuration } from '" + (ROOT / "static/js/board/format.js").as_uri() + "';\n"
              f"console.log(JSON.stringify({json.dumps(typed)}.map(parseDuration)));")
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [parse_duration(t) for t in typed]
