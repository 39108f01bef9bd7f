"""The backlog service: database in, BacklogReport out.

Plain Python (no Flask): the page, the export and the CLI call these with a SQLModel Session.

* ``build_report(session, discovery_id)`` loads the discovery's live stickies (not deleted, not
  private), proposes themes, reconciles them with stored decisions, persists Theme and
  ThemeAssignment rows in one transaction and returns the BacklogReport, with its rounds, lead time,
  pain by stage and basis sentence (services.rounds.with_rounds), once for the page and the workbook.
  The discovery row is locked for it, and it is skipped when nothing it depends on changed
  (``aggregation_fingerprint``).

Its other jobs live beside it, and are re-exported here under their old names:
services.backlog_reading (the discovery's stickies, workshops, themes and assignments, the lock),
services.embedding_cache (``CachedEmbed``, ``cached_embed``) and services.theme_decisions (the
product owner's edits: ``update_theme``, ``merge_themes``, ``split_theme``, ``move_sticky``,
``regroup``...).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert
from sqlmodel import Session, select

from workshop.aggregation.backlog import (anchor_groups, attach_themes, build_backlog, shaped_themes, sticky_texts,
                                         themed)
from workshop.aggregation.embedding import EmbeddingUnavailable, configured_model
from workshop.aggregation.heatmap import pain_cells, pain_heatmap
from workshop.aggregation.reconcile import empty_previous, reconcile
from workshop.aggregation.report import BacklogReport
from workshop.aggregation.rounds import workshops_run
from workshop.aggregation.themes import (DEFAULT_CONFIG, GroupingConfig, group_stickies, shorten_title,
                                         theme_cohesion)
from workshop.db.models import Discovery, Theme, ThemeAssignment, Workshop
from workshop.domain.kinds import KINDS, THEMED_KINDS
from workshop.domain.validation import THEME_TITLE_MAX

# The jobs split out of this module, under the names its callers (the page, the CLI, services.review,
# the tests, an outside evaluation's regroup) have always used:
from .backlog_reading import (CANNOT_LINK_KINDS, _assignments, _chunks, _discovery, _discovery_themes,  # noqa: F401
                              _lock_discovery, _pinned, _themes_frame, _workshops_frame, blind_vote_boards,
                              load_stickies, review_cannot_links, workshop_labels)
from .embedding_cache import CachedEmbed, cached_embed  # noqa: F401
from .rounds import with_rounds
from .theme_decisions import (STATUSES, UNSET, _is_decided, forget_machine_groups, merge_themes,  # noqa: F401
                              move_stickies, move_sticky, rename_theme, set_estimate, set_status, split_theme,
                              update_theme)


# Bump when the aggregation's output for the same stickies and decisions changes (a new grouping,
# a new reconciliation rule): every discovery is then aggregated again on its next read.
AGGREGATION_VERSION = "3"  # 2: embeddings + percentile cut, constraints, new-sticky rule (issue 13); 3: the bridge


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


def aggregate_discovery(session: Session, discovery_id: int, config: GroupingConfig = DEFAULT_CONFIG,
                        apart: pd.DataFrame | None = None) -> tuple[Discovery, pd.DataFrame, list[Workshop], list[Theme]]:
    """Propose, reconcile and persist themes in one transaction; return the themed stickies frame.

    A read when nothing the aggregation depends on changed since it last ran (the discovery's
    aggregation_fingerprint): it then locks and writes nothing. Otherwise serialised per discovery:
    the discovery row is locked, the inputs read again (another request may have just aggregated
    them), and the aggregation runs only if they still differ; so two people opening the backlog at
    once agree on its themes. ``apart``: more cannot-link pairs (sticky_id_a, sticky_id_b) for this
    aggregation, beside the review's (Group afresh's).
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
            assignments = _reaggregate(session, discovery_id, stickies, themes, stored_all, live_themed, config,
                                       apart)
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


def _reaggregate(session: Session, discovery_id: int, stickies: pd.DataFrame, themes: list[Theme],
                 stored_all: list[ThemeAssignment], live_themed: set, config: GroupingConfig,
                 apart: pd.DataFrame | None = None) -> pd.DataFrame:
    """Propose themes, reconcile them with the stored decisions and write the result (uncommitted):
    new themes, new titles, every live pain point's and opportunity's assignment; themes left with
    nothing and no decision are removed. Returns the assignments (sticky_id, theme_id, ...)."""
    stored = [a for a in stored_all if a.sticky_id in live_themed]
    previous = pd.DataFrame({"sticky_id": [a.sticky_id for a in stored],
                             "theme_id": pd.array([a.theme_id for a in stored], dtype="Int64"),
                             "pinned": [bool(a.pinned) for a in stored]}) if stored else empty_previous()
    themes_frame = _themes_frame(themes)
    embed = cached_embed(session) if config.embedding_weight > 0 else None
    cannot = review_cannot_links(session, discovery_id)
    if apart is not None and len(apart):
        cannot = pd.concat([cannot, apart[["sticky_id_a", "sticky_id_b"]]], ignore_index=True)
    grouping = group_stickies(themed(stickies), config, embed, anchor_groups(previous, themes_frame),
                              apart=cannot)
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


def regroup(session: Session, discovery_id: int, config: GroupingConfig = DEFAULT_CONFIG) -> int:
    """"Group afresh": the machine forms its own themes again from the stickies nobody decided anything
    about (``theme_decisions.forget_machine_groups``), at once; what people decided stays as it is. The
    stickies it lets go are grouped among themselves and with stickies never grouped, never into a
    theme people kept: a theme the owner had split off took in a whole freed theme and kept its title,
    and round 2's "gone" for that theme's pain went from the backlog (a walkthrough). A later workshop's
    new stickies still join the kept themes they are close to. On the exact path (up to
    ``config.max_exact`` distinct texts); beyond it the grouping keeps only the pins, as for the
    review's cannot-links. Returns how many stickies were let go."""
    freed, kept = forget_machine_groups(session, discovery_id)
    apart = None
    if freed and kept and len(freed) + len(kept) <= config.max_exact:
        apart = pd.DataFrame({"sticky_id_a": np.repeat(np.asarray(freed, dtype=object), len(kept)),
                              "sticky_id_b": np.tile(np.asarray(kept, dtype=object), len(freed))})
    aggregate_discovery(session, discovery_id, config, apart=apart)
    return len(freed)


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
    workshop_round = {w.id: w.round or 1 for w in workshops}
    heatmap_stickies = pain_cells(stickies, stages, teams, workshop_round)  # what each of its numbers stands for
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
        workshops=workshops_frame, stickies=stickies, totals=totals, heatmap_stickies=heatmap_stickies)
    # rounds, lead time, pain by stage and the basis sentence, once for the page and the workbook
    return with_rounds(report, workshop_round,
                       {t.id: t.shipped_on for t in themes if t.shipped_on is not None})
