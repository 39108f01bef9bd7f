"""A discovery's rounds side by side: the backlog report plus, from round 2 on, each theme's teams and
pain points per round and its change (workshop/aggregation/rounds.py)."""
from __future__ import annotations

import pandas as pd
from sqlmodel import Session, select

from ..aggregation.report import BacklogReport
from ..aggregation.rounds import compare_rounds
from ..db.models import Workshop


def workshop_rounds(session: Session, discovery_id: int) -> dict[int, int]:
    return {wid: r for wid, r in session.exec(select(Workshop.id, Workshop.round)
                                              .where(Workshop.discovery_id == discovery_id)).all()}


def round_comparison(session: Session, discovery_id: int, report: BacklogReport) -> pd.DataFrame | None:
    """None while the discovery has one round; else one row per theme, in rank order."""
    rounds = workshop_rounds(session, discovery_id)
    if len(set(rounds.values())) < 2 or report.backlog is None or not len(report.backlog):
        return None
    return compare_rounds(report.stickies, report.backlog, rounds)


def lead_time(session: Session, discovery_id: int, report: BacklogReport) -> pd.DataFrame:
    """Per round and team, the days its time stickies add up to, in total and per stage."""
    from ..aggregation.lead_time import lead_times
    stages = list((report.discovery or {}).get("stages") or [])
    return lead_times(report.stickies, workshop_rounds(session, discovery_id), stages)


def pain_by_stage(session: Session, discovery_id: int, report: BacklogReport) -> pd.DataFrame:
    """Pain points per team by stage, one column per round."""
    from ..aggregation.rounds import pain_by_stage as per_stage
    stages = list((report.discovery or {}).get("stages") or [])
    return per_stage(report.stickies, workshop_rounds(session, discovery_id), stages)
