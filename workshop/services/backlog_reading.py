"""Reading a discovery for its backlog: the live stickies as the report's frame (each with its stage,
from ``domain.board.stage_of``), its workshops, themes and stored assignments, the workshops frame, the
review's "not one problem" answers; and the discovery row locked for an aggregation.

Plain Python (no Flask), a SQLModel Session in; used by services.backlog (the aggregation and the
report), services.theme_decisions and services.review.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, update
from sqlmodel import Session, select

from workshop.aggregation.reconcile import empty_themes
from workshop.aggregation.report import STICKY_COLUMNS, WORKSHOP_COLUMNS
from workshop.aggregation.review import within_own_theme
from workshop.db.models import Discovery, Participant, ReviewAnswer, Sticky, Theme, ThemeAssignment, User, Vote, Workshop
from workshop.domain.board import stage_of
from workshop.domain.errors import NotFound
from workshop.domain.kinds import KINDS
from workshop.domain.templates import all_templates


_CHUNK = 500  # ids per IN (...) clause: well under SQLite's variable limit


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _discovery(session: Session, discovery_id: int) -> Discovery:
    discovery = session.get(Discovery, discovery_id)
    if discovery is None:
        raise NotFound("discovery_not_found", f"No discovery with id {discovery_id}.")
    return discovery


def workshop_labels(workshops) -> dict[int, str]:
    """workshop id -> how the backlog and the workbook name it: the team, with the day it was held when
    the facilitator gave one (never a day it was not held: a workshop without a date is just the team).
    Two workshops that would read alike are told apart by their round, then by "#2", "#3" in the
    order they were added."""
    ordered = sorted(workshops, key=lambda w: w.id)
    days = {w.id: [w.held_on.isoformat()] if w.held_on else [] for w in ordered}

    def label(w, details):
        return f"{w.team} ({', '.join(details)})" if details else w.team

    labels = {w.id: label(w, days[w.id]) for w in ordered}
    by_label: dict[str, list] = {}
    for w in ordered:
        by_label.setdefault(labels[w.id].casefold(), []).append(w)
    for same in by_label.values():
        if len(same) > 1 and len({w.round or 1 for w in same}) > 1:
            for w in same:
                labels[w.id] = label(w, days[w.id] + [f"round {w.round or 1}"])
    seen: dict[str, int] = {}
    for w in ordered:
        key = labels[w.id].casefold()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            labels[w.id] = f"{labels[w.id]} #{seen[key]}"
    return labels


def _utc_naive(values: list) -> pd.Series:
    if not values:
        return pd.Series(dtype="datetime64[ns]")
    return pd.Series(pd.to_datetime(values, utc=True).tz_localize(None))


def blind_vote_boards(workshops) -> set[int]:
    """The workshops whose board is in a blind vote now (domain.board.votes_hidden): their dots are
    left out of the backlog and the export until the vote ends, so whoever reads them learns no more
    than the room (docs/protocol.md, blind dot voting)."""
    from ..domain.board import votes_hidden
    from ..domain.templates import get_template
    return {w.id for w in workshops if votes_hidden(w, get_template(w.template))}


def load_stickies(session: Session, discovery: Discovery) -> tuple[pd.DataFrame, list[Workshop]]:
    """The discovery's live stickies as STICKY_COLUMNS (theme columns empty), and its workshops."""
    workshops = list(session.exec(select(Workshop).where(Workshop.discovery_id == discovery.id)
                                  .order_by(Workshop.id)).all())
    stages = list(discovery.stages or [])
    by_id = {w.id: w for w in workshops}
    labels = workshop_labels(workshops)
    rows = []
    if workshops:
        stmt = (select(Sticky.id, Sticky.workshop_id, Sticky.kind, Sticky.text, Sticky.x, Sticky.duration_minutes,
                       Sticky.author_name, Sticky.created_at, Sticky.link_to)
                .join(Workshop, Workshop.id == Sticky.workshop_id)
                .where(Workshop.discovery_id == discovery.id, Sticky.deleted == False,  # noqa: E712
                       Sticky.private == False)  # noqa: E712
                .order_by(Sticky.workshop_id, Sticky.created_at, Sticky.id))
        rows = session.exec(stmt).all()
    votes = {}
    if rows:
        # blind voting: a board still in its vote phase shows nobody where its dots are, the backlog's
        # readers included (issue 23 item 4); they count once the board leaves the vote
        blind = blind_vote_boards(workshops)
        vstmt = (select(Vote.sticky_id, func.count(Vote.id)).join(Workshop, Workshop.id == Vote.workshop_id)
                 .where(Workshop.discovery_id == discovery.id, Vote.workshop_id.notin_(blind))
                 .group_by(Vote.sticky_id))
        votes = dict(session.exec(vstmt).all())
    n = len(stages)
    frame = pd.DataFrame({
        "sticky_id": pd.Series([r[0] for r in rows], dtype=object),
        "workshop_id": pd.Series([r[1] for r in rows], dtype="int64"),
        "workshop": pd.Series([labels[r[1]] for r in rows], dtype=object),
        "team": pd.Series([by_id[r[1]].team for r in rows], dtype=object),
        "kind": pd.Series([r[2] for r in rows], dtype=object),
        "text": pd.Series([r[3] or "" for r in rows], dtype=object),
        "stage": pd.Series([stages[stage_of(r[4], n)] if n else "" for r in rows], dtype=object),
        "stage_index": pd.Series([stage_of(r[4], n) for r in rows], dtype="int64"),
        "position": pd.Series([min(max(float(r[4] if r[4] is not None else 0.0), 0.0), 1.0) for r in rows],
                              dtype="float64"),
        "votes": pd.Series([int(votes.get(r[0], 0)) for r in rows], dtype="int64"),
        "duration_minutes": pd.Series([np.nan if r[5] is None else float(r[5]) for r in rows], dtype="float64"),
        "author": pd.Series([r[6] or "" for r in rows], dtype=object),
        "created_at": _utc_naive([r[7] for r in rows]),
        "theme_id": pd.array([None] * len(rows), dtype="Int64"),
        "theme": pd.Series([None] * len(rows), dtype=object),
        "link_to": pd.Series([r[8] for r in rows], dtype=object),
    })
    return frame.loc[:, STICKY_COLUMNS], workshops


def _themes_frame(themes: list[Theme]) -> pd.DataFrame:
    if not themes:
        return empty_themes()
    return pd.DataFrame({
        "theme_id": pd.array([t.id for t in themes], dtype="Int64"),
        "title": [t.title for t in themes],
        "title_is_custom": [bool(t.title_is_custom) for t in themes],
        "value": pd.array([t.value for t in themes], dtype="Int64"),
        "effort": pd.array([t.effort for t in themes], dtype="Int64"),
        "status": [t.status for t in themes],
        "merged_into_id": pd.array([t.merged_into_id for t in themes], dtype="Int64"),
    })


def _discovery_themes(session: Session, discovery_id: int) -> list[Theme]:
    return list(session.exec(select(Theme).where(Theme.discovery_id == discovery_id).order_by(Theme.id)).all())


def _pinned(session: Session, themes: list[Theme]) -> pd.DataFrame:
    """theme_id, pinned of the themes a person put stickies into (a move, merge or split): one row per
    theme, read with one small query per chunk (not every assignment row of the discovery)."""
    ids: set[int] = set()
    for part in _chunks([t.id for t in themes]):
        ids.update(session.exec(select(ThemeAssignment.theme_id).where(
            ThemeAssignment.theme_id.in_(part), ThemeAssignment.pinned.is_(True)).distinct()).all())
    return pd.DataFrame({"theme_id": sorted(ids), "pinned": [True] * len(ids)})


def _assignments(session: Session, theme_ids: Sequence[int]) -> list[ThemeAssignment]:
    out: list[ThemeAssignment] = []
    for part in _chunks(list(theme_ids)):
        out.extend(session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id.in_(part))).all())
    return out


def _lock_discovery(session: Session, discovery_id: int) -> Discovery:
    """The discovery row, read fresh and locked until the transaction ends, so that one aggregation
    of a discovery runs at a time across requests, exports and processes.

    PostgreSQL: SELECT ... FOR UPDATE (a second caller waits, then reads what the first committed).
    SQLite: a write to the row takes the database's single write lock before anything is read (a
    deferred read-then-write transaction could otherwise work on what another process replaces).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Discovery).where(Discovery.id == discovery_id)
                        .values(aggregation_fingerprint=Discovery.aggregation_fingerprint))
        locked = select(Discovery).where(Discovery.id == discovery_id)
    else:
        locked = select(Discovery).where(Discovery.id == discovery_id).with_for_update()
    discovery = session.exec(locked.execution_options(populate_existing=True)).first()
    if discovery is None:
        raise NotFound("discovery_not_found", f"No discovery with id {discovery_id}.")
    return discovery


#: The review's questions whose no says "different problems" (a no to "two problems here?" says the opposite).
CANNOT_LINK_KINDS = ("merge", "move", "round")


def review_cannot_links(session: Session, discovery_id: int) -> pd.DataFrame:
    """sticky_id_a, sticky_id_b: every pair the owner said, in the guided review, are not one problem
    (issue 22). The grouping keeps them apart whenever it forms themes again ("Group afresh", or the
    first grouping of stickies that were never grouped)."""
    pairs: set[tuple[str, str]] = set()
    for moving, others, parted in session.exec(select(ReviewAnswer.moving, ReviewAnswer.others, ReviewAnswer.parted)
                                               .where(ReviewAnswer.discovery_id == discovery_id,
                                                      ReviewAnswer.accepted.is_(False),
                                                      ReviewAnswer.kind.in_(CANNOT_LINK_KINDS))).all():
        if within_own_theme(others, parted):
            continue  # "... into a theme of their own?" no: one problem with the rest, not apart from it
        pairs.update((str(a), str(b)) for a in moving or [] for b in others or [] if a != b)
    ordered = sorted(pairs)
    return pd.DataFrame({"sticky_id_a": [a for a, _ in ordered], "sticky_id_b": [b for _, b in ordered]})


def _template_label(key: str) -> str:
    """What people call a workshop's template ("Post-mortem"), as the pages show it; the key if a
    template was retired since."""
    template = all_templates().get(key)
    return template.label if template else key


def _workshops_frame(session: Session, workshops: list[Workshop], stickies: pd.DataFrame) -> pd.DataFrame:
    ids = [w.id for w in workshops]
    participants: dict[int, int] = {}
    facilitators: dict[int, str] = {}
    if ids:
        for part in _chunks(ids):
            for wid, count in session.exec(select(Participant.workshop_id, func.count(Participant.id))
                                           .where(Participant.workshop_id.in_(part),
                                                  Participant.is_facilitator == False)  # noqa: E712
                                           .group_by(Participant.workshop_id)).all():
                participants[wid] = int(count)
            for wid, name in session.exec(select(Participant.workshop_id, Participant.name)
                                          .where(Participant.workshop_id.in_(part),
                                                 Participant.is_facilitator == True)  # noqa: E712
                                          .order_by(Participant.id)).all():
                facilitators.setdefault(wid, name)
    users = {}
    user_ids = sorted({w.facilitator_id for w in workshops if w.facilitator_id is not None})
    if user_ids:
        users = dict(session.exec(select(User.id, User.name).where(User.id.in_(user_ids))).all())
    counts = pd.crosstab(stickies["workshop_id"], stickies["kind"]) if len(stickies) else pd.DataFrame()
    votes = stickies.groupby("workshop_id")["votes"].sum() if len(stickies) else pd.Series(dtype="int64")
    rows = []
    for w in sorted(workshops, key=lambda w: w.round or 1):  # round by round, each as added
        row = {"workshop_id": w.id, "round": w.round or 1, "team": w.team,
               "date": w.held_on,  # only the day it is held: a creation day would read as one
               "facilitator": users.get(w.facilitator_id) or facilitators.get(w.id, ""),
               "template": _template_label(w.template), "status": w.status, "participants": participants.get(w.id, 0)}
        for kind in KINDS:
            col = "team_stickies" if kind.key == "team" else kind.key
            row[col] = int(counts.at[w.id, kind.key]) if (w.id in counts.index and kind.key in counts.columns) else 0
        row["votes"] = int(votes.get(w.id, 0))
        rows.append(row)
    return pd.DataFrame(rows, columns=WORKSHOP_COLUMNS)
