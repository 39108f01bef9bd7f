"""The Excel export: structure, types, safety, and that real readers (openpyxl, pandas, LibreOffice)
open what we write. Reports are built by hand here (the contract of workshop.aggregation.report)."""
from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
import subprocess
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from workshop.aggregation.report import BacklogReport
from workshop.export import default_export_filename, write_backlog_workbook
from workshop.export.text import EXCEL_CELL_LIMIT, decode_ooxml, utf16_len
from workshop.export.xlsx import (BACKLOG_HEADERS, BACKLOG_TABLE_NAME, PRINTED_COLUMNS, ONE_ROUND_SHEETS, SHEET_NAMES,
                                  STICKY_HEADERS, WORKSHOP_HEADERS)

ROOT = Path(__file__).resolve().parents[1]
TEXT_COL = STICKY_HEADERS.index("Text") + 1
AUTHOR_COL = STICKY_HEADERS.index("Author") + 1


def sticky_letter(header: str) -> str:
    """The Stickies sheet's column of that header ("C" for the third)."""
    return get_column_letter(STICKY_HEADERS.index(header) + 1)
STAGES = ["Request", "=Approval", "Build", "Release"]

#: Text a spreadsheet would run or reinterpret if it were not stored as a string.
INJECTIONS = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1", "-2+3", "@SUM(A1:A2)",
              "\tTab first", "\rCR first", "\nLF first", "#N/A", "#DIV/0!", "=", "-", "1e5", "0012"]
UNICODE = ["R\u00e9sum\u00e9 \U0001f525\U0001f469\u200d\U0001f4bb", "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
           "e\u0301 n\u0303 Z\u0336\u0337", "  leading and trailing  ", "line 1\nline 2\r\nline 3",
           "_x0041_ is not A", "a_x005F_b"]


def make_report(n_themes: int = 12, bad: bool = True) -> BacklogReport:
    texts = [*INJECTIONS, *UNICODE, "plain text", "x" * 120]
    if bad:
        texts += ["nul\x00bell\x07vt\x0bend\x1f", "y" * 40_000, "\U0001f600" * 20_000]
    n = len(texts)
    themes = [1 + i % n_themes if i % 3 else None for i in range(n)]
    titles = {t: (INJECTIONS + UNICODE)[t % len(INJECTIONS + UNICODE)] + f" theme {t}"
              if t % 2 else f"Theme {t}" for t in range(1, n_themes + 1)}
    titles[1] = "=1+1"
    stickies = pd.DataFrame({
        "sticky_id": [f"s{i:03d}" for i in range(n)],
        "workshop_id": [1 + i % 3 for i in range(n)],
        "workshop": [f"{['Payments', '+Cards', '@Ops'][i % 3]} (2026-10-0{1 + i % 3})" for i in range(n)],
        "team": [["Payments", "+Cards", "@Ops"][i % 3] for i in range(n)],
        "kind": [["pain", "opportunity", "event", "time"][i % 4] for i in range(n)],
        "text": texts,
        "stage": [STAGES[i % 4] for i in range(n)],
        "stage_index": [i % 4 for i in range(n)],
        "position": [round((i % 10) / 10 + 0.05, 4) for i in range(n)],
        "votes": [i % 5 for i in range(n)],
        "duration_minutes": [30.0 if i % 4 == 3 else float("nan") for i in range(n)],
        "author": [f"=author{i}" if i == 0 else f"author{i}" for i in range(n)],
        "created_at": pd.to_datetime([datetime(2026, 10, 1, 9, 0, i % 60) for i in range(n)]),
        "theme_id": pd.array(themes, dtype="Int64"),
        "theme": [titles[t] if t else None for t in themes],
        # a pain point on the event before it; the first points at a sticky not shown (deleted or private)
        "link_to": ["gone" if i == 0 else f"s{i - 2:03d}" if i % 4 == 0 else None for i in range(n)],
    })
    backlog = pd.DataFrame({
        "rank": list(range(1, n_themes + 1)),
        "theme_id": [n_themes + 1 - r for r in range(1, n_themes + 1)],
        "title": [titles[n_themes + 1 - r] for r in range(1, n_themes + 1)],
        "teams": [["Payments", "+Cards"] if r % 2 else ["@Ops"] for r in range(1, n_themes + 1)],
        "team_count": [2 if r % 2 else 1 for r in range(1, n_themes + 1)],
        "workshops": [["Payments (2026-10-01)"] for _ in range(n_themes)],
        "workshop_count": [1] * n_themes,
        "sticky_count": [10 - r % 10 for r in range(1, n_themes + 1)],
        "pain_count": [3] * n_themes, "opportunity_count": [1] * n_themes,
        "votes": [50 - r for r in range(1, n_themes + 1)],
        "stages": [STAGES[: 1 + r % 4] for r in range(1, n_themes + 1)],
        "value": pd.array([None if r == 3 else 1 + r % 5 for r in range(1, n_themes + 1)], dtype="Int64"),
        "effort": pd.array([1 + r % 3 for r in range(1, n_themes + 1)], dtype="Int64"),
        "priority": [round(100 / r, 2) for r in range(1, n_themes + 1)],
        "quick_win": [r % 4 == 0 for r in range(1, n_themes + 1)],
        "status": ["proposed"] * n_themes,
        "reviewed": [r == 2 for r in range(1, n_themes + 1)],
    })
    # heat map columns deliberately out of timeline order: the export uses the discovery's order
    heatmap = pd.DataFrame([[1, 0, 3, 2], [0, 4, 0, 1], [2, 2, 2, 2]],
                           index=pd.Index(["Payments", "+Cards", "@Ops"], name="team"),
                           columns=[STAGES[2], STAGES[0], STAGES[3], STAGES[1]])
    workshops = pd.DataFrame({
        "workshop_id": [1, 2, 3], "team": ["Payments", "+Cards", "@Ops"],
        "date": [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)],
        "facilitator": ["Ana", "-Bob", "Chen"], "template": ["Path to production"] * 3,
        "status": ["closed", "closed", "open"], "participants": [7, 5, 9],
        "event": [10, 11, 12], "pain": [5, 6, 7], "system": [1, 2, 3], "time": [0, 1, 0],
        "team_stickies": [2, 2, 2], "opportunity": [3, 3, 3], "note": [0, 0, 1], "votes": [20, 21, 22],
    })
    return BacklogReport(
        discovery={"name": "=Path to production \U0001f680", "problem": "Shipping takes\nsix weeks.",
                   "goal": "@One day", "stages": STAGES, "start_label": "Idea", "end_label": "Live"},
        generated_at=datetime(2026, 11, 26, 9, 30, 15),
        backlog=backlog, heatmap=heatmap, workshops=workshops, stickies=stickies,
        totals={"workshops": 3, "teams": 3, "participants": 21, "votes": 63,
                "stickies_by_kind": {"event": 33, "pain": 18, "opportunity": 9, "note": 1}})


def empty_report() -> BacklogReport:
    from workshop.aggregation.report import BACKLOG_COLUMNS, STICKY_COLUMNS, WORKSHOP_COLUMNS
    return BacklogReport(
        discovery={"name": "Empty", "problem": "", "goal": None, "stages": []},
        generated_at=datetime(2026, 11, 26, 9, 30),
        backlog=pd.DataFrame(columns=BACKLOG_COLUMNS), heatmap=pd.DataFrame(),
        workshops=pd.DataFrame(columns=WORKSHOP_COLUMNS), stickies=pd.DataFrame(columns=STICKY_COLUMNS))


@pytest.fixture(scope="module")
def report() -> BacklogReport:
    return make_report()


@pytest.fixture(scope="module")
def xlsx(report, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "export.xlsx"
    write_backlog_workbook(report, path)
    return path


@pytest.fixture(scope="module")
def wb(xlsx):
    return load_workbook(xlsx)


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def header(ws) -> list:
    return [c.value for c in ws[1]]


# ---- structure ------------------------------------------------------------------------------------

def test_sheets_in_order_with_headers(wb):
    assert wb.sheetnames == list(ONE_ROUND_SHEETS) == ["Summary", "Backlog", "Heatmap", "Workshops", "Stickies"]
    assert [n for n in SHEET_NAMES if n in wb.sheetnames] == wb.sheetnames  # in the documented order
    # what a printed page shows first; internal ids and raw positions last, outside the print area
    # "Stickies" summed ideas with pain points beside Teams, which counts pain points only: two columns now
    assert header(wb["Backlog"]) == ["Rank", "Theme", "Teams", "Workshops", "Pain points", "Ideas", "Votes",
                                     "Stages", "Value", "Effort", "Priority", "Quick win", "Status",
                                     "Reviewed", "Team names", "Workshop names", "Theme ID"]
    assert header(wb["Backlog"]) == list(BACKLOG_HEADERS)
    # the round first, as on the Workshops sheet: a later round's stickies told from the first's
    assert header(wb["Stickies"]) == ["Round", "Team", "Kind", "Text", "Stage", "Votes", "Theme", "Linked to", "Created",
                                      "Author", "Duration", "Workshop", "Position", "Duration (min)", "Theme ID",
                                      "Sticky ID"]
    assert header(wb["Stickies"]) == list(STICKY_HEADERS)
    assert header(wb["Workshops"]) == list(WORKSHOP_HEADERS)
    assert header(wb["Heatmap"]) == ["Team", *STAGES, "Total"]  # timeline order, not the frame's


def test_data_sheets_have_bold_frozen_header_filter_and_widths(wb, report):
    for name in ONE_ROUND_SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert all(c.font.b for c in ws[1]), name
        assert all(c.data_type == "s" for c in ws[1]), name
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(6 <= w <= 60 for w in widths), (name, widths)
    n = len(report.stickies)
    assert wb["Stickies"].auto_filter.ref == f"A1:P{n + 1}"
    assert wb["Workshops"].auto_filter.ref == "A1:Q4"  # Round, Team, ... Workshop ID
    assert wb["Heatmap"].auto_filter.ref == "A1:F4"
    # the Backlog's filter is its table's (a sheet filter over a table is a repair prompt in Excel)
    assert not wb["Backlog"].auto_filter.ref
    text_width = wb["Stickies"].column_dimensions[sticky_letter("Text")].width
    assert text_width == 60  # capped; longer text wraps
    minutes_width = wb["Stickies"].column_dimensions[sticky_letter("Duration (min)")].width
    assert minutes_width < 20
    assert wb["Stickies"].column_dimensions[sticky_letter("Round")].width <= 10  # a small number: narrow


def test_backlog_table_rank_order_and_colour_scale(wb, report):
    ws = wb["Backlog"]
    n = len(report.backlog)
    assert list(ws.tables) == [BACKLOG_TABLE_NAME]
    table = ws.tables[BACKLOG_TABLE_NAME]
    assert table.ref == f"A1:Q{n + 1}"
    assert table.tableStyleInfo.name.startswith("TableStyle")
    assert [c.name for c in table.tableColumns] == list(BACKLOG_HEADERS)
    data = rows(ws)[1:]
    assert [r[0] for r in data] == list(range(1, n + 1))
    first = dict(zip(BACKLOG_HEADERS, data[0]))
    assert first["Theme ID"] == 12 and first["Theme"] == "Theme 12"
    last = dict(zip(BACKLOG_HEADERS, data[-1]))
    assert last["Theme ID"] == 1 and last["Theme"] == "=1+1" and ws[f"B{n + 1}"].data_type == "s"
    assert first["Teams"] == 2 and first["Team names"] == "Payments, +Cards"
    assert first["Stages"] == ", ".join(STAGES[:2])
    assert first["Priority"] == 100.0 and ws["K2"].number_format == "0.00"
    assert isinstance(first["Quick win"], bool)
    # Reviewed: Yes for a theme the owner's review answers were about, blank for the others
    assert [r[BACKLOG_HEADERS.index("Reviewed")] for r in data[:3]] == [None, True, None]
    assert ws.cell(row=3, column=BACKLOG_HEADERS.index("Reviewed") + 1).number_format == '"Yes";"Yes";"No"'
    # Yes/No centred: right-aligned, a printed "Yes" ran into the next column's text ("YesPayments, Pricing")
    for header in ("Reviewed", "Quick win"):
        cell = ws.cell(row=3, column=BACKLOG_HEADERS.index(header) + 1)
        assert cell.alignment.horizontal == "center", header
    assert dict(zip(BACKLOG_HEADERS, data[2]))["Value"] is None  # <NA> -> blank
    formats = list(ws.conditional_formatting)
    assert [str(cf.sqref) for cf in formats] == [f"K2:K{n + 1}"]
    assert [r.type for r in formats[0].rules] == ["colorScale"]


def test_sorting_the_sheet_by_priority_keeps_the_rank_order(tmp_path):
    """Ranks go by the priority the page shows (two decimals), then teams: 2.064026 below 2.063496 when
    the second theme has more teams. The sheet holds the shown value, so a sort by Priority agrees."""
    report = make_report(n_themes=3)
    report.backlog["priority"] = [2.063496, 2.064026, 1.5]
    report.backlog["team_count"] = [2, 1, 1]
    path = tmp_path / "ties.xlsx"
    write_backlog_workbook(report, path)
    data = [dict(zip(BACKLOG_HEADERS, r)) for r in rows(load_workbook(path)["Backlog"])[1:]]
    assert [r["Priority"] for r in data] == [2.06, 2.06, 1.5]
    assert [r["Rank"] for r in sorted(data, key=lambda r: -r["Priority"])] == [1, 2, 3]


def test_heatmap_numbers_in_timeline_order(wb):
    ws = wb["Heatmap"]
    data = rows(ws)[1:]
    # frame columns were [Build, Request, Release, =Approval]
    assert data[0] == ["Payments", 0, 2, 1, 3, 6]
    assert data[1] == ["+Cards", 4, 1, 0, 0, 5]
    assert ws["A3"].data_type == "s" and ws["C1"].value == "=Approval" and ws["C1"].data_type == "s"
    formats = list(ws.conditional_formatting)
    assert [str(cf.sqref) for cf in formats] == ["B2:E4"]
    assert [r.type for r in formats[0].rules] == ["colorScale"]


def test_workshops_sheet_dates_and_counts(wb):
    ws = wb["Workshops"]
    first = dict(zip(WORKSHOP_HEADERS, rows(ws)[1]))
    assert first["Date"] == datetime(2026, 10, 1)  # openpyxl reads date cells back as datetimes
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd_ "  # a space's width before the next column
    assert first["Participants"] == 7 and first["Stickies"] == 10 + 5 + 1 + 0 + 2 + 3 + 0
    assert ws["D3"].value == "-Bob" and ws["D3"].data_type == "s"
    assert [r[0] for r in rows(ws)[1:]] == [1, 1, 1]  # the Round: a discovery run once is in round 1


def test_stickies_sheet_values_and_types(wb, report):
    ws = wb["Stickies"]
    data = [dict(zip(STICKY_HEADERS, r)) for r in rows(ws)[1:]]
    assert len(data) == len(report.stickies)
    for got, (_, want) in zip(data, report.stickies.iterrows()):
        assert got["Sticky ID"] == want["sticky_id"]
        assert isinstance(got["Created"], datetime) and got["Created"] == want["created_at"]
        assert isinstance(got["Position"], float) and got["Position"] == pytest.approx(want["position"])
        assert isinstance(got["Votes"], int)
        if pd.isna(want["theme_id"]):
            assert got["Theme ID"] is None and got["Theme"] is None
        else:
            assert got["Theme ID"] == want["theme_id"] and got["Theme"] == want["theme"]
    assert data[0]["Kind"] == "Pain point" and data[1]["Kind"] == "Opportunity"
    assert data[3]["Duration (min)"] == 30 and data[0]["Duration (min)"] is None
    assert data[3]["Duration"] == "30 min" and data[0]["Duration"] is None  # as the board shows it
    assert data[0]["Linked to"] is None and data[4]["Linked to"] == report.stickies["text"][2]  # the text it points at
    assert data[5]["Linked to"] is None
    assert ws[f"{sticky_letter('Created')}2"].is_date and ws[f"{sticky_letter('Position')}2"].number_format == "0.000"
    assert all(r["Round"] == 1 for r in data)  # a discovery run once is in round 1, as on the Workshops sheet


def two_round_report() -> BacklogReport:
    """The report with its third workshop (@Ops, 2026-10-03) run in round 2."""
    report = make_report(bad=False)
    report.workshops["round"] = [1, 1, 2]
    return report


def test_the_stickies_sheet_says_each_stickys_round(tmp_path):
    """A product owner could not tell a later round's stickies from the first's on the Stickies sheet: it
    has the round of each sticky's workshop, a whole number, first (as on the Workshops sheet) with the
    sheet's header style, width, filter and frozen row, and printed."""
    report = two_round_report()
    path = tmp_path / "rounds.xlsx"
    write_backlog_workbook(report, path)
    ws = load_workbook(path)["Stickies"]
    data = [dict(zip(STICKY_HEADERS, r)) for r in rows(ws)[1:]]
    want = {1: 1, 2: 1, 3: 2}
    assert {r["Sticky ID"]: r["Round"] for r in data} == {
        s: want[w] for s, w in zip(report.stickies["sticky_id"], report.stickies["workshop_id"])}
    assert all(type(r["Round"]) is int for r in data)
    assert {r["Team"] for r in data if r["Round"] == 2} == {"@Ops"}
    round_header = ws["A1"]
    assert round_header.value == "Round" and round_header.font.b and round_header.data_type == "s"
    assert round_header.fill.fgColor.rgb == ws["B1"].fill.fgColor.rgb  # styled as the other headers
    assert 6 <= ws.column_dimensions["A"].width <= 10
    assert ws["A2"].number_format == "0_ "  # a space's width before the team: a printed "1Search" read as one
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{get_column_letter(len(STICKY_HEADERS))}{len(data) + 1}"
    assert "Round" in STICKY_HEADERS[:PRINTED_COLUMNS["Stickies"]] and ws.print_area.startswith("'Stickies'!$A$1:")
    # pandas reads it as numbers a product owner can filter and count by
    frame = pd.read_excel(path, sheet_name="Stickies", engine="openpyxl")
    assert frame["Round"].dtype == "int64"
    assert frame.groupby("Round").size().to_dict() == {1: sum(w != 3 for w in report.stickies["workshop_id"]),
                                                      2: sum(w == 3 for w in report.stickies["workshop_id"])}
    # and the Workshops sheet says the same round of the same workshop
    workshops = pd.read_excel(path, sheet_name="Workshops", engine="openpyxl")
    assert dict(zip(workshops["Team"], workshops["Round"])) == {"Payments": 1, "+Cards": 1, "@Ops": 2}


def test_summary_totals_top_themes_and_chart(wb, xlsx, report):
    ws = wb["Summary"]
    cells = rows(ws)
    by_label = {r[0]: r[1] for r in cells if r and isinstance(r[0], str)}
    assert by_label["Discovery"] == "=Path to production \U0001f680"
    assert ws["B1"].data_type == "s"
    assert by_label["Problem statement"] == "Shipping takes\nsix weeks."
    assert by_label["Goal"] == "@One day"
    assert by_label["Generated at (UTC)"] == datetime(2026, 11, 26, 9, 30, 15)
    assert by_label["Workshops"] == 3 and by_label["Participants"] == 21 and by_label["Votes"] == 63
    assert by_label["Stickies"] == 61 and by_label["  Pain point"] == 18
    start = next(i for i, r in enumerate(cells) if r[:5] == ["Rank", "Theme", "Priority", "Teams", "Votes"])
    top = cells[start + 1: start + 11]
    assert [r[0] for r in top] == list(range(1, 11))
    assert [r[1] for r in top] == report.backlog["title"].tolist()[:10]
    assert [r[2] for r in top] == report.backlog["priority"].tolist()[:10]
    assert len(cells) == start + 11  # exactly ten
    assert cells[start - 1][0] == "Top 10 themes"
    with zipfile.ZipFile(xlsx) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    assert "<barChart>" in xml and '<barDir val="bar"/>' in xml
    row = start + 1
    assert f"'Summary'!$C${row + 1}:$C${row + 10}" in xml and f"'Summary'!$B${row + 1}:$B${row + 10}" in xml


def test_the_summary_heading_counts_the_themes_there_are(tmp_path):
    """A discovery of four themes said "Top 10 themes" above four rows (a walkthrough saw it)."""
    path = tmp_path / "four.xlsx"
    write_backlog_workbook(make_report(n_themes=4, bad=False), path)
    cells = rows(load_workbook(path)["Summary"])
    firsts = [r[0] for r in cells if r]
    assert "Top 4 themes" in firsts and "Top 10 themes" not in firsts


# ---- printing -------------------------------------------------------------------------------------

def test_every_sheet_has_a_print_setup(wb, report):
    """Landscape A4, one page wide, header row repeated, margins, footer; ids out of the print area
    (tests/test_export_print.py prints the demo with LibreOffice and reads the pages back)."""
    n = {"Backlog": len(report.backlog), "Heatmap": 3, "Workshops": 3, "Stickies": len(report.stickies)}
    for name in ONE_ROUND_SHEETS:
        ws = wb[name]
        setup = ws.page_setup
        assert setup.orientation == "landscape" and setup.paperSize == 9 and setup.fitToWidth == 1, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_margins.left == 0.4 and ws.page_margins.top == 0.6, name
        assert ws.oddHeader.center.text == "&A"  # the sheet's name
        # "&" starts a header/footer code: the name's own would have been doubled
        assert ws.oddFooter.left.text == "=Path to production \U0001f680"
        assert ws.oddFooter.center.text == "Page &P of &N" and ws.oddFooter.right.text == "2026-11-26"
        if name != "Summary":
            assert ws.print_title_rows == "$1:$1", name
            assert setup.fitToHeight == (1 if name == "Heatmap" else 0), name
    printed = {name: [c.value for c in wb[name][1]][:PRINTED_COLUMNS[name]] for name in PRINTED_COLUMNS}
    assert wb["Backlog"].print_area == f"'Backlog'!$A$1:$O${n['Backlog'] + 1}"
    assert wb["Stickies"].print_area == f"'Stickies'!$A$1:$K${n['Stickies'] + 1}"
    assert wb["Workshops"].print_area == "'Workshops'!$A$1:$P$4"
    assert wb["Heatmap"].print_area == "'Heatmap'!$A$1:$F$4"
    for name, headers in printed.items():
        assert not {"Theme ID", "Sticky ID", "Workshop ID", "Position"} & set(headers), name
    assert printed["Stickies"][-1] == "Duration" and "Stage" in printed["Stickies"]
    assert printed["Stickies"][0] == "Round"  # which round a printed sticky is from
    assert "Duration (min)" not in printed["Stickies"]  # the number for formulas, outside the print


def test_summary_prints_on_one_page_with_its_chart_inside(wb):
    ws = wb["Summary"]
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 1
    (chart,) = ws._charts
    anchor = chart.anchor
    assert type(anchor).__name__ == "TwoCellAnchor"
    # the print area (A1:N<last>) ends where the chart ends: right edge of N, bottom of the last row
    assert ws.print_area == f"'Summary'!$A$1:$N${ws.max_row}"
    assert (anchor._from.col, anchor.to.col) == (6, 14) and anchor.to.row == ws.max_row
    totals_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Totals")
    assert anchor._from.row == totals_row - 1  # beside the totals, below the problem and goal
    assert {str(m) for m in ws.merged_cells.ranges} >= {"B1:E1", "B2:E2", "B3:E3"}
    assert ws.row_dimensions[2].height == 30  # "Shipping takes\nsix weeks.": two lines
    assert ws.cell(totals_row + 1, 2).alignment.horizontal == "left"  # values beside their labels


def test_wrapped_rows_are_as_tall_as_their_lines(wb, report):
    """LibreOffice does not grow a row for wrapped text it opens: the export sets the height."""
    ws = wb["Stickies"]
    texts = report.stickies["text"].tolist()
    i = texts.index("line 1\nline 2\r\nline 3")
    assert ws.row_dimensions[i + 2].height == 45
    assert ws.cell(i + 2, TEXT_COL).alignment.wrap_text
    short = texts.index("plain text")
    assert not ws.row_dimensions[short + 2].height  # an unwrapped row keeps the default height
    assert ws.row_dimensions[texts.index("x" * 120) + 2].height == 30  # 120 characters in 60
    assert wb["Backlog"].row_dimensions[1].height == 30  # "Quick win", "Pain points" wrap in the header


# ---- safety ---------------------------------------------------------------------------------------

def _all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_no_cell_is_a_formula_or_error(wb, xlsx):
    assert not [c.coordinate for c in _all_cells(wb) if c.data_type in ("f", "e")]
    with zipfile.ZipFile(xlsx) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_formula_like_text_round_trips_as_string(wb, report):
    ws = wb["Stickies"]
    for i, text in enumerate(INJECTIONS):
        cell = ws.cell(row=i + 2, column=TEXT_COL)
        assert cell.value == text and cell.data_type == "s", (text, cell.value)
    assert ws.cell(row=2, column=AUTHOR_COL).value == "=author0"


def test_unicode_survives_exactly(wb):
    ws = wb["Stickies"]
    got = [ws.cell(row=len(INJECTIONS) + 2 + i, column=TEXT_COL).value for i in range(len(UNICODE))]
    # openpyxl does not decode the OOXML _xHHHH_ escape; Excel and LibreOffice do
    assert [decode_ooxml(v) for v in got] == UNICODE
    assert got[:5] == UNICODE[:5]


def test_illegal_characters_and_overlong_text(wb, report):
    ws = wb["Stickies"]
    texts = report.stickies["text"].tolist()
    i = texts.index("nul\x00bell\x07vt\x0bend\x1f")
    assert ws.cell(row=i + 2, column=TEXT_COL).value == "nul\ufffdbell\ufffdvt\ufffdend\ufffd"
    long_value = ws.cell(row=i + 3, column=TEXT_COL).value
    assert long_value.startswith("y" * 30_000)
    assert long_value.endswith("\u2026 [truncated, 40,000 characters]")
    assert utf16_len(long_value) <= EXCEL_CELL_LIMIT and len(long_value) > 32_700
    emoji_value = ws.cell(row=i + 4, column=TEXT_COL).value
    assert emoji_value.endswith("\u2026 [truncated, 20,000 characters]")
    assert utf16_len(emoji_value) <= EXCEL_CELL_LIMIT
    assert set(emoji_value[: -len("\u2026 [truncated, 20,000 characters]")]) == {"\U0001f600"}


# ---- other readers, targets, options ---------------------------------------------------------------

def test_pandas_reads_every_sheet(xlsx, report):
    frames = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl")
    assert list(frames) == list(ONE_ROUND_SHEETS)
    st = frames["Stickies"]
    assert list(st.columns) == list(STICKY_HEADERS)
    assert len(st) == len(report.stickies)
    assert pd.api.types.is_datetime64_any_dtype(st["Created"])
    assert pd.api.types.is_float_dtype(st["Position"])
    # pandas itself turns the text "#N/A" into NaN unless told not to
    texts = pd.read_excel(xlsx, sheet_name="Stickies", engine="openpyxl", keep_default_na=False)["Text"]
    assert texts.tolist()[: len(INJECTIONS)] == INJECTIONS
    bl = frames["Backlog"]
    assert list(bl.columns) == list(BACKLOG_HEADERS) and len(bl) == len(report.backlog)
    assert bl["Rank"].tolist() == list(range(1, len(report.backlog) + 1))
    ws = frames["Workshops"]
    assert pd.api.types.is_datetime64_any_dtype(ws["Date"])


def test_file_like_target_and_progress(report):
    buf = io.BytesIO()
    calls = []
    write_backlog_workbook(report, buf, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert len({c[1] for c in calls}) == 1
    buf.seek(0)
    assert load_workbook(buf).sheetnames == list(ONE_ROUND_SHEETS)


def test_path_target_leaves_no_temporary_file(report, tmp_path):
    target = tmp_path / "out.xlsx"
    write_backlog_workbook(report, str(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_empty_report_is_a_valid_workbook(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_backlog_workbook(empty_report(), path)
    wb = load_workbook(path)
    assert wb.sheetnames == list(ONE_ROUND_SHEETS)
    assert rows(wb["Stickies"]) == [list(STICKY_HEADERS)]
    assert rows(wb["Backlog"]) == [list(BACKLOG_HEADERS)]
    assert wb["Backlog"].tables[BACKLOG_TABLE_NAME].ref == "A1:Q2"  # one blank data row, as Excel does
    assert rows(wb["Heatmap"]) == [["Team", "Total"]]
    frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(frames) == list(ONE_ROUND_SHEETS) and frames["Stickies"].empty
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/charts/")]


def test_default_export_filename():
    assert default_export_filename("Path to Production", date(2026, 10, 2)) == \
        "path-to-production-backlog-2026-10-02.xlsx"
    assert default_export_filename("Caf\u00e9 / Zahlungsverkehr: \"Q3\"", date(2026, 1, 5)) == \
        "caf\u00e9-zahlungsverkehr-q3-backlog-2026-01-05.xlsx"
    assert default_export_filename("\u5c0e\u5165\u30c1\u30fc\u30e0 2027", date(2026, 1, 5)) == \
        "\u5c0e\u5165\u30c1\u30fc\u30e0-2027-backlog-2026-01-05.xlsx"  # a Japanese name stays readable
    for unsafe in ('a\\b', 'a/b', 'a:b', 'a*b', 'a?b', 'a"b', 'a<b>', 'a|b', 'a\x07b', 'a\u202eb'):
        assert default_export_filename(unsafe, date(2026, 1, 5)) == "a-b-backlog-2026-01-05.xlsx", unsafe
    assert default_export_filename("\U0001f525\U0001f525", date(2026, 1, 5)) == "discovery-backlog-2026-01-05.xlsx"
    assert default_export_filename("../../etc/passwd\x00", date(2026, 1, 5)) == "etc-passwd-backlog-2026-01-05.xlsx"
    assert len(default_export_filename("x" * 500, date(2026, 1, 5))) < 90


def test_benchmark_runs_and_matches_the_floor(capsys):
    spec = importlib.util.spec_from_file_location("bench_export", ROOT / "benchmarks" / "export.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--workshops", "4", "--stickies-per-workshop", "25", "--verify"])
    assert result["verified"] is True and result["stickies"] == 100


# ---- LibreOffice ----------------------------------------------------------------------------------

def _soffice() -> str:
    exe = shutil.which("soffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is required in CI: apt-get install -y libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) not installed")
    return exe


def _read_csvs(out: Path, stem: str) -> dict[str, list[list[str]]]:
    sheets = {}
    for name in ONE_ROUND_SHEETS:
        path = out / f"{stem}-{name}.csv"
        assert path.exists(), sorted(p.name for p in out.iterdir())
        with open(path, newline="", encoding="utf-8") as fh:
            sheets[name] = list(csv.reader(fh))
    return sheets


@pytest.fixture(scope="module")
def libreoffice_csv(xlsx, tmp_path_factory) -> dict[str, dict[str, list[list[str]]]]:
    """The full and the empty workbook converted by LibreOffice in one run: every sheet to CSV
    (UTF-8; the trailing -1 of the filter options means all sheets), in an isolated profile."""
    exe = _soffice()
    out = tmp_path_factory.mktemp("lo")
    empty = out / "empty.xlsx"
    write_backlog_workbook(empty_report(), empty)
    profile = out / "lo-profile"
    subprocess.run(
        [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
         "--outdir", str(out), str(xlsx), str(empty)],
        check=True, capture_output=True, timeout=180)
    return {"full": _read_csvs(out, xlsx.stem), "empty": _read_csvs(out, "empty")}


def test_libreoffice_opens_and_shows_text_not_formulas(libreoffice_csv):
    sheets = libreoffice_csv["full"]
    st = sheets["Stickies"]
    assert st[0] == list(STICKY_HEADERS)
    texts = [r[STICKY_HEADERS.index("Text")] for r in st[1:]]
    assert texts[: len(INJECTIONS)] == INJECTIONS  # "=1+1" shown as typed, not 2
    # LibreOffice stores a CRLF line break as LF; everything else shows exactly, "_x0041_" included
    assert texts[len(INJECTIONS): len(INJECTIONS) + len(UNICODE)] == \
        [u.replace("\r\n", "\n") for u in UNICODE]
    assert st[1][STICKY_HEADERS.index("Created")] == "2026-10-01 09:00:00"  # a formatted date cell
    assert sheets["Summary"][0][:2] == ["Discovery", "=Path to production \U0001f680"]
    assert sheets["Backlog"][0][:13] == list(BACKLOG_HEADERS[:13])
    assert sheets["Heatmap"][1] == ["Payments", "0", "2", "1", "3", "6"]


def test_libreoffice_opens_the_empty_workbook(libreoffice_csv):
    assert libreoffice_csv["empty"]["Stickies"] == [list(STICKY_HEADERS)]
    assert libreoffice_csv["empty"]["Backlog"][0] == list(BACKLOG_HEADERS)
