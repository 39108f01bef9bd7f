"""Import a CSV of stickies: an in-person workshop typed up afterwards, or another tool's export.

    import_stickies(session, csv_text_or_file, discovery_name, team) -> ImportResult

Columns (header row, any order, case-insensitive): ``kind`` and ``text`` required; ``stage``,
``position`` (0..1 along the timeline), ``votes``, ``author`` and ``duration`` optional (``duration``:
how long a time-taken sticky's part takes, in minutes as a number or as ``45m``, ``4h``, ``3d``, ``2w``;
only time stickies carry one; without it a time sticky takes the duration its text names, "Plan check
3 weeks", by the board's rule: domain.durations.duration_in). Placement: position wins;
with only a stage the sticky goes inside that stage's column (spread evenly within it); with neither,
the file's stickies are spread evenly along the whole timeline; then, by the board's rule
(domain.placement), none lands on another (a position keeps its x; the wall grows downward). ``votes`` become Vote rows without a
participant.

All or nothing: every bad row is reported with its line number and reason in one ValidationError
(code "invalid_csv"), and nothing of that file is imported. The discovery is created if it does not
exist (default stages and labels); the file becomes one closed workshop of ``team`` in the discovery's
latest round, or in the round named (which may be the next one: the file then starts it). When the team
already has a workshop in that round that has not run (no stickies: "Start round N" made it), the file
fills that workshop instead of adding another.

The day the workshop was held (``held_on``, a date or YYYY-MM-DD) is the one given; without one, the day
the workshop it fills already has, else today (``ImportResult.held_on_from`` says which). A CSV has no
column for it: every row is a sticky, and the day is the workshop's. A day that is not a date, before
2000 or after today is refused before anything is written.
"""
from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import IO

from sqlmodel import Session, select

from workshop.db.models import Discovery, Sticky, Vote, Workshop
from workshop.domain.errors import Conflict, ValidationError
from workshop.domain.durations import MAX_MINUTES, duration_in, parse_duration
from workshop.domain.kinds import KINDS_BY_KEY, kind_from_name
from workshop.domain.placement import NEAR, TIDY, Wall, place
from workshop.domain.validation import parse_day, sticky_text, validate_display_name

DEFAULT_STAGES = ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
DEFAULT_START_LABEL = "Project starts"
DEFAULT_END_LABEL = "Live in production with users"
TEAM_MAX = 120
MAX_VOTES = 1000
REQUIRED = ("kind", "text")
OPTIONAL = ("stage", "position", "votes", "author", "duration")
MAX_REPORTED = 50
WANTED_Y = 0.1  # where on the wall a sticky is wanted before it moves to a free place (listview.js)
EARLIEST_HELD = date(2000, 1, 1)  # a workshop held before it is a typo ("0026-11-20")


@dataclass
class ImportResult:
    discovery_id: int
    workshop_id: int
    created_discovery: bool
    discovery_name: str = ""
    team: str = ""
    round: int = 1
    by_kind: dict[str, int] = field(default_factory=dict)
    votes: int = 0
    held_on: date | None = None  # the day the workshop was held
    held_on_from: str = "given"  # where that day came from: "given", "workshop" (the day it had) or "today"

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass
class _Row:
    line: int
    kind: str
    text: str
    stage: int | None
    position: float | None
    votes: int
    author: str
    duration: int | None = None


def _read_text(source: str | bytes | IO) -> str:
    data = source.read() if hasattr(source, "read") else source
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("invalid_csv", "The file is not UTF-8 text; save it as CSV UTF-8.") from None
    return str(data).lstrip("\ufeff")


def _parse(text: str, stages: list[str]) -> list[_Row]:
    if not text.strip():
        raise ValidationError("invalid_csv", "The file is empty: expected a header row with kind,text.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ValidationError("invalid_csv", f"Cannot read the header row: {exc}.") from None
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValidationError("invalid_csv", f"Line 1: missing required column(s): {', '.join(missing)} "
                                             f"(found: {', '.join(n for n in names if n) or 'nothing'}).")
    col = {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}
    stage_by_name = {s.strip().lower(): i for i, s in enumerate(stages)}
    rows: list[_Row] = []
    problems: list[str] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank line
            get = lambda name, record=record: (record[col[name]].strip()  # noqa: E731
                                               if name in col and col[name] < len(record) else "")
            reasons: list[str] = []
            kind = ""
            try:
                kind = kind_from_name(get("kind")) if get("kind") else ""
                if not kind:
                    reasons.append("kind is empty")
            except ValidationError:
                reasons.append(f"unknown kind {get('kind')!r} (kinds: {', '.join(KINDS_BY_KEY)})")
            raw_text = record[col["text"]] if col["text"] < len(record) else ""
            text_value = raw_text.strip()
            try:
                sticky_text(text_value)  # the board's rule
            except ValidationError as error:
                reasons.append(f"text: {error.message}")
            stage = None
            if get("stage"):
                stage = stage_by_name.get(get("stage").lower())
                if stage is None:
                    reasons.append(f"unknown stage {get('stage')!r} (stages: {', '.join(stages)})")
            position = None
            if get("position"):
                try:
                    position = float(get("position").replace(",", "."))
                    if position != position or not 0.0 <= position <= 1.0:
                        reasons.append(f"position {get('position')!r} is outside 0..1")
                        position = None
                except ValueError:
                    reasons.append(f"position {get('position')!r} is not a number")
            votes = 0
            if get("votes"):
                try:
                    votes = int(get("votes"))
                    if votes < 0 or votes > MAX_VOTES:
                        reasons.append(f"votes {get('votes')!r} must be 0..{MAX_VOTES}")
                        votes = 0
                except ValueError:
                    reasons.append(f"votes {get('votes')!r} is not a whole number")
            author = get("author")
            try:
                author = validate_display_name(author) if author else ""  # a participant's name rule
            except ValidationError as error:
                reasons.append(f"author: {error.message}")
            duration = None
            if get("duration"):
                duration = parse_duration(get("duration"))
                if duration is None:
                    reasons.append(f"duration {get('duration')!r} is not a duration "
                                   "(minutes as a number, or like 45m, 4h, 3d, 2w)")
                elif duration > MAX_MINUTES:
                    reasons.append(f"duration {get('duration')!r} is longer than {MAX_MINUTES:,} minutes")
                    duration = None
                elif kind and not KINDS_BY_KEY[kind].has_duration:
                    reasons.append(f"only a time-taken sticky has a duration (this one is {kind!r})")
                    duration = None
            elif kind:
                duration = _duration_named_in(kind, text_value)
            if reasons:
                problems.append(f"line {line}: {'; '.join(reasons)}")
            else:
                rows.append(_Row(line, kind, text_value, stage, position, votes, author, duration))
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: cannot read the row ({exc})")
    if problems:
        shown = problems[:MAX_REPORTED]
        more = f"\n… and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise ValidationError("invalid_csv", f"{len(problems)} bad row(s); nothing was imported:\n"
                              + "\n".join(shown) + more)
    if not rows:
        raise ValidationError("invalid_csv", "The file has a header but no stickies.")
    return rows


def _duration_named_in(kind: str, text: str) -> int | None:
    """A time sticky without a duration column takes the one its text names, as on the board."""
    if not KINDS_BY_KEY[kind].has_duration:
        return None
    minutes = duration_in(text)
    return minutes if minutes is not None and minutes <= MAX_MINUTES else None


def _place(rows: list[_Row], n_stages: int) -> list[tuple[float, float]]:
    """(x, y) for each row: wanted at its x at the top of the wall, then moved by the board's rule
    (domain/placement.py) so that none lands on another: a given position keeps its x and goes down the
    column; the others take their stage column's slots, lane by lane, as the list view adds a sticky."""
    wall = Wall(n_stages)
    return [place(wall, row.kind, x, WANTED_Y, NEAR if row.position is not None else TIDY)
            for row, x in zip(rows, _wanted_xs(rows, n_stages))]


def _wanted_xs(rows: list[_Row], n_stages: int) -> list[float]:
    """x for each row: its position; inside its stage's column; or spread over the timeline."""
    xs: list[float] = []
    per_stage = Counter(r.stage for r in rows if r.position is None and r.stage is not None)
    seen_stage: Counter = Counter()
    unplaced = [r for r in rows if r.position is None and r.stage is None]
    seen_free = 0
    width = 1.0 / max(n_stages, 1)
    for r in rows:
        if r.position is not None:
            xs.append(r.position)
        elif r.stage is not None:
            seen_stage[r.stage] += 1
            xs.append((r.stage + seen_stage[r.stage] / (per_stage[r.stage] + 1)) * width)
        else:
            seen_free += 1
            xs.append(seen_free / (len(unplaced) + 1))
    return xs


def _held_day(value: date | str | None, today: date) -> date | None:
    """The day the workshop was held, as given (None for none); refused unless it is a date from 2000 to
    today (a day later, for a workshop held where the day has already begun)."""
    refused = "The day the workshop was held: {} (use YYYY-MM-DD, e.g. 2026-11-20); nothing was imported."
    try:
        day = parse_day(value)
    except ValidationError:
        raise ValidationError("invalid_date", refused.format(f"{value!r} is not a date")) from None
    if day is not None and day < EARLIEST_HELD:
        raise ValidationError("invalid_date", refused.format(f"{day.isoformat()} is before {EARLIEST_HELD.year}"))
    if day is not None and day > today + timedelta(days=1):
        raise ValidationError("invalid_date", refused.format(f"{day.isoformat()} is after today, {today.isoformat()}"))
    return day


def _round(session: Session, discovery: Discovery | None, wanted: int | None) -> int:
    """The round to import into: the latest by default; the next one may be named (it starts then)."""
    from sqlalchemy import func
    latest = 1 if discovery is None else (session.exec(
        select(func.max(Workshop.round)).where(Workshop.discovery_id == discovery.id)).one() or 1)
    if wanted is None:
        return latest
    if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= latest + 1:
        raise ValidationError("invalid_round", f"Round {wanted} does not exist: the discovery is in round "
                                               f"{latest}; import into 1 to {latest}, or {latest + 1} to start it.")
    return wanted


def _already_imported(session: Session, discovery: Discovery | None, team: str, round_number: int,
                      rows: list) -> Workshop | None:
    """The team's workshop of this round that holds exactly these stickies (same kinds and texts), if any."""
    if discovery is None:
        return None
    wanted = Counter((r.kind, r.text) for r in rows)
    for workshop in session.exec(select(Workshop).where(Workshop.discovery_id == discovery.id,
                                                        Workshop.team == team, Workshop.round == round_number)):
        held = Counter((s.kind, s.text) for s in session.exec(
            select(Sticky).where(Sticky.workshop_id == workshop.id, Sticky.deleted.is_(False))))
        if held == wanted:
            return workshop
    return None


def _not_run_yet(session: Session, discovery: Discovery | None, team: str, round_number: int) -> Workshop | None:
    """The team's workshop of this round that has not run yet (no live stickies on its board), if any:
    the placeholder "Start round N" gave the team, which an import of that team's round fills."""
    if discovery is None:
        return None
    for workshop in session.exec(select(Workshop).where(Workshop.discovery_id == discovery.id,
                                                        Workshop.round == round_number).order_by(Workshop.id)):
        if workshop.team.casefold() == team.casefold() and session.exec(select(Sticky.id).where(
                Sticky.workshop_id == workshop.id, Sticky.deleted.is_(False))).first() is None:
            return workshop
    return None


def import_stickies(session: Session, source: str | bytes | IO, discovery_name: str, team: str,
                    held_on: date | str | None = None, round_number: int | None = None,
                    again: bool = False) -> ImportResult:
    """Create (if needed) the discovery, fill the team's workshop of the round that has not run yet or
    add a closed one, held on ``held_on`` (a date or YYYY-MM-DD; without one, the day that workshop
    has, else today), and import its stickies.

    One transaction: on any problem nothing is written and a ValidationError lists every bad row.
    The same file for the same team and round a second time is refused (``already_imported``) unless
    ``again``: its stickies would count twice in the backlog.
    """
    name = " ".join(str(discovery_name or "").split())
    team_name = " ".join(str(team or "").split())
    if not name or len(name) > 120:
        raise ValidationError("invalid_discovery", "The discovery name must be 1 to 120 characters.")
    if not team_name or len(team_name) > TEAM_MAX:
        raise ValidationError("invalid_team", f"The team must be 1 to {TEAM_MAX} characters.")
    now = datetime.now(timezone.utc)
    day = _held_day(held_on, now.date())
    text = _read_text(source)
    discovery = session.exec(select(Discovery).where(Discovery.name == name)).first()
    stages = list(discovery.stages) if discovery is not None and discovery.stages else list(DEFAULT_STAGES)
    rows = _parse(text, stages)
    spots = _place(rows, len(stages))
    created = discovery is None
    round_number = _round(session, discovery, round_number)
    twin = None if again else _already_imported(session, discovery, team_name, round_number, rows)
    if twin is not None:
        raise Conflict("already_imported",
                       f"These {len(rows)} stickies are already workshop {twin.id} of {team_name} in round "
                       f"{round_number} of {name}: importing them again would count each twice. "
                       "Pass --again to import them as another workshop anyway.")
    try:
        if created:
            discovery = Discovery(name=name, stages=list(DEFAULT_STAGES), start_label=DEFAULT_START_LABEL,
                                  end_label=DEFAULT_END_LABEL)
            session.add(discovery)
            session.flush()
        workshop = _not_run_yet(session, discovery, team_name, round_number) or Workshop(
            discovery_id=discovery.id, team=team_name, template="discovery", join_token=secrets.token_urlsafe(24),
            round=round_number)
        workshop.status, workshop.phase = "closed", "wrapup"
        held_on_from = "given" if day else "workshop" if workshop.held_on else "today"
        workshop.held_on = day or workshop.held_on or now.date()
        session.add(workshop)
        session.flush()
        stickies, votes = [], []
        for row, (x, y) in zip(rows, spots):
            sticky = Sticky(id=str(uuid.uuid4()), workshop_id=workshop.id, kind=row.kind, text=row.text,
                            x=x, y=y, author_name=row.author,
                            duration_minutes=None if row.duration is None else float(row.duration),
                            created_at=now, updated_at=now)
            stickies.append(sticky)
            votes.extend(Vote(workshop_id=workshop.id, sticky_id=sticky.id, participant_id=None, created_at=now)
                         for _ in range(row.votes))
        session.add_all(stickies)
        session.flush()
        session.add_all(votes)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportResult(discovery_id=discovery.id, workshop_id=workshop.id, created_discovery=created,
                        discovery_name=discovery.name, team=team_name, round=round_number,
                        by_kind=dict(Counter(r.kind for r in rows)), votes=len(votes),
                        held_on=workshop.held_on, held_on_from=held_on_from)
