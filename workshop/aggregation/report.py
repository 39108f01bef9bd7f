"""The backlog report: what the backlog page shows and the Excel export writes.

Produced by workshop.services.backlog from the database; consumed by the page and workshop.export.
Every frame is plain pandas with the columns documented here (the contract between the two).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

#: stickies: one row per live (not deleted, not private) sticky of the discovery.
STICKY_COLUMNS = [
    "sticky_id",      # str
    "workshop_id",    # int
    "workshop",       # str: the team, with the day it was held if known ("Payments (2026-10-02)"), see services.backlog.workshop_labels
    "team",           # str
    "kind",           # str: event | pain | system | time | team | opportunity | note
    "text",           # str, exactly as typed
    "stage",          # str, one of the discovery's stages
    "stage_index",    # int, 0-based position of the stage on the timeline
    "position",       # float 0..1 along the timeline
    "votes",          # int
    "duration_minutes",  # float or NaN (time kind)
    "author",         # str
    "created_at",     # datetime64 (UTC, naive)
    "theme_id",       # Int64 (nullable): the theme it belongs to, <NA> for none
    "theme",          # str or None: the theme's title
    "link_to",        # str or None: the sticky_id this one points at (a note on it, a pain point on its event)
]

#: backlog: one row per live theme, in rank order (rank 1 first).
BACKLOG_COLUMNS = [
    "rank", "theme_id", "title", "teams", "team_count", "workshops", "workshop_count",
    "sticky_count", "pain_count", "opportunity_count", "votes", "stages", "value", "effort",
    "priority", "quick_win", "status", "cohesion", "shared_phrases", "check", "full_title",
]
# teams / workshops / stages: list[str] (stages in timeline order); value / effort: Int64 1..5 or <NA>;
# priority: float; quick_win: bool; status: str. team_count / teams / workshops / votes count pain points
# only (opportunities attach as ideas, opportunity_count). cohesion: float 0..1 or NaN, the average
# similarity of two of the theme's stickies; shared_phrases: list[str] its stickies share; check: bool,
# one of the least certain groupings to review. full_title: the title, or the whole sticky text a proposed
# title was cut from ("…"), for the workbook's rows.

#: workshops: one row per workshop, by round (round: int, 1 for a discovery run once), then as added.
WORKSHOP_COLUMNS = [
    "workshop_id", "round", "team", "date", "facilitator", "template", "status", "participants",
    "event", "pain", "system", "time", "team_stickies", "opportunity", "note", "votes",
]


@dataclass
class BacklogReport:
    discovery: dict  # name, problem, goal, stages (list[str]), start_label, end_label
    generated_at: datetime
    backlog: pd.DataFrame
    heatmap: pd.DataFrame  # index: team (str), columns: stages in timeline order, values: int pain counts
    workshops: pd.DataFrame
    stickies: pd.DataFrame
    # workshops (that have run: stickies on the board), workshops_not_run, teams, participants, votes,
    # stickies_by_kind{}
    totals: dict = field(default_factory=dict)
    # From a second round on (all None while the discovery has one round or no theme), built once by
    # workshop.services.rounds.with_rounds; the page and the workbook both read them:
    rounds: pd.DataFrame | None = None  # aggregation.rounds.compare_rounds, plus shipped_on (date or None)
    lead_time: pd.DataFrame | None = None  # aggregation.lead_time.lead_times
    pain_by_stage: pd.DataFrame | None = None  # aggregation.rounds.pain_by_stage
    rounds_basis: str | None = None  # which teams the change is judged on (aggregation.rounds.Basis.sentence)
    rounds_gone: str | None = None  # the themes gone in the latest round, in a sentence (Basis.gone_line)
    shipped: dict = field(default_factory=dict)  # theme_id -> the date it was marked shipped
    # the pain stickies behind each heatmap cell (aggregation.heatmap.pain_cells: CELL_COLUMNS), for the
    # page's cells that open onto them; None where a report was made without them
    heatmap_stickies: pd.DataFrame | None = None
