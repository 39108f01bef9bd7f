"""What the backlog page shows, built from the BacklogReport: each theme with its source stickies
and what stood near them, the top ten, the heatmap's peak and its cells with the pain points behind
each. Plain Python and pandas (no Flask): the page only renders it."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

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
    # the heatmap row by row, each cell with the pain stickies behind its number (heat_rows)
    heat_rows: list[dict] = field(default_factory=list)


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


# what a workshop's label says after its team (services.backlog_reading.workshop_labels): "(day[, round N])"
# where known, then " #k" for a second workshop of the same label
_LABEL_AFTER_TEAM = re.compile(r"(?: \((?P<details>.*)\))?(?: #(?P<number>\d+))?")


def workshop_said(team: str, workshop: str, round_number: int | None = None) -> str:
    """How a heatmap cell names the workshop of a sticky, after its team: "workshop 2026-10-02" (the day
    it was held, and its round where two rounds would read alike), "workshop Payments #2" for a label
    that is more than the team's, and nothing where the team is all a workshop is called.

    With ``round_number`` (a discovery of more than one round) the round comes first, then the day and
    what else tells the workshop apart: "round 2 · 2026-11-20", "round 1 · 2026-10-02 · workshop #2",
    "round 2" (a round never said twice)."""
    if round_number is None:
        if workshop.startswith(f"{team} (") and workshop.endswith(")"):
            return f"workshop {workshop[len(team) + 2:-1]}"
        return f"workshop {workshop}" if workshop != team else ""
    label = _LABEL_AFTER_TEAM.fullmatch(workshop[len(team):]) if workshop.startswith(team) else None
    details = (label["details"] or "").split(", ") if label else []
    parts = [f"round {round_number}"] + [d for d in details if d and not re.fullmatch(r"round \d+", d)]
    if label and label["number"]:
        parts.append(f"workshop #{label['number']}")
    return " · ".join(parts)


def names_rounds(workshops: pd.DataFrame | None) -> bool:
    """Whether the heatmap's pain points name their round: when pain points come from more than one
    round (a round 2 planned but not yet run adds none: "round 1 · ..." on every line said nothing)."""
    if workshops is None or not len(workshops):
        return False
    with_pain = workshops[workshops["pain"].fillna(0) > 0] if "pain" in workshops else workshops
    return with_pain["round"].nunique() > 1


def heat_rows(heat: pd.DataFrame, cells: pd.DataFrame | None, peak: int, name_rounds: bool = False) -> list[dict]:
    """The heatmap as the page draws it: per team ("team") its "cells", one a stage in timeline order,
    each with "stage", "count" (the heatmap's value), "level" (its shade: 0 for none, 1-5 against the
    peak), "id" (its place on the page) and "stickies": the pain points counted in it, from
    report.heatmap_stickies (aggregation.heatmap.CELL_COLUMNS, missing values None, and "workshop_said",
    which names each one's round first when ``name_rounds``: the discovery has more than one)."""
    by_cell: dict[tuple[str, int], list[dict]] = {}
    if cells is not None and len(cells):
        for sticky in cells.astype(object).where(cells.notna(), None).to_dict("records"):
            sticky["workshop_said"] = workshop_said(sticky["team"], sticky["workshop"],
                                                    int(sticky.get("round") or 1) if name_rounds else None)
            by_cell.setdefault((sticky["team"], int(sticky["stage_index"])), []).append(sticky)
    return [{"team": team, "cells": [
                {"stage": stage, "count": int(count), "level": math.ceil(count * 5 / peak) if peak else 0,
                 "id": f"heat-{r}-{c}", "stickies": by_cell.get((str(team), c), [])}
                for c, (stage, count) in enumerate(values.items())]}
            for r, (team, values) in enumerate(heat.iterrows())]


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
    peak = int(heat.to_numpy().max()) if heat.size else 0
    several_rounds = names_rounds(report.workshops)
    return BacklogView(report=report, themes=themes, heat=heat, peak=peak,
                       heat_rows=heat_rows(heat, report.heatmap_stickies, peak, name_rounds=several_rounds),
                       top=[t["row"] for t in themes[:TOP]], top_max=top_max or 1.0,
                       theme_choices=[(t["row"]["theme_id"], f'{t["row"]["rank"]}. {t["row"]["title"]}') for t in themes],
                       lead=lead, lead_note=lead_note, no_duration=no_duration,
                       demand=demand_terms(report.backlog, int(report.totals.get("teams", 0))))
