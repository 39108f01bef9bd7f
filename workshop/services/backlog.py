"""The backlog service: database in, BacklogReport out; and the product owner's edits to themes.

Plain Python (no Flask): the page, the export and the CLI call these with a SQLModel Session.

* ``build_report(session, discovery_id)`` loads the discovery's live stickies (not deleted, not
  private), proposes themes, reconciles them with stored decisions, persists Theme and
  ThemeAssignment rows in one transaction and returns the BacklogReport. The discovery row is locked
  for it, and it is skipped when nothing it depends on changed (``aggregation_fingerprint``).
* Edits (each validated, each one commit): ``update_theme`` (title, value, effort and status at
  once, all or nothing; ``rename_theme``, ``set_estimate`` and ``set_status`` are its one-field
  forms), ``merge_themes``, ``split_theme``, ``move_sticky``. Every edit is stored as a decision (a
  custom title, an estimate, a status, or pinned assignments) so it survives re-aggregation when new
  workshops and stickies arrive.
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
import logging
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, update
from sqlmodel import Session, select

from workshop.aggregation.backlog import (anchor_groups, attach_themes, build_backlog, shaped_themes, sticky_texts,
                                         themed)
from workshop.aggregation.heatmap import pain_heatmap
from workshop.aggregation.embedding import (DEFAULT_MODEL_ID, DEFAULT_PARTS, EmbeddingUnavailable, configured_model,
                                            get_embedder, text_key)
from workshop.aggregation.reconcile import empty_previous, empty_themes, reconcile
from workshop.aggregation.rounds import workshops_run
from workshop.aggregation.report import STICKY_COLUMNS, WORKSHOP_COLUMNS, BacklogReport
from workshop.aggregation.themes import (DEFAULT_CONFIG, GroupingConfig, group_stickies, shorten_title,
                                         theme_cohesion)
from workshop.db.models import (Discovery, Participant, ReviewAnswer, Sticky, TextEmbedding, Theme, ThemeAssignment,
                                User, Vote, Workshop)
from workshop.domain.errors import NotFound, ValidationError
from workshop.domain.kinds import KINDS, THEMED_KINDS
from workshop.domain.templates import all_templates
from workshop.domain.validation import THEME_TITLE_MAX, theme_title

from .rounds import with_rounds

log = logging.getLogger(__name__)

#: A theme's lifecycle as the product owner sees it.
STATUSES: tuple[str, ...] = ("proposed", "accepted", "in progress", "done", "rejected")
_CHUNK = 500  # ids per IN (...) clause: well under SQLite's variable limit


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def stage_index(x: float, n_stages: int) -> int:
    """Equal-width columns: the stage a position 0..1 falls in (1.0 belongs to the last stage)."""
    if n_stages <= 0:
        return 0
    x = 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else min(max(float(x), 0.0), 1.0)
    return min(int(x * n_stages), n_stages - 1)


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
        "stage": pd.Series([stages[stage_index(r[4], n)] if n else "" for r in rows], dtype=object),
        "stage_index": pd.Series([stage_index(r[4], n) for r in rows], dtype="int64"),
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


class CachedEmbed:
    """The process's embedder behind the text_embedding table: a text embedded once is never embedded
    again (re-aggregation, other discoveries, other processes sharing the database). The model itself
    is loaded only when a text is missing from the table. New vectors are written in the caller's
    transaction (the aggregation's, which holds the discovery's lock), each batch in a savepoint: a
    duplicate written by a concurrent aggregation of another discovery is simply not stored twice."""

    def __init__(self, session: Session, model_id: str, store: bool = True):
        self.session, self.model_id, self.store = session, model_id, store
        self.computed = 0
        self._embedder = None

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    @property
    def parts(self) -> tuple[int, ...]:
        return DEFAULT_PARTS if self.model_id == DEFAULT_MODEL_ID else self.embedder.parts

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        wanted = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        dim = sum(self.parts)
        for part in _chunks(wanted):
            for key, blob in self.session.execute(
                    select(TextEmbedding.text_key, TextEmbedding.vector)
                    .where(TextEmbedding.model == self.model_id, TextEmbedding.text_key.in_(part))).all():
                vector = np.frombuffer(blob, dtype=np.float32)
                if len(vector) == dim:
                    found[key] = vector
        missing = [k for k in wanted if k not in found]
        if missing:
            text_of = dict(zip(keys, texts))
            vectors = self.embedder.embed([text_of[k] for k in missing])
            self.computed += len(missing)
            found.update(zip(missing, vectors))
            rows = [{"model": self.model_id, "text_key": k, "vector": v.astype(np.float32).tobytes()}
                    for k, v in zip(missing, vectors)]
            for part in _chunks(rows if self.store else []):
                try:
                    with self.session.begin_nested():
                        self.session.execute(insert(TextEmbedding), list(part))
                except Exception as error:  # stored meanwhile by another process: computed again next time
                    log.info("embedding cache not written (%s)", type(error).__name__)
        return np.vstack([found[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)


def cached_embed(session: Session, store: bool = True) -> CachedEmbed | None:
    """The embed function of the grouping, backed by the database; None when no model is configured
    or installed (the grouping then runs on the lexical views alone, and says so in the log)."""
    try:
        return CachedEmbed(session, configured_model()[0], store)
    except EmbeddingUnavailable as error:
        log.warning("grouping without sentence embeddings: %s", error)
        return None


def _is_decided(theme: Theme) -> bool:
    return bool(theme.title_is_custom or theme.value is not None or theme.effort is not None
                or theme.status != "proposed")


# Bump when the aggregation's output for the same stickies and decisions changes (a new grouping,
# a new reconciliation rule): every discovery is then aggregated again on its next read.
AGGREGATION_VERSION = "3"  # 2: embeddings + percentile cut, constraints, new-sticky rule (issue 13); 3: the bridge


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


def _model_id() -> str:
    """The configured embedding model's id (another model groups differently), or why there is none."""
    try:
        return configured_model()[0]
    except EmbeddingUnavailable as error:
        return f"unavailable: {error}"


def aggregation_fingerprint(stickies: pd.DataFrame, themes: Sequence[Theme],
                            assignments: Sequence[ThemeAssignment], config: GroupingConfig) -> str:
    """What the aggregation's result depends on: the live stickies (text, kind, place, votes...),
    the themes with the product owner's decisions, the stored assignments (pinned or not), the
    grouping configuration, the embedding model and AGGREGATION_VERSION. Equal fingerprints: nothing
    to recompute."""
    digest = hashlib.sha256()
    digest.update(f"{AGGREGATION_VERSION}|{config!r}|{_model_id()}|".encode())
    inputs = stickies.drop(columns=["theme_id", "theme"])
    digest.update(repr(list(inputs.columns)).encode())
    digest.update(pd.util.hash_pandas_object(inputs, index=False).to_numpy().tobytes())
    for t in sorted(themes, key=lambda t: t.id):
        digest.update(repr((t.id, t.title, bool(t.title_is_custom), t.value, t.effort, t.status,
                            t.merged_into_id)).encode())
    for a in sorted(assignments, key=lambda a: a.sticky_id):
        digest.update(repr((a.sticky_id, a.theme_id, bool(a.pinned))).encode())
    return digest.hexdigest()


def _inputs(session: Session, discovery: Discovery, config: GroupingConfig):
    """What an aggregation of the discovery starts from, and its fingerprint."""
    stickies, workshops = load_stickies(session, discovery)
    themes = _discovery_themes(session, discovery.id)
    stored_all = _assignments(session, [t.id for t in themes])
    return stickies, workshops, themes, stored_all, aggregation_fingerprint(stickies, themes, stored_all, config)


def aggregate_discovery(session: Session, discovery_id: int, config: GroupingConfig = DEFAULT_CONFIG
                        ) -> tuple[Discovery, pd.DataFrame, list[Workshop], list[Theme]]:
    """Propose, reconcile and persist themes in one transaction; return the themed stickies frame.

    A read when nothing the aggregation depends on changed since it last ran (the discovery's
    aggregation_fingerprint): it then locks and writes nothing. Otherwise serialised per discovery:
    the discovery row is locked, the inputs read again (another request may have just aggregated
    them), and the aggregation runs only if they still differ; so two people opening the backlog at
    once agree on its themes.
    """
    try:
        discovery = _discovery(session, discovery_id)
        session.refresh(discovery)
        stickies, workshops, themes, stored_all, fingerprint = _inputs(session, discovery, config)
        if discovery.aggregation_fingerprint != fingerprint:
            discovery = _lock_discovery(session, discovery_id)
            session.expire_all()  # read again what the previous lock holder may have committed
            discovery = _discovery(session, discovery_id)
            stickies, workshops, themes, stored_all, fingerprint = _inputs(session, discovery, config)
        live_themed = set(stickies.loc[stickies["kind"].isin(THEMED_KINDS), "sticky_id"])
        if discovery.aggregation_fingerprint == fingerprint:
            stored = [a for a in stored_all if a.sticky_id in live_themed]
            assignments = pd.DataFrame({"sticky_id": [a.sticky_id for a in stored],
                                        "theme_id": pd.array([a.theme_id for a in stored], dtype="Int64")})
        else:
            assignments = _reaggregate(session, discovery_id, stickies, themes, stored_all, live_themed, config)
            session.flush()
            themes_now = _discovery_themes(session, discovery_id)
            discovery.aggregation_fingerprint = aggregation_fingerprint(
                stickies, themes_now, _assignments(session, [t.id for t in themes_now]), config)
            session.add(discovery)
        session.commit()  # ends the transaction: a lock taken is released
    except Exception:
        session.rollback()
        raise
    all_themes = _discovery_themes(session, discovery_id)
    titles = {t.id: t.title for t in all_themes}
    stickies = attach_themes(stickies, assignments[["sticky_id", "theme_id"]], titles)
    return discovery, stickies, workshops, all_themes


#: The review's questions whose no says "different problems" (a no to "two problems here?" says the opposite).
CANNOT_LINK_KINDS = ("merge", "move", "round")


def review_cannot_links(session: Session, discovery_id: int) -> pd.DataFrame:
    """sticky_id_a, sticky_id_b: every pair the owner said, in the guided review, are not one problem
    (issue 22). The grouping keeps them apart whenever it forms themes again ("Group afresh", or the
    first grouping of stickies that were never grouped)."""
    pairs: set[tuple[str, str]] = set()
    for moving, others in session.exec(select(ReviewAnswer.moving, ReviewAnswer.others).where(
            ReviewAnswer.discovery_id == discovery_id, ReviewAnswer.accepted.is_(False),
            ReviewAnswer.kind.in_(CANNOT_LINK_KINDS))).all():
        pairs.update((str(a), str(b)) for a in moving or [] for b in others or [] if a != b)
    ordered = sorted(pairs)
    return pd.DataFrame({"sticky_id_a": [a for a, _ in ordered], "sticky_id_b": [b for _, b in ordered]})


def _reaggregate(session: Session, discovery_id: int, stickies: pd.DataFrame, themes: list[Theme],
                 stored_all: list[ThemeAssignment], live_themed: set, config: GroupingConfig) -> pd.DataFrame:
    """Propose themes, reconcile them with the stored decisions and write the result (uncommitted):
    new themes, new titles, every live pain point's and opportunity's assignment; themes left with
    nothing and no decision are removed. Returns the assignments (sticky_id, theme_id, ...)."""
    stored = [a for a in stored_all if a.sticky_id in live_themed]
    previous = pd.DataFrame({"sticky_id": [a.sticky_id for a in stored],
                             "theme_id": pd.array([a.theme_id for a in stored], dtype="Int64"),
                             "pinned": [bool(a.pinned) for a in stored]}) if stored else empty_previous()
    themes_frame = _themes_frame(themes)
    embed = cached_embed(session) if config.embedding_weight > 0 else None
    grouping = group_stickies(themed(stickies), config, embed, anchor_groups(previous, themes_frame),
                              apart=review_cannot_links(session, discovery_id))
    rec = reconcile(grouping.proposal, previous, themes_frame,
                    texts=sticky_texts(stickies))
    by_id = {t.id: t for t in themes}
    new_rows = [Theme(discovery_id=discovery_id, title=shorten_title(title, THEME_TITLE_MAX))
                for title in rec.new_themes["title"]]
    session.add_all(new_rows)
    session.flush()
    ids = {key: row.id for key, row in zip(rec.new_themes["new_key"], new_rows)}
    for theme_id, title in rec.retitled.itertuples(index=False):
        by_id[int(theme_id)].title = shorten_title(title, THEME_TITLE_MAX)
        session.add(by_id[int(theme_id)])
    assignments = rec.assignments.copy()
    assignments["theme_id"] = assignments["theme_id"].fillna(assignments["new_key"].map(ids).astype("Int64"))
    for part in _chunks(sorted(live_themed)):
        session.execute(delete(ThemeAssignment).where(ThemeAssignment.sticky_id.in_(part)))
    values = [{"sticky_id": s, "theme_id": int(t), "pinned": bool(p)}
              for s, t, p in assignments[["sticky_id", "theme_id", "pinned"]].itertuples(index=False)]
    if values:
        session.execute(insert(ThemeAssignment), values)
    # Themes left with nothing and no decision are removed (they were only ever a proposal).
    session.flush()
    used: set[int] = set()
    for part in _chunks([t.id for t in themes]):
        used |= set(session.execute(select(ThemeAssignment.theme_id)
                                    .where(ThemeAssignment.theme_id.in_(part)).distinct()).scalars())
    referenced = {t.merged_into_id for t in themes if t.merged_into_id is not None}
    for theme in themes:
        if (theme.id not in used and theme.id not in referenced and theme.merged_into_id is None
                and not _is_decided(theme)):
            session.delete(theme)
    return assignments


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


def build_report(session: Session, discovery_id: int, config: GroupingConfig = DEFAULT_CONFIG) -> BacklogReport:
    """Aggregate the discovery (persisting themes and assignments) and return the BacklogReport."""
    discovery, stickies, workshops, themes = aggregate_discovery(session, discovery_id, config)
    stages = list(discovery.stages or [])
    teams = sorted({w.team for w in workshops}, key=str.casefold)
    # How sure each theme is: the average similarity of two of its stickies (embeddings from the cache).
    embed = cached_embed(session, store=False) if config.embedding_weight > 0 else None
    sureness = theme_cohesion(themed(stickies), config, embed)
    themes_frame = _themes_frame(themes)
    backlog = build_backlog(stickies, themes_frame, total_teams=len(teams), stages=stages,
                            cohesion=sureness, shaped=shaped_themes(themes_frame, _pinned(session, themes)))
    heatmap = pain_heatmap(stickies, stages, teams)
    workshops_frame = _workshops_frame(session, workshops, stickies)
    by_kind = stickies["kind"].value_counts()
    run = len(workshops_run(stickies) & {w.id for w in workshops})
    totals = {
        "workshops": run,  # held: a workshop nobody has written on yet is counted apart
        "workshops_not_run": len(workshops) - run,
        "teams": len(teams),
        "participants": int(workshops_frame["participants"].sum()) if len(workshops_frame) else 0,
        "votes": int(stickies["votes"].sum()) if len(stickies) else 0,
        "stickies_by_kind": {k.key: int(by_kind.get(k.key, 0)) for k in KINDS},
    }
    blind = len(blind_vote_boards(workshops))
    if blind:  # a blind vote runs there: its dots are not counted yet (the page and the export say so)
        totals["votes_hidden_boards"] = blind
    report = BacklogReport(
        discovery={"id": discovery.id, "name": discovery.name, "problem": discovery.problem,
                   "goal": discovery.goal, "stages": stages, "start_label": discovery.start_label,
                   "end_label": discovery.end_label},
        generated_at=datetime.now(timezone.utc), backlog=backlog, heatmap=heatmap,
        workshops=workshops_frame, stickies=stickies, totals=totals)
    # rounds, lead time, pain by stage and the basis sentence, once for the page and the workbook
    return with_rounds(report, {w.id: w.round for w in workshops},
                       {t.id: t.shipped_on for t in themes if t.shipped_on is not None})


# --- the product owner's edits -------------------------------------------------------------------

def _theme(session: Session, discovery_id: int, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None or theme.discovery_id != discovery_id:
        raise NotFound("theme_not_found", f"No theme {theme_id} in this discovery.")
    if theme.merged_into_id is not None:
        raise ValidationError("theme_merged", f"Theme {theme_id} was merged into theme {theme.merged_into_id}.")
    return theme


@contextmanager
def _transaction(session: Session):
    """Commit what the block wrote, or roll all of it back and re-raise."""
    try:
        yield
        session.commit()
    except Exception:
        session.rollback()
        raise


def _commit(session: Session, *rows) -> None:
    with _transaction(session):
        for row in rows:
            session.add(row)


def _estimate(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(f"invalid_{name}", f"{name.capitalize()} must be a whole number from 1 to 5.")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 1 <= number <= 5 or (isinstance(value, str) and value.strip() != str(number)):
        raise ValidationError(f"invalid_{name}", f"{name.capitalize()} must be a whole number from 1 to 5 "
                                                 f"(or empty), not {value!r}.")
    return number


def _status(status: Any) -> str:
    clean = " ".join(str(status or "").strip().lower().replace("_", " ").replace("-", " ").split())
    if clean not in STATUSES:
        raise ValidationError("invalid_status", f"Unknown status {status!r}; use one of: {', '.join(STATUSES)}.")
    return clean


def update_theme(session: Session, discovery_id: int, theme_id: int, *, title: Any = UNSET, value: Any = UNSET,
                 effort: Any = UNSET, status: Any = UNSET) -> Theme:
    """The product owner's decisions on one theme, all or nothing: every given field is checked
    first, then all are saved in one commit (a refused estimate leaves a new title unsaved too).
    Fields left out are not changed. A title given is kept from then on (title_is_custom); value
    and effort are 1..5 or empty (None); a status is one of STATUSES ("in_progress" and
    "In-Progress" mean "in progress")."""
    theme = _theme(session, discovery_id, theme_id)
    changes: dict[str, Any] = {}
    if title is not UNSET:
        changes.update(title=theme_title(title), title_is_custom=True)
    if value is not UNSET:
        changes["value"] = _estimate("value", value)
    if effort is not UNSET:
        changes["effort"] = _estimate("effort", effort)
    if status is not UNSET:
        changes["status"] = _status(status)
    for name, new in changes.items():
        setattr(theme, name, new)
    _commit(session, theme)
    return theme


def rename_theme(session: Session, discovery_id: int, theme_id: int, title: str) -> Theme:
    """Give a theme a person's title; it is kept from then on (title_is_custom)."""
    return update_theme(session, discovery_id, theme_id, title=title)


def set_estimate(session: Session, discovery_id: int, theme_id: int, *, value: Any = UNSET,
                 effort: Any = UNSET) -> Theme:
    """Set value and/or effort (1..5, or None to clear). Arguments left out are not changed."""
    return update_theme(session, discovery_id, theme_id, value=value, effort=effort)


def set_status(session: Session, discovery_id: int, theme_id: int, status: str) -> Theme:
    """Move a theme through STATUSES ("in_progress" / "In-Progress" are accepted for "in progress")."""
    return update_theme(session, discovery_id, theme_id, status=status)


def _assignments_of(session: Session, theme_id: int) -> list[ThemeAssignment]:
    return list(session.exec(select(ThemeAssignment).where(ThemeAssignment.theme_id == theme_id)).all())


def merge_themes(session: Session, discovery_id: int, target_id: int, source_id: int) -> Theme:
    """Merge theme ``source_id`` into ``target_id``: the stickies of both are pinned to the target (the
    owner shaped it: they group together from now on, and new stickies close to it join it), and the
    source is marked merged (it never comes back as its own theme)."""
    if target_id == source_id:
        raise ValidationError("merge_into_self", "A theme cannot be merged into itself.")
    target = _theme(session, discovery_id, target_id)
    source = _theme(session, discovery_id, source_id)
    rows: list = []
    for a in _assignments_of(session, source.id) + _assignments_of(session, target.id):
        a.theme_id, a.pinned = target.id, True
        rows.append(a)
    for earlier in session.exec(select(Theme).where(Theme.merged_into_id == source.id)).all():
        earlier.merged_into_id = target.id
        rows.append(earlier)
    source.merged_into_id = target.id
    _commit(session, *rows, source)
    return target


def split_theme(session: Session, discovery_id: int, theme_id: int, sticky_ids: Sequence[str],
                title: str | None = None) -> Theme:
    """Split the given stickies off into a new theme. Both sides are pinned: a person decided where
    the line goes, so the next aggregation keeps it (even though the texts are alike)."""
    theme = _theme(session, discovery_id, theme_id)
    wanted = list(dict.fromkeys(str(s) for s in (sticky_ids or [])))
    if not wanted:
        raise ValidationError("empty_split", "Choose at least one sticky to split off.")
    current = {a.sticky_id: a for a in _assignments_of(session, theme.id)}
    missing = [s for s in wanted if s not in current]
    if missing:
        raise ValidationError("sticky_not_in_theme",
                              f"Not in theme {theme_id}: {', '.join(missing[:10])}.")
    if len(wanted) == len(current):
        raise ValidationError("split_all", "Splitting off every sticky leaves the theme empty; rename it instead.")
    if title is not None and " ".join(str(title).split()):
        new = Theme(discovery_id=discovery_id, title=theme_title(title), title_is_custom=True)
    else:
        first = session.get(Sticky, wanted[0])
        new = Theme(discovery_id=discovery_id, title=shorten_title(first.text if first else "Split theme"))
    with _transaction(session):
        session.add(new)
        session.flush()
        for sticky_id, a in current.items():
            if sticky_id in wanted:
                a.theme_id = new.id
            a.pinned = True
            session.add(a)
    return new


def regroup(session: Session, discovery_id: int) -> int:
    """Group the discovery afresh: forget the machine's own proposals, the stickies of every theme
    nobody has decided anything about (unpinned), so the next read forms those themes again from all
    the stickies there are now. What people decided stays as it is: moved, split and merged stickies
    (pinned), and a theme someone renamed, estimated or gave a status keeps its stickies with its
    title, value, effort and status (a walkthrough saw such themes emptied and their decisions gone
    from the page). A theme a person put stickies into (a move, a merge, a split, a review's yes)
    keeps its other stickies too: freed, they formed a new theme of their own while the moved
    sticky's old neighbours joined it, so the move looked undone (issue 22). New stickies may still join them. Returns how many stickies were let go. Themes
    left with nothing and no decision go at that next read."""
    discovery = _lock_discovery(session, discovery_id)
    themes = _discovery_themes(session, discovery.id)
    shaped = set(_pinned(session, themes)["theme_id"])  # a person put stickies in: its others stay too
    theme_ids = [t.id for t in themes if not _is_decided(t) and t.id not in shaped]
    freed = 0
    with _transaction(session):
        for part in _chunks(theme_ids):
            freed += session.execute(delete(ThemeAssignment).where(ThemeAssignment.theme_id.in_(part),
                                                                   ThemeAssignment.pinned.is_(False))).rowcount or 0
        discovery.aggregation_fingerprint = None
        session.add(discovery)
    return freed


def move_sticky(session: Session, discovery_id: int, sticky_id: str, theme_id: int) -> ThemeAssignment:
    """Put one sticky into another theme, pinned (it stays there across re-aggregation)."""
    return move_stickies(session, discovery_id, [sticky_id], theme_id)[0]


def move_stickies(session: Session, discovery_id: int, sticky_ids: Sequence[str], theme_id: int) -> list[ThemeAssignment]:
    """Put stickies into another theme, pinned, all or none (one unknown sticky refuses the lot)."""
    theme = _theme(session, discovery_id, theme_id)
    assignments = []
    for sticky_id in dict.fromkeys(str(s) for s in sticky_ids):
        sticky = session.get(Sticky, sticky_id)
        workshop = session.get(Workshop, sticky.workshop_id) if sticky is not None else None
        if (sticky is None or workshop is None or workshop.discovery_id != discovery_id or sticky.deleted
                or sticky.private):
            raise NotFound("sticky_not_found", f"No sticky {sticky_id} in this discovery.")
        if sticky.kind not in THEMED_KINDS:
            raise ValidationError("sticky_not_themed", "Only pain points and opportunities belong to themes.")
        assignment = session.get(ThemeAssignment, sticky.id)
        if assignment is None:
            assignment = ThemeAssignment(sticky_id=sticky.id, theme_id=theme.id, pinned=True)
        else:
            assignment.theme_id, assignment.pinned = theme.id, True
        assignments.append(assignment)
    _commit(session, *assignments)
    return assignments
