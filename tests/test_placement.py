"""The importer places stickies by the board's rule (workshop/domain/placement.py mirrors
static/js/board/tidy.js freeSpot): the same answers as the board's own code under Node
(tests/js/tidy_driver.mjs), and no imported sticky lands on another."""
from __future__ import annotations

import pytest

from tests.node_driver import node_driver
from workshop.domain.placement import NEAR, TIDY, Wall, free_spot, place

STAGES = 6


@pytest.fixture(scope="module")
def board_free_spot(tmp_path_factory):
    """The board's freeSpot under Node, for stickies already on a wall that shows `rows` lanes."""
    run_driver = node_driver(tmp_path_factory.mktemp("placement"), "tidy_driver.mjs", ["tidy.js", "timeline.js"])

    def run(stickies: list[dict], rows: int, **want) -> list[float] | None:
        return run_driver({"stages": STAGES, "rows": rows, "stickies": stickies, "call": "freeSpot",
                           "args": want})["spot"]
    return run


# a busy import: piles wanted in one stage, mixed shapes, a position column, a sticky on a column's edge
WANTED = ([("event", 0.25, 0.1, True)] * 7 + [("pain", 0.3, 0.1, True)] * 4 + [("system", 0.22, 0.1, True)] * 3
          + [("team", 0.75, 0.1, False)] * 4 + [("time", 0.5, 0.1, False)] * 3 + [("opportunity", 0.999, 0.1, True)] * 2)


def test_the_importer_places_each_sticky_where_the_board_would(board_free_spot):
    wall, placed = Wall(STAGES), []
    for i, (kind, x, y, tidy) in enumerate(WANTED):
        expected = board_free_spot(placed, wall.rows(), kind=kind, x=x, y=y, tidy=tidy)
        assert free_spot(wall, kind, x, y, TIDY if tidy else NEAR) == pytest.approx(expected, abs=1e-12), i
        spot = place(wall, kind, x, y, TIDY if tidy else NEAR)
        placed.append({"id": f"s{i}", "kind": kind, "x": spot[0], "y": spot[1]})


def test_a_free_place_keeps_its_wanted_x_below_what_is_in_the_way():
    wall = Wall(STAGES)
    assert place(wall, "system", 0.58, 0.3, NEAR) == (0.58, 0.3)  # nothing in the way: there
    x, y = place(wall, "system", 0.58, 0.3, NEAR)
    assert x == pytest.approx(0.58) and y > 0.3 + (92 + 12) / 960 - 1e-9  # straight below, a gap apart
