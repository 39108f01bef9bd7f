"""A discovery's rounds side by side: the backlog report plus, from round 2 on, each theme's teams and
pain points per round and its change (workshop/aggregation/rounds.py), its lead time and pain by stage,
built once into the report (services.backlog.build_report); and the day a theme shipped."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Mapping

from sqlmodel import Session, select

from ..aggregation.report import BacklogReport
from ..aggregation.rounds import compare_rounds, comparison_basis
from ..db.models import Workshop

if TYPE_CHECKING:
    from ..db.models import Theme


def workshop_rounds(session: Session, discovery_id: int) -> dict[int, int]:
    return {wid: r for wid, r in session.exec(select(Workshop.id, Workshop.round)
                                              .where(Workshop.discovery_id == discovery_id)).all()}


def with_rounds(report: BacklogReport, workshop_round: Mapping[int, int], shipped: dict[int, date]) -> BacklogReport:
    """The report with what the page and the workbook show of rounds, computed once: from a second
    round on (and with a theme), ``rounds`` (one row per theme, in rank order, with the day it was
    marked shipped, ``shipped_on``, None if not), ``lead_time`` (per round and team, the days its time
    stickies add up to, in total and per stage), ``pain_by_stage`` (pain points per team by stage, one
    column per round), ``rounds_basis`` (which teams the change between the last two rounds is judged
    on, in a sentence) and ``rounds_gone``; all None with one round. ``shipped`` always."""
    report = replace(report, shipped=dict(shipped))
    if len(set(workshop_round.values())) < 2 or report.backlog is None or not len(report.backlog):
        return report
    from ..aggregation.lead_time import lead_times
    from ..aggregation.rounds import pain_by_stage
    comparison = compare_rounds(report.stickies, report.backlog, workshop_round)
    rounds = comparison.assign(shipped_on=[shipped.get(int(t)) for t in comparison["theme_id"]])
    stages = list((report.discovery or {}).get("stages") or [])
    basis = comparison_basis(report.stickies, workshop_round)
    return replace(report, rounds=rounds, lead_time=lead_times(report.stickies, workshop_round, stages),
                   pain_by_stage=pain_by_stage(report.stickies, workshop_round, stages),
                   rounds_basis=basis.sentence() if basis is not None else None,
                   rounds_gone=basis.gone_line(rounds) if basis is not None else None)


def shipped_dates(session: Session, discovery_id: int) -> dict[int, date]:
    from ..db.models import Theme
    return {tid: day for tid, day in session.exec(select(Theme.id, Theme.shipped_on).where(
        Theme.discovery_id == discovery_id, Theme.shipped_on.is_not(None))).all()}


SHIPPED_STATUS = "done"  # what a shipping date says of a theme's status (ADR 0017)


def set_shipped(session: Session, discovery_id: int, theme_id: int, shipped_on) -> "Theme":
    """A product owner marks a theme shipped on a date (or clears it): the next round shows whether the
    pain went away. Shipped means done (ADR 0017): a date moves the theme's status to "done"; clearing
    the date leaves the status as it is. The caller has checked that the person may see the discovery."""
    from datetime import date

    from ..db.models import Theme
    from ..domain.errors import NotFound, ValidationError
    theme = session.get(Theme, theme_id)
    if theme is None or theme.discovery_id != discovery_id or theme.merged_into_id is not None:
        raise NotFound("unknown_theme", f"There is no theme {theme_id} in this discovery.")
    if shipped_on in (None, ""):
        day = None
    else:
        try:
            day = shipped_on if isinstance(shipped_on, date) else date.fromisoformat(str(shipped_on).strip())
        except ValueError:
            raise ValidationError("invalid_date", f"{shipped_on!r} is not a date (YYYY-MM-DD).") from None
        if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            raise ValidationError("invalid_date", f"{day} is not a plausible shipping date.")
    theme.shipped_on = day
    if day is not None:
        theme.status = SHIPPED_STATUS
    session.add(theme)
    session.commit()
    return theme
