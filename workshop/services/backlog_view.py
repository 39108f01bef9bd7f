"""What the backlog page shows, built from the BacklogReport: each theme with its source stickies
and what stood near them, the top ten, the heatmap's peak. Plain Python and pandas (no Flask): the
page only renders it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from ..aggregation import context
from ..aggregation.backlog import ALIKE_WORDS, alike_levels
from ..aggregation.lead_time import comparison_sentence, compared_per_round, no_duration_note, per_round
from ..aggregation.priority import demand_terms
from ..aggregation.report import BacklogReport
from .backlog import build_report

TOP = 10


@dataclass
class BacklogView:
    report: BacklogReport
    themes: list[dict]  # {"row": backlog row (None for missing values), "sources": [...], "context": [...], "notes": [...]}
    heat: pd.DataFrame
    peak: int  # the heatmap's largest cell (0 when empty)
    top: list[dict]  # the first TOP themes' rows, by priority
    top_max: float  # the largest priority among them (1.0 when there is none, for bar widths)
    theme_choices: list[tuple[int, str]]  # (theme_id, "rank. title") in backlog order: merge and move targets
                                          # (the rank tells two themes of one title apart)
    # From a second round on (None with one round): each round's lead time on the teams with times in
    # both rounds (issue 26) beside all of its teams (all_teams, all_median), that comparison in a
    # sentence, and which time stickies have no duration.
    lead: pd.DataFrame | None = None
    # theme_id -> the terms of its demand ("Why 2.60" spells the sum out): aggregation.priority.demand_terms
    demand: dict | None = None
    lead_note: str | None = None
    no_duration: str | None = None


def alike_words(backlog) -> dict:
    """theme_id -> how alike its stickies are against the discovery's other themes, in words
    (aggregation.backlog.alike_levels). Themes of one sticky get no word."""
    if backlog is None or backlog.empty:
        return {}
    levels = alike_levels(backlog)
    return {int(backlog.at[i, "theme_id"]): ALIKE_WORDS[level] for i, level in levels.items()}


def theme_views(report: BacklogReport) -> list[dict]:
    """Each backlog row (priority order) with its source stickies (most voted first, then by team)
    and the events, systems and times near them."""
    stickies = report.stickies
    backlog = report.backlog.astype(object).where(report.backlog.notna(), None)
    alike = alike_words(report.backlog)
    themes = []
    for row in backlog.to_dict("records"):
        row["alike"] = alike.get(row["theme_id"])
        sources = stickies.loc[stickies["theme_id"] == row["theme_id"]].sort_values(
            ["votes", "team"], ascending=[False, True])
        themes.append({"row": row, "sources": sources.to_dict("records"),
                       "context": context.neighbours(stickies, sources["sticky_id"].tolist()).to_dict("records"),
                       "notes": context.notes_on(stickies, sources["sticky_id"].tolist()).to_dict("records")})
    return themes


def lead_view(report: BacklogReport) -> tuple[pd.DataFrame | None, str | None, str | None]:
    """The page's lead time (each round on the teams with times in both, beside all of its teams), its
    sentence and the note on time stickies without a duration; all None with one round."""
    if report.rounds is None:
        return None, None, None
    lead_frame = report.lead_time
    compared, _ = compared_per_round(lead_frame)
    every = per_round(lead_frame).set_index("round")
    lead = compared.assign(all_teams=[int(every.at[r, "teams"]) for r in compared["round"]],
                           all_median=[float(every.at[r, "median_days"]) for r in compared["round"]])
    return lead, comparison_sentence(lead_frame), no_duration_note(report.stickies)


def backlog_view(session: Session, discovery_id: int) -> BacklogView:
    """Aggregate the discovery (see services.backlog.build_report) and shape it for the page."""
    report = build_report(session, discovery_id)
    themes = theme_views(report)
    heat = report.heatmap
    top = report.backlog.head(TOP)
    top_max = float(top["priority"].max()) if len(top) else 0.0
    lead, lead_note, no_duration = lead_view(report)
    return BacklogView(report=report, themes=themes, heat=heat, peak=int(heat.to_numpy().max()) if heat.size else 0,
                       top=[t["row"] for t in themes[:TOP]], top_max=top_max or 1.0,
                       theme_choices=[(t["row"]["theme_id"], f'{t["row"]["rank"]}. {t["row"]["title"]}') for t in themes],
                       lead=lead, lead_note=lead_note, no_duration=no_duration,
                       demand=demand_terms(report.backlog, int(report.totals.get("teams", 0))))
