"""Ideas go with the pain they address.

Opportunities (ideas) attach to the theme of pain they address when the grouping runs, and themes then
stay as they are (ADR 0014). When a person's decision moves pain points out of their theme (a yes in
the review, a move, a split), the theme's ideas that address the moved pain points rather than the
ones left behind go with them: judged as the grouping attaches an idea, by its average similarity to
the pain points of each of the two themes as they are after the move (where the moved ones go, with
the target's own; what stays) and the discovery's own cut (``aggregation.themes.pain_fit``). An idea a person
placed (pinned) stays where it is: their decision wins.

Plain Python (no Flask): services.theme_decisions and services.review ask before they write a move.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from workshop.aggregation.backlog import themed
from workshop.aggregation.themes import DEFAULT_CONFIG, pain_fit
from workshop.db.models import Sticky, ThemeAssignment

from .backlog_reading import _assignments, _chunks, _discovery, load_stickies
from .embedding_cache import cached_embed


def _kinds(session: Session, sticky_ids: Iterable[str]) -> dict[str, str]:
    """sticky_id -> kind of the live ones (not deleted, not private)."""
    ids = list(dict.fromkeys(str(s) for s in sticky_ids))
    kinds: dict[str, str] = {}
    for part in _chunks(ids):
        kinds.update(session.exec(select(Sticky.id, Sticky.kind).where(
            Sticky.id.in_(part), Sticky.deleted == False, Sticky.private == False)).all())  # noqa: E712
    return kinds


def opportunities_among(session: Session, sticky_ids: Iterable[str]) -> set[str]:
    """Which of the stickies are opportunities (ideas)."""
    return {s for s, kind in _kinds(session, sticky_ids).items() if kind == "opportunity"}


def ideas_following(session: Session, discovery_id: int, moving: Iterable[str], target_id: int | None) -> list[str]:
    """The ideas that go with the pain points ``moving`` into theme ``target_id`` (None: a theme the
    move creates): of each theme they leave, the unpinned ideas that address the theme they join
    rather than the one they leave, each as it is after the move (the pain points moving, with the
    target's own; the pain points staying). An idea close enough to neither stays. The target's own
    pain points count: one sticky moved into an unrelated theme took the idea of its whole old theme
    along when only the moved sticky was weighed ("SBAR handover not used consistently", into a
    waiting-list theme, took "structured electronic handover (SBAR) in the EPR" with it).

    Call it before the move is written; the caller moves the ideas with the pain points and leaves
    their pins as they are (a moved idea pinned would count as placed by hand, and never follow its
    pain again)."""
    moving = list(dict.fromkeys(str(s) for s in moving))
    rows: list[ThemeAssignment] = []
    for part in _chunks(moving):
        rows += session.exec(select(ThemeAssignment).where(ThemeAssignment.sticky_id.in_(part))).all()
    target = None if target_id is None else int(target_id)
    sources = sorted({int(a.theme_id) for a in rows if a.theme_id != target})
    if not sources:
        return []
    members = _assignments(session, sources + ([target] if target is not None else []))
    kinds = _kinds(session, [a.sticky_id for a in members])
    leaving = set(moving)
    joined = [a.sticky_id for a in members if kinds.get(a.sticky_id) == "pain"
              and (a.sticky_id in leaving or a.theme_id == target)]  # the theme they join, after the move
    asked = []  # per theme left: the pain points staying there, and its ideas free to follow
    for theme_id in sources:
        held = [a for a in members if a.theme_id == theme_id]
        pains = [a.sticky_id for a in held if kinds.get(a.sticky_id) == "pain"]
        ideas = [a.sticky_id for a in held
                 if kinds.get(a.sticky_id) == "opportunity" and not a.pinned and a.sticky_id not in leaving]
        if ideas and any(s in leaving for s in pains):
            asked.append(([s for s in pains if s not in leaving], ideas))
    if not asked:
        return []
    stickies, _ = load_stickies(session, _discovery(session, discovery_id))
    embed = cached_embed(session, store=False) if DEFAULT_CONFIG.embedding_weight > 0 else None
    fit = pain_fit(themed(stickies), DEFAULT_CONFIG, embed)
    return [idea for staying, ideas in asked for idea, side in fit.addressed([joined, staying], ideas).items()
            if side == 0]
