"""The product owner's decisions on themes, each validated, each one commit.

``update_theme`` (title, value, effort and status at once, all or nothing; ``rename_theme``,
``set_estimate`` and ``set_status`` are its one-field forms), ``merge_themes``, ``split_theme``,
``move_sticky`` / ``move_stickies`` and ``forget_machine_groups`` (the first half of "Group afresh",
``backlog.regroup``). Every edit is stored as a decision
(a custom title, an estimate, a status, or pinned assignments) so it survives re-aggregation when new
workshops and stickies arrive. Plain Python (no Flask); services.backlog re-exports them all.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from workshop.aggregation.themes import shorten_title
from workshop.db.models import Sticky, Theme, ThemeAssignment, Workshop
from workshop.domain.errors import NotFound, ValidationError
from workshop.domain.kinds import THEMED_KINDS
from workshop.domain.validation import theme_title

from .backlog_reading import _chunks, _discovery_themes, _lock_discovery, _pinned
from .theme_ideas import ideas_following, opportunities_among


#: A theme's lifecycle as the product owner sees it.
STATUSES: tuple[str, ...] = ("proposed", "accepted", "in progress", "done", "rejected")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _is_decided(theme: Theme) -> bool:
    return bool(theme.title_is_custom or theme.value is not None or theme.effort is not None
                or theme.status != "proposed")


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
    """Merge theme ``source_id`` into ``target_id``: the stickies of both go to the target and its pain
    points are pinned there (the owner shaped it: they group together from now on, and new stickies
    close to it join it; the ideas, all of them in the target now, keep their own pins, unless the
    theme has no pain point to hold them), and the source is marked merged (it never comes back as its
    own theme)."""
    if target_id == source_id:
        raise ValidationError("merge_into_self", "A theme cannot be merged into itself.")
    target = _theme(session, discovery_id, target_id)
    source = _theme(session, discovery_id, source_id)
    rows: list = _assignments_of(session, source.id) + _assignments_of(session, target.id)
    ideas = opportunities_among(session, [a.sticky_id for a in rows])
    held = len(ideas) < len(rows)  # pinned pain points keep the theme, its ideas too, through "Group afresh"
    for a in rows:
        a.theme_id, a.pinned = target.id, a.pinned or a.sticky_id not in ideas or not held
    for earlier in session.exec(select(Theme).where(Theme.merged_into_id == source.id)).all():
        earlier.merged_into_id = target.id
        rows.append(earlier)
    source.merged_into_id = target.id
    _commit(session, *rows, source)
    return target


def split_theme(session: Session, discovery_id: int, theme_id: int, sticky_ids: Sequence[str],
                title: str | None = None) -> Theme:
    """Split the given stickies off into a new theme. Both sides are pinned: a person decided where
    the line goes, so the next aggregation keeps it (even though the texts are alike). The theme's
    ideas that address the pain points split off rather than those staying go with them
    (services.theme_ideas); an idea keeps its own pin unless it is among the stickies chosen."""
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
    followers = set(ideas_following(session, discovery_id, wanted, None))
    if len(set(wanted) | followers) >= len(current):  # every pain point chosen: the ideas keep the theme
        followers = set()
    going = set(wanted) | followers
    ideas = opportunities_among(session, current)
    with _transaction(session):
        session.add(new)
        session.flush()
        for sticky_id, a in current.items():
            if sticky_id in going:
                a.theme_id = new.id
            a.pinned = a.pinned or sticky_id in wanted or sticky_id not in ideas
            session.add(a)
    return new


def forget_machine_groups(session: Session, discovery_id: int) -> tuple[list[str], list[str]]:
    """The first half of "Group afresh" (``backlog.regroup`` does the rest): forget the machine's own
    proposals, the stickies of every theme nobody has decided anything about (unpinned). What people
    decided stays as it is: moved, split and merged stickies (pinned), and a theme someone renamed,
    estimated or gave a status keeps its stickies with its title, value, effort and status (a
    walkthrough saw such themes emptied and their decisions gone from the page). A theme a person put
    stickies into (a move, a merge, a split, a review's yes) keeps its other stickies too: freed, they
    formed a new theme of their own while the moved sticky's old neighbours joined it, so the move
    looked undone (issue 22). Commits. Returns the stickies let go and the stickies kept in their
    themes."""
    discovery = _lock_discovery(session, discovery_id)
    themes = _discovery_themes(session, discovery.id)
    shaped = set(_pinned(session, themes)["theme_id"])  # a person put stickies in: its others stay too
    theme_ids = [t.id for t in themes if not _is_decided(t) and t.id not in shaped]
    freed: list[str] = []
    with _transaction(session):
        for part in _chunks(theme_ids):
            freed += list(session.exec(select(ThemeAssignment.sticky_id).where(
                ThemeAssignment.theme_id.in_(part), ThemeAssignment.pinned.is_(False))).all())
            session.execute(delete(ThemeAssignment).where(ThemeAssignment.theme_id.in_(part),
                                                          ThemeAssignment.pinned.is_(False)))
        discovery.aggregation_fingerprint = None
        session.add(discovery)
    kept: list[str] = []
    for part in _chunks([t.id for t in themes]):
        kept += list(session.exec(select(ThemeAssignment.sticky_id).where(ThemeAssignment.theme_id.in_(part))).all())
    return freed, kept


def move_sticky(session: Session, discovery_id: int, sticky_id: str, theme_id: int) -> ThemeAssignment:
    """Put one sticky into another theme, pinned (it stays there across re-aggregation)."""
    return move_stickies(session, discovery_id, [sticky_id], theme_id)[0]


def move_stickies(session: Session, discovery_id: int, sticky_ids: Sequence[str], theme_id: int) -> list[ThemeAssignment]:
    """Put stickies into another theme, pinned, all or none (one unknown sticky refuses the lot). The
    ideas of the themes they leave that address the pain points moved rather than those staying go
    with them, unpinned (services.theme_ideas); the assignments of the stickies given are returned."""
    theme = _theme(session, discovery_id, theme_id)
    stickies = []
    for sticky_id in dict.fromkeys(str(s) for s in sticky_ids):
        sticky = session.get(Sticky, sticky_id)
        workshop = session.get(Workshop, sticky.workshop_id) if sticky is not None else None
        if (sticky is None or workshop is None or workshop.discovery_id != discovery_id or sticky.deleted
                or sticky.private):
            raise NotFound("sticky_not_found", f"No sticky {sticky_id} in this discovery.")
        if sticky.kind not in THEMED_KINDS:
            raise ValidationError("sticky_not_themed", "Only pain points and opportunities belong to themes.")
        stickies.append(sticky.id)
    followers = ideas_following(session, discovery_id, stickies, theme.id)  # read before anything moves
    assignments = []
    for sticky_id in stickies:
        assignment = session.get(ThemeAssignment, sticky_id)
        if assignment is None:
            assignment = ThemeAssignment(sticky_id=sticky_id, theme_id=theme.id, pinned=True)
        else:
            assignment.theme_id, assignment.pinned = theme.id, True
        assignments.append(assignment)
    followers = [session.get(ThemeAssignment, idea) for idea in followers]
    for follower in followers:
        follower.theme_id = theme.id
    _commit(session, *assignments, *followers)
    return assignments
