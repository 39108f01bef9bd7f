"""The board's grammar: the kinds of sticky, their colours, shapes and the names people use for them.

Big Picture EventStorming conventions where they exist (orange events, pink hotspots, lilac systems).
Plain data: the front end receives it through the page, the importer uses the aliases.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import ValidationError


@dataclass(frozen=True)
class StickyKind:
    key: str
    label: str
    colour: str
    shape: str  # "square", "rotated", "wide", "small"
    hint: str
    aliases: tuple[str, ...] = ()
    has_duration: bool = False
    votable: bool = False
    attached: bool = False  # written about another sticky: linked (link_to) to it when added there


KINDS: tuple[StickyKind, ...] = (
    StickyKind("event", "Event", "#ff9f43", "square", "Something that happens on the journey (past tense)",
               ("event", "events", "domain event", "step", "orange")),
    StickyKind("pain", "Pain point", "#ff4fa3", "rotated", "Frustration, delay or risk",
               ("pain", "pain point", "pain-point", "painpoint", "pain points", "hotspot", "hot spot",
                "problem", "issue", "frustration", "pink"), votable=True),
    StickyKind("system", "System", "#c9a7f5", "wide", "A tool or system used at that point",
               ("system", "systems", "technology", "tech", "tool", "tools", "external system", "lilac")),
    StickyKind("time", "Time taken", "#a8d8f0", "square", "How long that part takes or waits",
               ("time", "time taken", "duration", "wait", "waiting time", "lead time"), has_duration=True),
    StickyKind("team", "Team", "#fff176", "small", "Who is involved or handed off to",
               ("team", "teams", "people", "person", "role", "actor", "yellow")),
    StickyKind("opportunity", "Opportunity", "#7bd389", "square", "An idea for the platform",
               ("opportunity", "opportunities", "idea", "ideas", "improvement", "green"), votable=True),
    StickyKind("note", "Note", "#ffffff", "square", "A deep-dive note or question, attached to a sticky",
               ("note", "notes", "question", "comment", "deep-dive", "deep dive", "white"), attached=True),
)

KINDS_BY_KEY: dict[str, StickyKind] = {k.key: k for k in KINDS}
_ALIASES: dict[str, str] = {alias: k.key for k in KINDS for alias in (k.key, k.label.lower(), *k.aliases)}

#: Kinds that the backlog groups into themes.
THEMED_KINDS: tuple[str, ...] = ("pain", "opportunity")


def kind_from_name(name: str) -> str:
    """Map a kind as people write it ("Hotspot", "pain point", "Technology") to its key."""
    normalised = " ".join(str(name).strip().lower().replace("_", " ").split())
    try:
        return _ALIASES[normalised]
    except KeyError:
        known = ", ".join(k.key for k in KINDS)
        raise ValidationError("unknown_kind", f"Unknown sticky kind {name!r}; use one of: {known}.") from None


def kinds_as_dicts() -> list[dict]:
    """The legend as the front end needs it."""
    return [
        {"key": k.key, "label": k.label, "colour": k.colour, "shape": k.shape, "hint": k.hint,
         "hasDuration": k.has_duration, "votable": k.votable, "attached": k.attached}
        for k in KINDS
    ]
