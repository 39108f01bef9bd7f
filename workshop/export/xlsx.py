"""The Excel export: one :class:`~workshop.aggregation.report.BacklogReport` in, one .xlsx workbook out.

A pure writer (no Flask, no database); the only module of the project that imports openpyxl.

Sheets, in order (:data:`SHEET_NAMES`): ``Summary`` (discovery, problem, goal, generation time,
totals, top-10 themes and a native bar chart of them), ``Backlog`` (the ranked themes as an Excel
table, a colour scale on Priority), ``Heatmap`` (pain points by team and stage, colour scale); from a
second round on, ``Rounds`` (each theme round by round and its change), ``Lead time`` (per round) and
``Pain by stage`` (per team, a column and a bar per round); then ``Workshops`` (one row per workshop)
and ``Stickies`` (one row per sticky, its round first, traced to its theme). Five sheets for one round,
eight for more.

Spreadsheet quality: numbers are numbers, dates and datetimes are real date cells with number
formats, every data sheet has a bold, frozen header row and an auto-filter (the Backlog's comes from
its table), column widths are estimated from a sample of rows and capped, and long or multi-line
text is wrapped (only the cells that need it, so big sheets stay fast).

Printing: every sheet is landscape A4, one page wide, its header row repeated, with a footer (the
discovery, ``Page N of M``, the date); Summary and Heatmap print on one page. Internal columns (ids,
raw positions) come last and stay outside the print area (:data:`PRINTED_COLUMNS`); rows whose text
wraps get an explicit height, as LibreOffice does not grow them.

User text follows the policy of :mod:`workshop.export.text` (illegal characters replaced with U+FFFD,
text over 32,767 characters truncated with a visible "… [truncated, N characters]" marker, OOXML
``_xHHHH_`` escaped) and is never a formula: any cell that could be read as one (``=``, ``+``, ``-``,
``@``, tab, CR, LF first, or an error literal such as ``#N/A``) is stored with data type ``s``.

Speed: openpyxl's write-only mode (rows streamed to disk, near-constant memory); column values are
converted to Python lists once, styles are built once and shared, and a styled cell object is only
made for the cells that need one (header, wrapped text, formula-like text, formatted numbers).
Datetimes are passed as plain values: openpyxl gives them its date formats itself.
"""
from __future__ import annotations

import os
from copy import copy
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Callable

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from workshop.aggregation.report import BacklogReport
from workshop.domain.durations import format_duration
from workshop.domain.kinds import KINDS_BY_KEY

from .text import clean_column, clean_text, escape_ooxml, needs_string_type

__all__ = ["SHEET_NAMES", "ONE_ROUND_SHEETS", "ROUNDS_SHEETS", "BACKLOG_HEADERS", "STICKY_HEADERS", "WORKSHOP_HEADERS", "PRINTED_COLUMNS",
           "write_backlog_workbook", "default_export_filename"]

ProgressCallback = Callable[[int, int], None]

#: Every sheet a workbook may have, in order; the three rounds sheets only from a second round on.
SHEET_NAMES = ("Summary", "Backlog", "Heatmap", "Rounds", "Lead time", "Pain by stage", "Workshops", "Stickies")
ROUNDS_SHEETS = ("Rounds", "Lead time", "Pain by stage")
#: The sheets of a discovery of one round.
ONE_ROUND_SHEETS = tuple(name for name in SHEET_NAMES if name not in ROUNDS_SHEETS)

# The columns a printed page shows come first; the internal ones (ids, raw 0-1 positions, the long
# workshop list) stay in the data, at the right, outside the print area (see PRINTED_COLUMNS).
# Teams, Workshops and Votes count pain points only (opportunities are ideas: they never rank a theme),
# so the ideas are a column of their own beside the pain points, not summed with them.
BACKLOG_HEADERS = ("Rank", "Theme", "Teams", "Workshops", "Pain points", "Ideas", "Votes", "Stages",
                   "Value", "Effort", "Priority", "Quick win", "Status", "Reviewed",
                   "Team names", "Workshop names", "Theme ID")
WORKSHOP_HEADERS = ("Round", "Team", "Date", "Facilitator", "Template", "Status", "Participants",
                    "Events", "Pain points", "Systems", "Time stickies", "Team stickies",
                    "Opportunities", "Notes", "Stickies", "Votes", "Workshop ID")
STICKY_HEADERS = ("Round", "Team", "Kind", "Text", "Stage", "Votes", "Theme", "Linked to", "Created", "Author",
                  "Duration", "Workshop", "Position", "Duration (min)", "Theme ID", "Sticky ID")
#: How many leading columns of each data sheet are printed (the rest are data, not for the meeting).
PRINTED_COLUMNS = {"Backlog": BACKLOG_HEADERS.index("Workshop names"),
                   "Workshops": WORKSHOP_HEADERS.index("Workshop ID"),
                   "Stickies": STICKY_HEADERS.index("Workshop")}

#: Workshop frame column -> sticky kind key, in the order of WORKSHOP_HEADERS.
_WORKSHOP_KIND_COLUMNS = ("event", "pain", "system", "time", "team_stickies", "opportunity", "note")

TOP_THEMES = 10
BACKLOG_TABLE_NAME = "BacklogTable"
TABLE_STYLE = "TableStyleMedium2"

WIDTH_SAMPLE_ROWS = 500       # rows sampled (evenly spread) to estimate a column's width
MAX_TEXT_WIDTH = 60           # cap for free-text columns (they wrap beyond it)
MAX_WIDTH = 40                # cap for other columns
THEME_WIDTH = 45              # theme titles (wrapped): narrower, so a printed page keeps a readable scale
LIST_WIDTH = 30               # stages and team names (wrapped)
PROGRESS_EVERY = 2_000        # rows between two progress callbacks
_CHUNK = 4_096                # rows converted to cells at a time (bounds memory)

FONT = "Calibri"              # the workbook's default; a Font without a name prints in a serif in LibreOffice
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
PRIORITY_FORMAT = "0.00"
POSITION_FORMAT = "0.000"
DURATION_FORMAT = "0.#"
YES_NO_FORMAT = '"Yes";"Yes";"No"'
DAYS_FORMAT = "0.0"
PER_TEAM_FORMAT = "0.0#"


# --------------------------------------------------------------------------------------------------
# Public API

def write_backlog_workbook(report: BacklogReport, target: str | os.PathLike | IO[bytes],
                           progress: ProgressCallback | None = None) -> None:
    """Write ``report`` as an .xlsx workbook to ``target`` (a path, or a binary file-like object).

    A path is written to a temporary file beside it and renamed into place, so a failed or
    interrupted export never leaves a half-written workbook under the final name.
    ``progress(rows_written, total_rows)`` is called every few thousand rows and once at the end.
    From a second round on, the report carries (workshop.services.rounds.with_rounds):
    ``report.rounds`` (workshop.aggregation.rounds.compare_rounds), which adds the sheet "Rounds"
    after the Heatmap: Theme ID, Theme, Round N teams and Round N pain points per round, Change.
    ``report.lead_time`` (workshop.aggregation.lead_time.lead_times) adds the sheet "Lead time" after it:
    Round, Team, Lead time (days) and each stage's days (when no time sticky has a duration, the sheet says
    how many have none, and which, instead); the Summary then gains the median lead time of
    each round and the number of themes gone. ``report.pain_by_stage`` (aggregation.rounds.pain_by_stage) adds
    the sheet "Pain by stage": pain points per team by stage and round, with a clustered bar chart.
    ``report.rounds_basis`` (aggregation.rounds.Basis.sentence) says on the Summary which teams the change is
    judged on.
    """
    wb = _build_workbook(report, progress)
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            wb.save(tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        wb.save(target)


def default_export_filename(discovery_name: str, today: date) -> str:
    """``"<discovery-slug>-backlog-<YYYY-MM-DD>.xlsx"``: lower case letters and digits of any script
    (a Japanese or Greek name stays readable; the web download adds an ASCII fallback for old
    browsers, werkzeug's ``filename*``), every other run of characters one hyphen, so no path
    separator, quote, control or reserved character is left. Falls back to ``discovery`` when the
    name has no letters or digits (e.g. all emoji)."""
    name = unicodedata.normalize("NFC", clean_text(discovery_name)).lower()
    slug = re.sub(r"[\W_]+", "-", name).strip("-")[:60].strip("-")
    return f"{slug or 'discovery'}-backlog-{today:%Y-%m-%d}.xlsx"


# --------------------------------------------------------------------------------------------------
# Column model

@dataclass
class _Column:
    header: str
    values: list                 # Python values: str (stored form) / int / float / bool / date / None
    kind: str = "text"           # text | int | float | bool | date | datetime
    number_format: str | None = None
    wrap: bool = False           # free text: wrap the cells longer than the column width
    max_width: int = MAX_WIDTH
    gap: bool = False            # a number followed by a text column: a space's width after it (printed,
                                 # a right-aligned "1" ran into "1 nurse to 14 patients": "11 nurse")


class _Styles:
    """Every style built once on a prototype cell; cells copy its style array."""

    def __init__(self, ws):
        def proto(**kw):
            cell = WriteOnlyCell(ws)
            for name, value in kw.items():
                setattr(cell, name, value)
            return cell._style  # openpyxl's own copy idiom (cf. WorksheetCopy)

        self.header = proto(font=Font(name=FONT, size=11, bold=True), fill=PatternFill("solid", fgColor="DDEBF7"),
                            alignment=Alignment(vertical="top", wrap_text=True))
        self.label = proto(font=Font(name=FONT, size=11, bold=True), alignment=Alignment(vertical="top"))
        self.title = proto(font=Font(name=FONT, bold=True, size=14), alignment=Alignment(vertical="top", wrap_text=True))
        self.section = proto(font=Font(name=FONT, bold=True, size=12))
        self.wrap = proto(alignment=Alignment(wrap_text=True, vertical="top"))
        # in a data row, wrapped text keeps the default bottom alignment, as its unstyled neighbours do
        self.wrap_row = proto(alignment=Alignment(wrap_text=True))
        self.plain = None
        self._formats: dict[str, object] = {}
        self._ws = ws

    def number(self, fmt: str, centred: bool = False):
        style = self._formats.get((fmt, centred))
        if style is None:
            cell = WriteOnlyCell(self._ws)
            cell.number_format = fmt
            if centred:
                cell.alignment = Alignment(horizontal="center")
            style = self._formats[(fmt, centred)] = cell._style
        return style


def _cell(ws, value, style=None, force_string=False):
    cell = WriteOnlyCell(ws)
    if style is not None:
        cell._style = copy(style)
    cell.value = value
    if force_string:
        cell.data_type = "s"
    return cell


def _text_cell(ws, stored: str | None, style=None):
    """A cell for user text (already in stored form): always a string, never a formula."""
    if stored is None:
        return None if style is None else _cell(ws, None, style)
    return _cell(ws, stored, style, force_string=True)


# ---- pandas -> Python lists ----------------------------------------------------------------------

def _series(frame: pd.DataFrame, name: str, n: int) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * n, index=frame.index, dtype=object)


def _text_list(series: pd.Series) -> list:
    """Stored-form strings (None for blanks); list-likes (teams, stages) joined with ", "."""
    values = series.tolist()
    if series.dtype == object:
        values = [", ".join(clean_text(x) for x in v) if isinstance(v, (list, tuple, np.ndarray))
                  else v for v in values]
    return clean_column(values)


def _number_list(series: pd.Series, integer: bool = False) -> list:
    numpy_dtype = isinstance(series.dtype, np.dtype)  # no missing values possible
    if numpy_dtype and series.dtype.kind in "iu":
        return series.tolist()
    if numpy_dtype and series.dtype.kind == "b":
        return [int(v) for v in series.tolist()]
    numeric = pd.to_numeric(series, errors="coerce")
    floats = numeric.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(floats).tolist()
    values = floats.tolist()
    if integer:
        return [int(round(v)) if ok else None for v, ok in zip(values, finite)]
    return [v if ok else None for v, ok in zip(values, finite)]


def _bool_list(series: pd.Series) -> list:
    return [None if _blank(v) else bool(v) for v in series.tolist()]


def _naive_utc(value: pd.Series) -> pd.Series:
    dt = pd.to_datetime(value, errors="coerce", utc=False)
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_convert("UTC").dt.tz_localize(None)
    return dt


def _datetime_list(series: pd.Series) -> list:
    if len(series) == 0:
        return []
    try:
        dt = _naive_utc(series)
    except (TypeError, ValueError):  # mixed time zones
        dt = pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None)
    missing = dt.isna().tolist()
    values = dt.dt.to_pydatetime()
    values = values.tolist() if hasattr(values, "tolist") else list(values)
    return [None if miss else v for v, miss in zip(values, missing)]


def _date_list(series: pd.Series) -> list:
    return [None if v is None else v.date() for v in _datetime_list(series)]


def _blank(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _scalar_datetime(value) -> datetime | None:
    if _blank(value):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(timezone.utc).tz_localize(None)
    return ts.to_pydatetime()


# ---- widths ----------------------------------------------------------------------------------------

def _display_width(text: str) -> int:
    longest = 0
    for line in text.split("\n"):
        width = len(line)
        if not line.isascii():
            width += sum(1 for ch in line if unicodedata.east_asian_width(ch) in "WF")
        longest = max(longest, width)
    return longest


def _sample(values: list) -> list:
    n = len(values)
    if n <= WIDTH_SAMPLE_ROWS:
        return values
    step = n / WIDTH_SAMPLE_ROWS
    return [values[int(i * step)] for i in range(WIDTH_SAMPLE_ROWS)]


def _column_width(col: _Column) -> int:
    # The header wraps at its spaces ("Pain / points"), so a count column is as wide as its longest
    # word plus the filter button, not its whole header: more columns fit a printed page.
    header = max(_display_width(word) for word in (col.header.split() or [""])) + 3
    widest = 0
    if col.kind == "datetime":
        widest = 19
    elif col.kind == "date":
        widest = 10
    elif col.kind == "bool":
        widest = 5
    else:
        for v in _sample(col.values):
            if v is None:
                continue
            if col.kind == "text":
                w = _display_width(v)
            elif col.kind == "float":
                w = len(f"{v:.2f}")
            else:
                w = len(str(v))
            if w > widest:
                widest = w
    cap = col.max_width
    return max(6, min(cap, max(header, widest + 2)))


# ---- printing ----------------------------------------------------------------------------------------

LINE_HEIGHT = 15.0            # points per line of 11 pt text (Excel's default row is 15)
MAX_ROW_HEIGHT = 409.0        # Excel's limit
FOOTER_NAME_MAX = 80          # characters of the discovery's name in the footer


@dataclass
class _Print:
    """What every printed page carries: the discovery's name and the date in the footer."""
    name: str
    date: str


def _hf_text(value: str, limit: int) -> str:
    """Text for a header/footer section: one line, cut to `limit`, "&" doubled (it starts a code)."""
    text = " ".join(clean_text(value).split())
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text.replace("&", "&&")


def _print_setup(ws, page: _Print, last_col: int, last_row: int, *, title_rows: bool = True,
                 one_page: bool = False) -> None:
    """Landscape A4, one page wide (and one page tall when `one_page`), the header row repeated on
    every page, margins, the sheet's name at the top and the discovery, page number and date below.
    The print area is A1 to (last_col, last_row): columns to the right of it stay out of print.
    Call it before the first row is appended: a write-only sheet writes its properties then."""
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.paperSize = 9  # A4
    setup.fitToWidth = 1
    setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.25, footer=0.25)
    ws.print_options.horizontalCentered = one_page
    if title_rows:
        ws.print_title_rows = "1:1"
    ws.print_area = f"A1:{get_column_letter(max(last_col, 1))}{max(last_row, 1)}"
    ws.oddHeader.center.text = "&A"  # the sheet's name
    ws.oddHeader.center.size = 9
    ws.oddFooter.left.text = _hf_text(page.name, FOOTER_NAME_MAX)
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = _hf_text(page.date, 40)
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 9


def _lines(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide (an estimate that errs
    towards one line too many: a clipped line is worse than a little white space)."""
    per_line = max(1, int(width))
    return sum(max(1, -(-_display_width(line) // per_line)) for line in text.split("\n"))


def _header_lines(header: str, width: float) -> int:
    """Lines of a wrapped header: words packed greedily into the width left beside the filter button."""
    room, lines, used = max(1, int(width) - 3), 1, 0
    for word in header.split():
        need = len(word) if used == 0 else used + 1 + len(word)
        if used and need > room:
            lines, used = lines + 1, len(word)
        else:
            used = need
    return lines


# ---- sheet writer ------------------------------------------------------------------------------------

class _Progress:
    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback, self.total, self.done, self._next = callback, total, 0, PROGRESS_EVERY

    def add(self, rows: int) -> None:
        self.done += rows
        if self.callback is not None and self.done >= self._next:
            self.callback(min(self.done, self.total), self.total)
            self._next = self.done + PROGRESS_EVERY

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.total, self.total)


def _convert_column(ws, styles: _Styles, col: _Column, width: int, chunk: list) -> list:
    """Turn a slice of a column's values into what ``append`` takes: values or styled cells."""
    if col.kind == "text":
        if col.wrap:
            wrap = styles.wrap_row
            return [v if v is None or (len(v) <= width and "\n" not in v and not needs_string_type(v))
                    else _text_cell(ws, v, wrap if (len(v) > width or "\n" in v) else None)
                    for v in chunk]
        return [v if v is None or not needs_string_type(v) else _text_cell(ws, v) for v in chunk]
    if col.kind == "bool":  # Yes/No centred: right-aligned, a printed "Yes" ran into the next column's text
        style = styles.number(col.number_format or YES_NO_FORMAT, centred=True)
        return [None if v is None else _cell(ws, v, style) for v in chunk]
    if col.number_format is not None or col.gap:
        style = styles.number(_gapped(col.number_format or "0") if col.gap else col.number_format)
        return [None if v is None else _cell(ws, v, style) for v in chunk]
    return chunk


def _gapped(number_format: str) -> str:
    """The format followed by a space's width ("_ "), in each of its sections."""
    return ";".join(section + "_ " for section in number_format.split(";"))


def _set_wrapped_heights(ws, columns: list[_Column], widths: list[int], start: int, stop: int) -> None:
    """Rows whose text wraps get a height for their lines (LibreOffice does not grow a row for wrapped
    text it opens, and a printed row would show one line over the next); other rows stay default."""
    lines: dict[int, int] = {}
    for col, width in zip(columns, widths):
        if col.kind != "text" or not col.wrap:
            continue
        for i, v in enumerate(col.values[start:stop]):
            if v is not None and (len(v) > width or "\n" in v):
                n = _lines(v, width)
                if n > lines.get(i, 1):
                    lines[i] = n
    # The write-only writer only reads a row's attributes from row_dimensions (``attrs.update(...)``);
    # a plain dict of them costs a tenth of a RowDimension object, which matters at 300,000 rows.
    rows = ws.row_dimensions
    for i, n in lines.items():
        dict.__setitem__(rows, start + i + 2,
                         {"ht": f"{min(MAX_ROW_HEIGHT, LINE_HEIGHT * n):g}", "customHeight": "1"})


def _write_data_sheet(wb: Workbook, title: str, columns: list[_Column], progress: _Progress, page: _Print,
                      *, autofilter: bool = True, printed: int | None = None, one_page: bool = False):
    """A header row and the columns' values; `printed` leading columns are in the print area."""
    ws = wb.create_sheet(title)
    styles = _Styles(ws)
    widths = [_column_width(c) for c in columns]
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = "A2"
    n_rows = len(columns[0].values) if columns else 0
    last = get_column_letter(len(columns))
    if autofilter:
        ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    header_lines = max((_header_lines(c.header, w) for c, w in zip(columns, widths)), default=1)
    if header_lines > 1:
        ws.row_dimensions[1].height = LINE_HEIGHT * header_lines
    _print_setup(ws, page, len(columns) if printed is None else printed, n_rows + 1, one_page=one_page)

    ws.append([_text_cell(ws, escape_ooxml(clean_text(c.header)), styles.header) for c in columns])
    progress.add(1)
    for start in range(0, n_rows, _CHUNK):
        stop = min(start + _CHUNK, n_rows)
        converted = [_convert_column(ws, styles, c, w, c.values[start:stop])
                     for c, w in zip(columns, widths)]
        _set_wrapped_heights(ws, columns, widths, start, stop)
        append = ws.append
        for row in zip(*converted):
            append(row)
        progress.add(stop - start)
    return ws, n_rows


# --------------------------------------------------------------------------------------------------
# Sheets

def _backlog_columns(backlog: pd.DataFrame) -> list[_Column]:
    if "rank" in backlog.columns and len(backlog):
        backlog = backlog.sort_values("rank", kind="stable")
    n = len(backlog)
    s = lambda name: _series(backlog, name, n)  # noqa: E731
    cols = [
        _Column("Rank", _number_list(s("rank"), True), "int", gap=True),
        _Column("Theme", _text_list(s("full_title").fillna(s("title"))), wrap=True, max_width=THEME_WIDTH),
        _Column("Teams", _number_list(s("team_count"), True), "int"),
        _Column("Workshops", _number_list(s("workshop_count"), True), "int"),
        _Column("Pain points", _number_list(s("pain_count"), True), "int"),
        _Column("Ideas", _number_list(s("opportunity_count"), True), "int"),
        _Column("Votes", _number_list(s("votes"), True), "int", gap=True),
        _Column("Stages", _text_list(s("stages")), wrap=True, max_width=LIST_WIDTH),
        _Column("Value", _number_list(s("value"), True), "int"),
        _Column("Effort", _number_list(s("effort"), True), "int"),
        # to the two decimals the page shows and ranks by (ties then go by teams, pain points, votes):
        # sorting the sheet by Priority keeps the Rank order
        _Column("Priority", _number_list(pd.to_numeric(s("priority"), errors="coerce").round(2)), "float",
                PRIORITY_FORMAT),
        # TRUE/FALSE in Excel; LibreOffice shows a boolean as 1/0 unless formatted, so: Yes/No
        _Column("Quick win", _bool_list(s("quick_win")), "bool", YES_NO_FORMAT),
        _Column("Status", _text_list(s("status"))),
        # the owner's answers in Review the grouping were about it (services.review.reviewed_themes)
        _Column("Reviewed", [True if v is True else None for v in _bool_list(s("reviewed"))], "bool",
                YES_NO_FORMAT),
        _Column("Team names", _text_list(s("teams")), wrap=True, max_width=LIST_WIDTH),
        _Column("Workshop names", _text_list(s("workshops")), wrap=True, max_width=MAX_TEXT_WIDTH),
        _Column("Theme ID", _number_list(s("theme_id"), True), "int"),
    ]
    assert tuple(c.header for c in cols) == BACKLOG_HEADERS
    return cols


def _workshop_columns(workshops: pd.DataFrame) -> list[_Column]:
    n = len(workshops)
    s = lambda name: _series(workshops, name, n)  # noqa: E731
    counts = [_number_list(s(k), True) for k in _WORKSHOP_KIND_COLUMNS]
    totals = [sum(v for v in row if v is not None) for row in zip(*counts)] if n else []
    cols = [
        _Column("Round", _number_list(s("round").fillna(1), True), "int"),
        _Column("Team", _text_list(s("team"))),
        _Column("Date", _date_list(s("date")), "date", DATE_FORMAT, gap=True),
        _Column("Facilitator", _text_list(s("facilitator"))),
        _Column("Template", _text_list(s("template"))),
        _Column("Status", _text_list(s("status"))),
        _Column("Participants", _number_list(s("participants"), True), "int"),
    ]
    first_kind = WORKSHOP_HEADERS.index("Events")
    cols += [_Column(h, v, "int") for h, v in zip(WORKSHOP_HEADERS[first_kind:first_kind + len(counts)], counts)]
    cols += [_Column("Stickies", totals, "int"),
             _Column("Votes", _number_list(s("votes"), True), "int"),
             _Column("Workshop ID", _number_list(s("workshop_id"), True), "int")]
    assert tuple(c.header for c in cols) == WORKSHOP_HEADERS
    return cols


def _kind_labels(series: pd.Series) -> list:
    labels = {k: v.label for k, v in KINDS_BY_KEY.items()}
    return clean_column([labels.get(v, v) if isinstance(v, str) else v for v in series.tolist()])


def _linked_texts(stickies: pd.DataFrame, link_to: pd.Series) -> list:
    """The text of the sticky each one points at (a deep-dive note's sticky, a pain point's event);
    None where it points at nothing shown here (none, deleted or still private)."""
    targets = link_to.tolist()
    if not any(isinstance(t, str) and t for t in targets):
        return [None] * len(targets)
    text_of = dict(zip(stickies["sticky_id"].tolist(), stickies["text"].tolist()))
    return _text_list(pd.Series([text_of.get(t) if isinstance(t, str) else None for t in targets], dtype=object))


def _sticky_rounds(stickies: pd.DataFrame, workshops: pd.DataFrame) -> list:
    """The round of each sticky's workshop (the Workshops sheet's Round; 1 where the report has none)."""
    if not {"workshop_id", "round"} <= set(workshops.columns) or "workshop_id" not in stickies.columns:
        return [1] * len(stickies)
    round_of = dict(zip(workshops["workshop_id"].tolist(), workshops["round"].tolist()))
    return _number_list(stickies["workshop_id"].map(round_of).fillna(1), True)


def _sticky_columns(stickies: pd.DataFrame, workshops: pd.DataFrame) -> list[_Column]:
    n = len(stickies)
    s = lambda name: _series(stickies, name, n)  # noqa: E731
    minutes = _number_list(s("duration_minutes"))
    durations_shown = [None if m is None else format_duration(m) for m in minutes]  # "3 wk", as on the board
    cols = [
        # first, as on the Workshops sheet: a later round's stickies told from the first's; a space's width
        # after it, or a printed "1" ran into the team ("1Search", 0.9 pt apart)
        _Column("Round", _sticky_rounds(stickies, workshops), "int", gap=True),
        _Column("Team", _text_list(s("team"))),
        _Column("Kind", _kind_labels(s("kind"))),
        _Column("Text", _text_list(s("text")), wrap=True, max_width=MAX_TEXT_WIDTH),
        _Column("Stage", _text_list(s("stage"))),
        # (no gap after Votes here: styling 300,000 plain numbers costs a tenth of the export's time)
        _Column("Votes", _number_list(s("votes"), True), "int"),
        _Column("Theme", _text_list(s("theme")), wrap=True, max_width=LIST_WIDTH),
        _Column("Linked to", _linked_texts(stickies, s("link_to")), wrap=True, max_width=LIST_WIDTH),
        _Column("Created", _datetime_list(s("created_at")), "datetime"),
        _Column("Author", _text_list(s("author"))),
        _Column("Duration", durations_shown, gap=True),
        _Column("Workshop", _text_list(s("workshop"))),
        _Column("Position", _number_list(s("position")), "float", POSITION_FORMAT),
        _Column("Duration (min)", minutes, "float", DURATION_FORMAT),
        _Column("Theme ID", _number_list(s("theme_id"), True), "int"),
        _Column("Sticky ID", _text_list(s("sticky_id"))),
    ]
    assert tuple(c.header for c in cols) == STICKY_HEADERS
    return cols


def _in_timeline_order(stickies: pd.DataFrame) -> pd.DataFrame:
    """The stickies as the report lists them (each workshop's as they were written), those written at one
    moment on one board (an imported workshop's, all at once) along the timeline: before, an imported
    board came out in the database's arbitrary order (by random sticky id)."""
    if not len(stickies) or not {"workshop_id", "created_at", "position"} <= set(stickies.columns):
        return stickies
    same = (stickies["workshop_id"].eq(stickies["workshop_id"].shift())
            & stickies["created_at"].eq(stickies["created_at"].shift()))
    if not same.any():
        return stickies
    run = (~same).cumsum().to_numpy()
    return stickies.assign(_run=run).sort_values(["_run", "position"], kind="stable",
                                                 na_position="last").drop(columns="_run")


def _heatmap_columns(report: BacklogReport) -> list[_Column]:
    heat = report.heatmap if report.heatmap is not None else pd.DataFrame()
    stages = [str(s) for s in (report.discovery or {}).get("stages") or []]
    present = [str(c) for c in heat.columns]
    order = [s for s in stages if s in present] + [c for c in present if c not in stages]
    by_name = {str(c): c for c in heat.columns}
    cols = [_Column("Team", _text_list(pd.Series(list(heat.index), dtype=object)))]
    counts = [_number_list(heat[by_name[name]], True) for name in order]
    cols += [_Column(clean_text(name), v, "int") for name, v in zip(order, counts)]
    totals = [sum(v for v in row if v is not None) for row in zip(*counts)] if counts else \
        [0] * len(heat.index)
    cols.append(_Column("Total", totals, "int"))
    return cols


def _totals(report: BacklogReport) -> list[tuple[str, object]]:
    t = dict(report.totals or {})
    w, st = report.workshops, report.stickies
    if "workshops" not in t:
        t["workshops"] = len(w) if w is not None else 0
    if "teams" not in t:
        t["teams"] = int(w["team"].nunique()) if w is not None and "team" in w else 0
    if "participants" not in t:
        t["participants"] = int(pd.to_numeric(w["participants"], errors="coerce").fillna(0).sum()) \
            if w is not None and "participants" in w else 0
    if "votes" not in t:
        t["votes"] = int(pd.to_numeric(st["votes"], errors="coerce").fillna(0).sum()) \
            if st is not None and "votes" in st else 0
    by_kind = t.get("stickies_by_kind")
    if by_kind is None:
        by_kind = st["kind"].value_counts().to_dict() if st is not None and "kind" in st else {}
    ordered = [k for k in KINDS_BY_KEY if k in by_kind] + [k for k in by_kind if k not in KINDS_BY_KEY]

    def num(v):
        return None if _blank(v) else (int(v) if float(v).is_integer() else float(v))

    not_run = num(t.get("workshops_not_run")) or 0
    rows: list[tuple[str, object]] = [
        ("Workshops run" if not_run else "Workshops", num(t["workshops"])),
        *([("Workshops not run yet", not_run)] if not_run else []), ("Teams", num(t["teams"])),
        ("Participants", num(t["participants"])),
        ("Stickies", sum(num(by_kind[k]) or 0 for k in ordered)),
    ]
    rows += [(f"  {KINDS_BY_KEY[k].label if k in KINDS_BY_KEY else k}", num(by_kind[k])) for k in ordered]
    rows.append(("Votes", num(t["votes"])))
    hidden = num(t.get("votes_hidden_boards")) or 0
    if hidden:  # blind voting still running there: their dots are not in this workbook
        rows.append(("Vote in progress", f"on {hidden} board{'s' if hidden != 1 else ''}: "
                                         "their dots count once the vote ends"))
    return rows


# The Summary's grid: labels, values (merged across B:E for the long texts), the top themes' Priority,
# Teams and Votes, a narrow gap, then the chart's columns. Printed on one landscape page.
SUMMARY_WIDTHS = {"A": 24, "B": 50, "C": 9, "D": 7, "E": 7, "F": 2}
CHART_COLUMNS = 8             # G..N
CHART_COLUMN_WIDTH = 8


def _write_summary(wb: Workbook, report: BacklogReport, top: list[_Column], progress: _Progress,
                   page: _Print, extra: list[tuple] = (), rounds_basis: str | None = None,
                   lead_note: str | None = None) -> None:
    ws = wb.create_sheet("Summary")
    styles = _Styles(ws)
    for letter, width in SUMMARY_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    first_chart_col = len(SUMMARY_WIDTHS) + 1
    for idx in range(first_chart_col, first_chart_col + CHART_COLUMNS):
        ws.column_dimensions[get_column_letter(idx)].width = CHART_COLUMN_WIDTH
    wide = sum(SUMMARY_WIDTHS[c] for c in "BCDE")   # a long text merged across B:E
    left_proto = WriteOnlyCell(ws)
    left_proto.alignment = Alignment(horizontal="left", vertical="top")
    left = left_proto._style
    d = report.discovery or {}
    txt = lambda v: escape_ooxml(clean_text(v)) or None  # noqa: E731
    rows: list[list] = []

    def label(text):
        return _text_cell(ws, text, styles.label)

    def long_text(name, value, style=styles.wrap, scale=1.0):
        """A label and a text merged across B:E, its row as tall as the wrapped text
        (`scale`: the font's size against 11 pt)."""
        rows.append([label(name), _text_cell(ws, value, style)])
        n = len(rows)
        ws.merged_cells.add(f"B{n}:E{n}")
        lines = _lines(value or "", wide / scale)
        if lines > 1 or scale > 1:
            ws.row_dimensions[n].height = LINE_HEIGHT * scale * lines

    long_text("Discovery", txt(d.get("name")), styles.title, scale=14 / 11)
    long_text("Problem statement", txt(d.get("problem")))
    long_text("Goal", txt(d.get("goal")))
    if d.get("start_label") or d.get("end_label"):
        long_text("Timeline", txt(f"{clean_text(d.get('start_label'))} \u2192 {clean_text(d.get('end_label'))}"))
    if d.get("stages"):
        long_text("Stages", txt(", ".join(clean_text(s) for s in d["stages"])))
    generated = _scalar_datetime(report.generated_at)
    gen_proto = WriteOnlyCell(ws)
    gen_proto.number_format = "yyyy-mm-dd hh:mm"
    gen_proto.alignment = Alignment(horizontal="left", vertical="top")
    rows.append([label("Generated at (UTC)"),
                 None if generated is None else _cell(ws, generated, gen_proto._style)])
    rows.append([])
    rows.append([_text_cell(ws, "Totals", styles.section)])
    chart_top = len(rows) - 1  # 0-based row of "Totals": the chart starts beside it
    for name, value, *fmt in [*_totals(report), *extra]:
        # values left-aligned, next to their labels (not at the far edge of the wide column B)
        style = left
        if fmt:
            proto_cell = WriteOnlyCell(ws)
            proto_cell.number_format = fmt[0]
            proto_cell.alignment = Alignment(horizontal="left", vertical="top")
            style = proto_cell._style
        rows.append([label(name), None if value is None else _cell(ws, value, style)])
    if lead_note:
        long_text("Lead time compared", txt(lead_note))
    if rounds_basis:
        long_text("Rounds compared", txt(rounds_basis))
    rows.append([])
    n_top = len(top[0].values)
    rows.append([_text_cell(ws, f"Top {n_top} themes" if n_top != 1 else "The theme", styles.section)])
    header_row = len(rows) + 1
    rows.append([_text_cell(ws, c.header, styles.header) for c in top])
    # numbers at the top of their row, level with the first line of a title that wraps
    prio_cell = WriteOnlyCell(ws)
    prio_cell.number_format = PRIORITY_FORMAT
    prio_cell.alignment = Alignment(vertical="top")
    prio = prio_cell._style
    top_cell = WriteOnlyCell(ws)
    top_cell.alignment = Alignment(vertical="top")
    number_top = top_cell._style
    theme_width = SUMMARY_WIDTHS["B"]
    for i in range(n_top):
        row = []
        for c in top:
            v = c.values[i]
            if c.header == "Rank":
                row.append(None if v is None else _cell(ws, v, left))  # under its header, not far right
            elif c.kind == "text":
                row.append(_text_cell(ws, v, styles.wrap))
                lines = _lines(v or "", theme_width)
                if lines > 1:
                    ws.row_dimensions[len(rows) + 1].height = LINE_HEIGHT * lines
            elif c.number_format and v is not None:
                row.append(_cell(ws, v, prio))
            else:
                row.append(None if v is None else _cell(ws, v, number_top))
        rows.append(row)
    if n_top == 0:
        rows.append([None, _text_cell(ws, "No themes yet.")])

    last_col = len(top)
    if n_top:
        chart = BarChart()
        chart.type = "bar"  # horizontal bars: long theme titles stay readable
        chart.style = 10
        chart.title = f"Top {n_top} themes by priority"
        chart.y_axis.title = "Priority"
        chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.legend = None
        data = Reference(ws, min_col=3, min_row=header_row, max_row=header_row + n_top)
        cats = Reference(ws, min_col=2, min_row=header_row + 1, max_row=header_row + n_top)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        # Anchored to cells (G beside "Totals" down to the last top theme), so it moves and sizes
        # with them and lies inside the print area however tall the rows are.
        anchor = TwoCellAnchor()
        anchor._from = AnchorMarker(col=first_chart_col - 1, row=chart_top)
        anchor.to = AnchorMarker(col=first_chart_col - 1 + CHART_COLUMNS, row=len(rows))
        chart.anchor = anchor
        ws.add_chart(chart)
        last_col = first_chart_col - 1 + CHART_COLUMNS

    _print_setup(ws, page, last_col, len(rows), title_rows=False, one_page=True)  # before the rows
    for row in rows:
        ws.append(row)
    progress.add(len(rows))


def _write_backlog(wb: Workbook, columns: list[_Column], progress: _Progress, page: _Print) -> None:
    ws, n = _write_data_sheet(wb, "Backlog", columns, progress, page, autofilter=False,
                              printed=PRINTED_COLUMNS["Backlog"])
    last = get_column_letter(len(columns))
    # An empty table keeps one blank data row, as Excel itself does (a header-only table is invalid).
    ref = f"A1:{last}{max(n, 1) + 1}"
    table = Table(displayName=BACKLOG_TABLE_NAME, ref=ref,
                  tableStyleInfo=TableStyleInfo(name=TABLE_STYLE, showRowStripes=True))
    table.tableColumns = [TableColumn(id=i, name=c.header) for i, c in enumerate(columns, 1)]
    table.autoFilter = AutoFilter(ref=ref)
    with warnings.catch_warnings():  # "add table columns manually": done above
        warnings.simplefilter("ignore", UserWarning)
        ws.add_table(table)
    if n:
        col = get_column_letter(BACKLOG_HEADERS.index("Priority") + 1)
        ws.conditional_formatting.add(
            f"{col}2:{col}{n + 1}",
            ColorScaleRule(start_type="min", start_color="F8696B", mid_type="percentile",
                           mid_value=50, mid_color="FFEB84", end_type="max", end_color="63BE7B"))


HEATMAP_ONE_PAGE_TEAMS = 60  # up to this many teams the heatmap prints on one page; beyond, one page wide
ROUNDS_ONE_PAGE_THEMES = 60  # the same for the Rounds sheet's themes


def _write_heatmap(wb: Workbook, columns: list[_Column], progress: _Progress, page: _Print) -> None:
    n_teams = len(columns[0].values) if columns else 0
    ws, n = _write_data_sheet(wb, "Heatmap", columns, progress, page,
                              one_page=n_teams <= HEATMAP_ONE_PAGE_TEAMS)
    if n and len(columns) > 2:
        last_stage = get_column_letter(len(columns) - 1)
        ws.conditional_formatting.add(
            f"B2:{last_stage}{n + 1}",
            ColorScaleRule(start_type="num", start_value=0, start_color="FFFFFF",
                           end_type="max", end_color="F8696B"))


CHANGE_HEADER = "Change (teams in both rounds)"
JUDGED_HEADER = "Judged on"  # "1 of 6 teams": how many of the theme's teams ran both rounds


def _judged_list(rounds: pd.DataFrame) -> list:
    if "judged" not in rounds.columns:
        return [None] * len(rounds)
    return [f"{int(j)} of {int(t)} team{'s' if t != 1 else ''}" if t else None
            for j, t in zip(rounds["judged"], rounds["of_teams"])]
ROUNDS_UNPRINTED = "Theme ID"  # the Rounds sheet's last column, outside the print area


def _rounds_columns(rounds: pd.DataFrame) -> list[_Column]:
    n = len(rounds)
    numbers = sorted(int(c.split("_")[1]) for c in rounds.columns if c.startswith("teams_"))
    cols = [_Column("Theme", _text_list(_series(rounds, "full_title", n).fillna(rounds["title"])), wrap=True,
                    max_width=THEME_WIDTH)]
    for r in numbers:
        cols.append(_Column(f"Round {r} teams", _number_list(rounds[f"teams_{r}"], True), "int"))
        # the last number before the Change's text keeps a space's width after it (printed "0gone", "2same")
        cols.append(_Column(f"Round {r} pain points", _number_list(rounds[f"pains_{r}"], True), "int",
                            gap=r == numbers[-1]))
    cols += [_Column(CHANGE_HEADER, _text_list(_series(rounds, "change", n)), wrap=True, max_width=16),
             _Column(JUDGED_HEADER, _judged_list(rounds), max_width=16),
             _Column("Shipped", _date_list(_series(rounds, "shipped_on", n)), "date", DATE_FORMAT),
             _Column(ROUNDS_UNPRINTED, _number_list(rounds["theme_id"], True), "int")]
    return cols


def _lead_time_columns(lead: pd.DataFrame) -> list[_Column]:
    stages = [c for c in lead.columns if c not in ("round", "team", "lead_time_days")]
    cols = [_Column("Round", _number_list(lead["round"], True), "int"),
            _Column("Team", _text_list(lead["team"])),
            _Column("Lead time (days)", _number_list(lead["lead_time_days"]), "float", DAYS_FORMAT)]
    cols += [_Column(clean_text(stage), _number_list(lead[stage]), "float", DAYS_FORMAT) for stage in stages]
    return cols


LEAD_FORMAT = '0.0" days (median)"'
GONE_FORMAT = '[=1]0" theme";0" themes"'
GONE_SO_FAR_FORMAT = '[=1]0" theme (for its teams that ran it)";0" themes (for the teams of theirs that ran it)"'


def _lead_time_sheet(lead: pd.DataFrame | None, stickies: pd.DataFrame) -> list[_Column] | None:
    """The Lead time sheet's columns; when no team's time stickies carry a duration, a note saying so
    (and which), or no sheet when there are no time stickies at all (or no lead time was asked for)."""
    if lead is None:
        return None
    if len(lead):
        return _lead_time_columns(lead)
    from workshop.aggregation.lead_time import no_duration_note
    note = no_duration_note(stickies)
    return [_Column("Lead time", [note], wrap=True)] if note else None


def _round_summary(rounds: pd.DataFrame | None, lead: pd.DataFrame | None) -> list[tuple]:
    """The Summary's lines about rounds: each round's median lead time, and the themes gone."""
    if rounds is None or not len(rounds):
        return []
    from workshop.aggregation.lead_time import compared_per_round
    from workshop.aggregation.rounds import GONE_SO_FAR
    lines: list[tuple[str, object]] = []
    if lead is not None and len(lead):
        # on the teams with times in every round (the sentence below the lines says which), as the
        # themes' change is judged: a median over ten teams against one over three compares nothing
        compared, _ = compared_per_round(lead)
        for row in compared.itertuples():
            lines.append((f"Lead time, round {row.round}", round(float(row.median_days), 1), LEAD_FORMAT))
    numbers = sorted(int(c.split("_")[1]) for c in rounds.columns if c.startswith("teams_"))
    if len(numbers) >= 2:
        gone = int((rounds["change"] == "gone").sum())
        lines.append((f"Gone in round {numbers[-1]}", gone, GONE_FORMAT))
        so_far = int((rounds["change"] == GONE_SO_FAR).sum())
        if so_far:
            lines.append(("Gone so far", so_far, GONE_SO_FAR_FORMAT))
    return lines


def _pain_by_stage_columns(by_stage: pd.DataFrame) -> list[_Column]:
    numbers = sorted(int(c.split("_")[1]) for c in by_stage.columns if c.startswith("round_"))
    cols = [_Column("Stage", _text_list(by_stage["stage"]))]
    cols += [_Column(f"Round {r}", _number_list(by_stage[f"round_{r}"]), "float", PER_TEAM_FORMAT) for r in numbers]
    return cols


def _write_pain_by_stage(wb: Workbook, columns: list[_Column], progress: _Progress, page: _Print) -> None:
    """Pain points per team by stage, a column per round, and the clustered bars beside them."""
    ws, n = _write_data_sheet(wb, "Pain by stage", columns, progress, page, autofilter=False, one_page=True)
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.style = 10
    chart.title = "Pain points per team, by stage and round"
    chart.y_axis.title = "Pain points per team"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=2, max_col=len(columns), min_row=1, max_row=n + 1)
    cats = Reference(ws, min_col=1, min_row=2, max_row=n + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    first = len(columns) + 2  # a gap column, then the chart's
    anchor = TwoCellAnchor()
    anchor._from = AnchorMarker(col=first - 1, row=0)
    anchor.to = AnchorMarker(col=first - 1 + CHART_COLUMNS, row=max(n + 1, 16))
    chart.anchor = anchor
    ws.add_chart(chart)
    ws.print_area = f"A1:{get_column_letter(first - 1 + CHART_COLUMNS)}{max(n + 1, 16)}"


def _build_workbook(report: BacklogReport, callback: ProgressCallback | None) -> Workbook:
    rounds, lead_time, pain_by_stage = report.rounds, report.lead_time, report.pain_by_stage
    rounds_basis = report.rounds_basis
    backlog = report.backlog if report.backlog is not None else pd.DataFrame()
    workshops = report.workshops if report.workshops is not None else pd.DataFrame()
    stickies = report.stickies if report.stickies is not None else pd.DataFrame()

    backlog_cols = _backlog_columns(backlog)
    heat_cols = _heatmap_columns(report)
    workshop_cols = _workshop_columns(workshops)
    sticky_cols = _sticky_columns(_in_timeline_order(stickies), workshops)
    top = [_Column(c.header, c.values[:TOP_THEMES], c.kind, c.number_format)
           for c in backlog_cols if c.header in ("Rank", "Theme", "Priority", "Teams", "Votes")]
    top = [next(c for c in top if c.header == h) for h in ("Rank", "Theme", "Priority", "Teams", "Votes")]

    summary_rows = 20 + len(top[0].values)
    rounds_cols = _rounds_columns(rounds) if rounds is not None and len(rounds) else None
    lead_cols = _lead_time_sheet(lead_time, stickies) if rounds_cols else None
    stage_cols = _pain_by_stage_columns(pain_by_stage) \
        if rounds_cols and pain_by_stage is not None and len(pain_by_stage) else None
    sheets = [backlog_cols, heat_cols, workshop_cols, sticky_cols] + [c for c in (rounds_cols, lead_cols, stage_cols) if c]
    total = summary_rows + sum(len(cols[0].values) + 1 for cols in sheets)
    progress = _Progress(callback, total)

    generated = _scalar_datetime(report.generated_at)
    page = _Print(name=clean_text((report.discovery or {}).get("name")) or "Discovery",
                  date=f"{generated:%Y-%m-%d}" if generated is not None else "")

    wb = Workbook(write_only=True)
    lead_note = None
    if rounds_cols and lead_time is not None and len(lead_time):
        from workshop.aggregation.lead_time import comparison_sentence
        lead_note = comparison_sentence(lead_time)
    _write_summary(wb, report, top, progress, page, _round_summary(rounds, lead_time), rounds_basis, lead_note)
    _write_backlog(wb, backlog_cols, progress, page)
    _write_heatmap(wb, heat_cols, progress, page)
    if rounds_cols:  # like the heatmap, one page for the meeting while it stays readable
        _write_data_sheet(wb, "Rounds", rounds_cols, progress, page, printed=len(rounds_cols) - 1,
                          one_page=len(rounds_cols[0].values) <= ROUNDS_ONE_PAGE_THEMES)
    if lead_cols:
        _write_data_sheet(wb, "Lead time", lead_cols, progress, page,
                          one_page=len(lead_cols[0].values) <= ROUNDS_ONE_PAGE_THEMES)
    if stage_cols:
        _write_pain_by_stage(wb, stage_cols, progress, page)
    _write_data_sheet(wb, "Workshops", workshop_cols, progress, page, printed=PRINTED_COLUMNS["Workshops"])
    _write_data_sheet(wb, "Stickies", sticky_cols, progress, page, printed=PRINTED_COLUMNS["Stickies"])
    progress.finish()
    return wb
