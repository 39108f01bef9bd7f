"""Where a new sticky goes so that none lands on another: the board's rule (static/js/board/tidy.js,
freeSpot without `after`, with the geometry of static/js/board/timeline.js) in Python, for the importer.

World pixels: the wall is max(1800, 380 per stage) px wide, a lane 960 px high, and it grows downward
lane by lane to MAX_Y lanes (ADR 0015). A sticky wanted at (x, y) goes there if nothing is in the way,
else to the cheapest free place in its stage column: below first, then beside, then above
(tests/test_placement.py checks the answers against the board's own code under Node).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .board import MAX_Y, stage_of
from .kinds import KINDS_BY_KEY

SIZES = {"wide": (224, 92), "small": (108, 74)}  # tidy.js SIZES (board.css .shape-wide, .shape-small)
SQUARE = (136, 136)
GAP = 12  # px kept free between two stickies
MARGIN = 4  # px kept free inside a stage column's edges
LANE_HEIGHT = 960  # timeline.js H
BOTTOM_REACH = 90  # timeline.js: px a sticky reaches below its centre, and a little more


@dataclass(frozen=True)
class Preference:
    """The cost of a place dx, dy px from the wanted one: dy below or dy x up above, plus |dx| x across,
    plus grow if it makes the wall deeper; slots_only keeps to the column's slots (tidy.js TIDY, NEAR)."""
    across: float
    up: float
    grow: float
    slots_only: bool


TIDY = Preference(across=1.5, up=3, grow=600, slots_only=True)  # onto the column's slots, lanes filled first
NEAR = Preference(across=4, up=10, grow=0, slots_only=False)  # straight down from where it is wanted


@dataclass(frozen=True)
class Box:
    cx: float
    cy: float
    w: float
    h: float


@dataclass(frozen=True)
class Room:
    """Where a box may stand in a stage: inside its column, from the top down to the deepest lane."""
    left: float
    right: float
    bottom: float
    used: float  # the depth of the lanes the wall shows now


def size_of(kind: str) -> tuple[int, int]:
    """Width and height of a sticky of this kind, in world px."""
    shape = KINDS_BY_KEY[kind].shape if kind in KINDS_BY_KEY else "square"
    return SIZES.get(shape, SQUARE)


class Wall:
    """The stickies placed so far, as boxes bucketed by the stage columns they touch."""

    def __init__(self, stages: int):
        self.stages = max(1, stages)
        self.width = max(1800, self.stages * 380)
        self.column_width = self.width / self.stages
        self.columns: list[list[Box]] = [[] for _ in range(self.stages)]
        self.lowest = 0.0  # the deepest centre, in lanes

    def span(self, cx: float, w: float) -> range:
        last = self.stages - 1
        first = min(last, max(0, math.floor((cx - w / 2) / self.column_width)))
        return range(first, min(last, max(0, math.floor((cx + w / 2) / self.column_width))) + 1)

    def add(self, box: Box) -> None:
        for i in self.span(box.cx, box.w):
            self.columns[i].append(box)
        self.lowest = max(self.lowest, box.cy / LANE_HEIGHT)

    def clear(self, w: float, h: float, cx: float, cy: float, gap: float = GAP) -> bool:
        """True when a w x h box at (cx, cy) keeps `gap` px from every box on the wall."""
        return not any(abs(p.cx - cx) < (p.w + w) / 2 + gap and abs(p.cy - cy) < (p.h + h) / 2 + gap
                       for i in self.span(cx, w) for p in self.columns[i])

    def rows(self) -> int:
        """The lanes the wall shows (timeline.js rowsFor)."""
        return min(MAX_Y, max(1, math.ceil((self.lowest * LANE_HEIGHT + BOTTOM_REACH) / LANE_HEIGHT)))

    def stage_at(self, x: float) -> int:
        return stage_of(x, self.stages)

    def room(self, stage: int) -> Room:
        return Room(left=stage * self.column_width + MARGIN, right=(stage + 1) * self.column_width - MARGIN,
                    bottom=MAX_Y * LANE_HEIGHT, used=self.rows() * LANE_HEIGHT)


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _slots(room: Room, w: float) -> list[float]:
    """The column's slots for a box w wide: as many side by side as the column holds, centred in it."""
    width = room.right - room.left
    n = max(1, math.floor((width + GAP) / (w + GAP)))
    first = room.left + (width - (n * w + (n - 1) * GAP)) / 2 + w / 2
    return [first + k * (w + GAP) for k in range(n)]


def _places(w: float, h: float, cx: float, cy: float, room: Room, how: Preference) -> list[tuple[float, float, float]]:
    """Every place the box may take in the room, (cost, x, y), cheapest first."""
    top, bottom = h / 2, room.bottom - h / 2
    y0 = _clamp(cy, top, bottom)
    xs = _slots(room, w)
    if not how.slots_only:
        xs.insert(0, _clamp(cx, room.left + w / 2, max(room.left + w / 2, room.right - w / 2)))
    step = (h + GAP) / 4
    places = []
    for x in xs:
        y = y0 - math.floor((y0 - top) / step) * step
        while y <= bottom + 1e-6:
            dy = y - cy
            grow = how.grow if y + h / 2 > room.used else 0
            places.append(((dy if dy >= 0 else -dy * how.up) + abs(x - cx) * how.across + grow, x, y))
            y += step
    places.sort(key=lambda place: place[0])
    return places


def free_spot(wall: Wall, kind: str, x: float, y: float, how: Preference) -> tuple[float, float] | None:
    """Where a sticky of `kind` wanted at board (x, y) goes: there if nothing is in the way, else the
    cheapest free place in that stage; None when the stage is full down to the deepest lane."""
    w, h = size_of(kind)
    cx, cy = x * wall.width, y * LANE_HEIGHT
    room = wall.room(wall.stage_at(x))
    for _, px, py in _places(w, h, cx, cy, room, how):
        if wall.clear(w, h, px, py):
            return px / wall.width, py / LANE_HEIGHT
    return None


def place(wall: Wall, kind: str, x: float, y: float, how: Preference) -> tuple[float, float]:
    """Put a sticky on the wall at its free spot (where it was wanted when its stage is full)."""
    spot = free_spot(wall, kind, x, y, how) or (x, y)
    w, h = size_of(kind)
    wall.add(Box(spot[0] * wall.width, spot[1] * LANE_HEIGHT, w, h))
    return spot
