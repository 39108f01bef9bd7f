"""The cell-text policy (workshop.export.text), alone and through a written workbook."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from workshop.aggregation.report import BacklogReport
from workshop.export import write_backlog_workbook
from workshop.export.text import (EXCEL_CELL_LIMIT, ILLEGAL_CHARS_RE, REPLACEMENT_CHAR, cell_text,
                                  clean_column, clean_text, decode_ooxml, escape_ooxml,
                                  needs_string_type, truncation_marker, utf16_len)

#: Characters that matter to the policy, mixed into otherwise arbitrary text.
AWKWARD_CHARS = list("\x00\x01\x08\x0b\x0c\x0e\x1f\t\r\n=+-@#_x05F0A \u0301\u200d\u202e\ufffd"
                     "\ufffe\uffff\ud800\udfff\U0001f525")
AWKWARD = AWKWARD_CHARS + ["_x0041_", "_x005F_", "#N/A", "\r\n"]
texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(AWKWARD_CHARS)), max_size=60)
# whole strings built from the awkward pieces (st.text draws one character at a time)
awkward_strings = st.lists(st.sampled_from(AWKWARD) | st.text(max_size=3), max_size=12).map("".join)
any_text = texts | awkward_strings


# ---- the policy on its own -------------------------------------------------------------------------

@given(any_text)
def test_clean_text_is_legal_within_limit_and_idempotent(s):
    cleaned = clean_text(s)
    assert ILLEGAL_CHARS_RE.search(cleaned) is None
    assert utf16_len(cell_text(s)) <= EXCEL_CELL_LIMIT
    assert clean_text(cleaned) == cleaned
    assert len(cleaned) == len(s)  # short text: one for one replacement, nothing dropped
    assert [c == REPLACEMENT_CHAR or c == o for c, o in zip(cleaned, s)] == [True] * len(s)


@given(st.text(max_size=80))
def test_legal_text_is_kept_exactly(s):
    # st.text() draws no surrogates; control characters are the only possible change
    if ILLEGAL_CHARS_RE.search(s) is None and "\ufffe" not in s and "\uffff" not in s:
        assert clean_text(s) == s


@given(any_text)
def test_ooxml_escape_is_undone_by_spreadsheet_decoding(s):
    cleaned = clean_text(s)
    assert decode_ooxml(escape_ooxml(cleaned)) == cleaned


def test_blank_values():
    for blank in (None, float("nan"), pd.NA, pd.NaT):
        assert clean_text(blank) == ""
    assert clean_column(["", None, pd.NA, "a", 3]) == [None, None, None, "a", "3"]
    assert clean_column(["ok", "bad\x00"]) == ["ok", "bad\ufffd"]


@pytest.mark.parametrize("text, expected", [
    ("=1+1", True), ("+1", True), ("-1", True), ("@x", True), ("\tx", True), ("\rx", True),
    ("\nx", True), ("#N/A", True), ("#REF!", True), ("a=1", False), ("", False), ("#hashtag", False)])
def test_needs_string_type(text, expected):
    assert needs_string_type(text) is expected


@pytest.mark.parametrize("length, unit", [(32_767, "a"), (32_768, "a"), (100_000, "b"),
                                          (16_384, "\U0001f600"), (16_383, "\U0001f600"),
                                          (20_000, "\u05e9")])
def test_truncation_at_the_limit(length, unit):
    s = unit * length
    out = clean_text(s)
    if utf16_len(s) <= EXCEL_CELL_LIMIT:
        assert out == s
    else:
        marker = truncation_marker(length)
        assert out.endswith(marker) and marker.startswith("\u2026 [truncated, ")
        assert utf16_len(out) <= EXCEL_CELL_LIMIT
        assert utf16_len(out) > EXCEL_CELL_LIMIT - 2  # as much text kept as fits
        assert set(out[: -len(marker)]) == {unit}  # never half a surrogate pair


@pytest.mark.parametrize("length, unit", [(32_767, "a"), (32_768, "a"), (16_383, "\U0001f600"),
                                          (16_384, "\U0001f600"), (100_000, "b")])
def test_a_column_of_clean_text_is_cut_at_the_limit_like_one_cell(length, unit):
    # clean_column's fast path (no illegal character, no escape) must still check lengths: openpyxl
    # would otherwise cut a long text at 32,767 characters without the marker
    long = unit * length
    out = clean_column(["short", long, None])
    assert out == ["short", clean_text(long), None]
    assert utf16_len(out[1]) <= EXCEL_CELL_LIMIT
    assert out[1].endswith(truncation_marker(length)) is (utf16_len(long) > EXCEL_CELL_LIMIT)


@pytest.mark.parametrize("short_by", [1, 2])
def test_truncation_keeps_exactly_as_much_mixed_text_as_fits(short_by):
    # ASCII up to just before the budget, then emoji: the first cut overshoots by 1 or 2 units
    length = 40_000
    budget = EXCEL_CELL_LIMIT - utf16_len(truncation_marker(length))
    s = ("a" * (budget - short_by) + "\U0001f600" * length)[:length]
    out = clean_text(s)
    assert out.endswith(truncation_marker(length))
    assert utf16_len(out) == EXCEL_CELL_LIMIT - (short_by % 2)  # one unit stays free only when an emoji cannot fit


def test_truncation_counts_the_ooxml_escape():
    s = "_x0041_" * 6_000  # 42,000 characters, each sequence grows by 6 when stored
    stored = cell_text(s)
    assert utf16_len(stored) <= EXCEL_CELL_LIMIT and len(stored) <= EXCEL_CELL_LIMIT
    assert decode_ooxml(stored).endswith(truncation_marker(len(s)))


# ---- through a written workbook ----------------------------------------------------------------------

def _report(strings: list[str]) -> BacklogReport:
    n = len(strings)
    stickies = pd.DataFrame({
        "sticky_id": [f"s{i}" for i in range(n)], "workshop_id": [1] * n, "workshop": strings,
        "team": strings, "kind": ["pain"] * n, "text": strings, "stage": ["Build"] * n,
        "stage_index": [0] * n, "position": [0.5] * n, "votes": [1] * n,
        "duration_minutes": [float("nan")] * n, "author": strings,
        "created_at": pd.to_datetime([datetime(2026, 1, 1)] * n),
        "theme_id": pd.array([1] * n, dtype="Int64"), "theme": strings})
    backlog = pd.DataFrame({
        "rank": range(1, n + 1), "theme_id": range(1, n + 1), "title": strings, "teams": [[s] for s in strings],
        "team_count": [1] * n, "workshops": [[s] for s in strings], "workshop_count": [1] * n,
        "sticky_count": [1] * n, "pain_count": [1] * n, "opportunity_count": [0] * n, "votes": [1] * n,
        "stages": [["Build"]] * n, "value": pd.array([3] * n, dtype="Int64"),
        "effort": pd.array([2] * n, dtype="Int64"), "priority": [1.5] * n, "quick_win": [False] * n,
        "status": strings})
    return BacklogReport(discovery={"name": strings[0] if strings else "", "stages": ["Build"]},
                         generated_at=datetime(2026, 1, 1), backlog=backlog,
                         heatmap=pd.DataFrame(), workshops=pd.DataFrame(), stickies=stickies)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_text, min_size=1, max_size=8))
def test_any_text_round_trips_as_its_cleaned_form_and_never_as_a_formula(strings):
    buf = io.BytesIO()
    write_backlog_workbook(_report(strings), buf)
    buf.seek(0)
    wb = load_workbook(buf)
    stickies, backlog = wb["Stickies"], wb["Backlog"]
    # columns by their header (the sheets' column order is the export's to choose)
    sticky_col = {cell.value: cell.column for cell in stickies[1]}
    backlog_col = {cell.value: cell.column for cell in backlog[1]}
    for i, s in enumerate(strings):
        expected = clean_text(s)
        for cell in (*(stickies.cell(row=i + 2, column=sticky_col[name])
                       for name in ("Text", "Team", "Theme", "Author", "Workshop")),
                     backlog.cell(row=i + 2, column=backlog_col["Theme"])):  # the theme's title
            if expected == "":
                assert cell.value is None
            else:
                assert cell.data_type == "s", (s, cell.value)
                # what Excel / LibreOffice display: openpyxl leaves the _xHHHH_ escape in place
                assert decode_ooxml(cell.value) == expected
                if "_x" not in expected:
                    assert cell.value == expected
    assert decode_ooxml(wb["Summary"]["B1"].value or "") == clean_text(strings[0])
    with zipfile.ZipFile(buf) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                body = z.read(name)
                assert b"<f>" not in body and b"<f " not in body


def test_non_text_values_and_escapes_in_a_column():
    assert clean_text(3) == "3" and clean_text(2.5) == "2.5"
    assert cell_text("_x0041_") == "_x005F_x0041_"  # the format's own escape, upper-case as Excel writes it
    assert clean_column(["plain", "_x0041_ stays literal"]) == ["plain", "_x005F_x0041_ stays literal"]
    assert clean_column(["a_", "x0041_"]) == ["a_", "x0041_"]  # only an escape within one cell counts
