"""The wall grows (ADR 0015): the facilitator's Tidy leaves no two stickies overlapping whatever their
number, going on downward when a stage's lanes are full, and a new sticky (N, paste, duplicate) never
lands on another. Runs static/js/board/tidy.js with the board's geometry (timeline.js) under Node
(tests/js/tidy_driver.mjs)."""
from __future__ import annotations

from itertools import combinations

import pytest

from tests.node_driver import node_driver
from workshop.domain.board import MAX_Y

STAGES = 6  # the browser tests' discovery: a stage column is 380 px wide, a lane 960 px high


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    run_driver = node_driver(tmp_path_factory.mktemp("tidy"), "tidy_driver.mjs", ["tidy.js", "timeline.js"])

    def run(call: str, stickies: list[dict], rows: int = 1, **args) -> dict:
        return run_driver({"stages": STAGES, "rows": rows, "stickies": stickies, "call": call, "args": args})
    return run


def sticky(i: int, x: float, y: float, kind: str = "event") -> dict:
    return {"id": f"s{i}", "kind": kind, "x": x, "y": y}


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["id"], b["id"]) for a, b in combinations(boxes, 2)
            if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


def inside_column(box: dict, W: float) -> bool:
    width = W / STAGES
    return box["stage"] * width <= box["left"] and box["right"] <= (box["stage"] + 1) * width


def the_facilitators_board() -> list[dict]:
    """40 events in stage 2 as the old N left them (19 and 19 on two spots, 2 more), and a few
    stickies elsewhere that overlap nothing."""
    piles = [(0.21, 0.5)] * 19 + [(0.21, 0.66)] * 19 + [(0.21, 0.82), (0.24, 0.34)]
    board = [sticky(i, x, y) for i, (x, y) in enumerate(piles)]
    board += [sticky(100, 0.05, 0.2), sticky(101, 0.55, 0.4, "pain"), sticky(102, 0.9, 0.7, "system")]
    return board


def test_tidy_leaves_no_two_stickies_overlapping_and_grows_the_wall_downward(layout):
    board = the_facilitators_board()
    result = layout("tidy", board)
    assert result["maxY"] == MAX_Y  # the client's deepest y is the server's
    boxes = result["boxes"]
    assert overlapping(boxes) == []
    assert result["stuck"] == 0
    # each stays in its stage column; the ones that overlapped nothing did not move
    before = {s["id"]: s for s in board}
    assert all(inside_column(b, result["W"]) for b in boxes if before[b["id"]]["x"] > 0.1)
    assert [b["stage"] for b in boxes] == [min(5, int(s["x"] * STAGES)) for s in board]
    moved = {m["id"] for m in result["moves"]}
    assert not moved & {"s100", "s101", "s102"}
    assert len(moved) >= 38
    # 40 squares do not fit in one lane of a stage (about 12): the wall grew, within MAX_Y
    assert 2 <= result["rowsAfter"] <= MAX_Y
    assert max(b["bottom"] for b in boxes) > result["H"]
    assert all(0 <= b["top"] and b["bottom"] <= MAX_Y * result["H"] for b in boxes if b["id"].startswith("s") and
               int(b["id"][1:]) < 100)
    # a second Tidy has nothing left to do
    again = layout("tidy", [{**s, "x": b["x"], "y": b["y"]} for s, b in zip(board, boxes)], rows=result["rowsAfter"])
    assert again["moves"] == []


@pytest.mark.parametrize("count", [2, 13, 60])
def test_any_number_piled_on_one_spot_is_laid_out_without_overlaps(layout, count):
    result = layout("tidy", [sticky(i, 0.42, 0.3, ["event", "pain", "system", "team"][i % 4]) for i in range(count)])
    assert overlapping(result["boxes"]) == [] and result["stuck"] == 0
    assert {b["stage"] for b in result["boxes"]} == {2}
    assert all(inside_column(b, result["W"]) for b in result["boxes"])


def test_tidy_keeps_the_timeline_order_of_stickies_that_overlapped(layout):
    # a chain of events, each half on the next, left to right in stage 1: read in timeline order
    # (left to right, top to bottom) afterwards, they come in the same order
    chain = [sticky(i, 0.18 + i * 0.004, 0.3 + i * 0.01) for i in range(8)]
    result = layout("tidy", chain)
    assert overlapping(result["boxes"]) == []
    order = sorted(result["boxes"], key=lambda b: (b["stage"], b["x"], b["y"]))
    assert [b["id"] for b in order] == [s["id"] for s in chain]


def test_tidy_fills_the_lane_before_growing_the_wall(layout):
    # three stickies piled low in an empty lane: laid out in the lane, not below it
    result = layout("tidy", [sticky(i, 0.6, 0.93) for i in range(3)])
    assert overlapping(result["boxes"]) == []
    assert max(b["bottom"] for b in result["boxes"]) <= result["H"]


def test_a_full_stage_down_to_the_deepest_lane_is_reported_not_piled_further(layout):
    # a stage column holds 2 squares side by side and 6 a lane: 66 rows of 2 fill 10 lanes and more
    result = layout("tidy", [sticky(i, 0.1, 0.5) for i in range(140)])
    assert result["stuck"] > 0
    placed = [b for b in result["boxes"] if b["id"] in {m["id"] for m in result["moves"]}]
    assert overlapping(placed) == []


def test_a_new_sticky_goes_below_the_one_it_is_added_after(layout):
    board = [sticky(0, 0.25, 0.5)]
    result = layout("freeSpot", board, kind="event", x=0.25, y=0.5, after=True)
    x, y = result["spot"]
    assert x == pytest.approx(0.25) and y == pytest.approx(0.5 + (136 + 12) / 960)  # straight below
    # the column below is full to the lane's end: it goes on into the next lane (the wall grows)
    column = [sticky(i, 0.25, (80 + i * 148) / 960) for i in range(6)]  # down the middle of the stage
    result = layout("freeSpot", column, kind="event", x=0.25, y=column[2]["y"], after=True)
    x, y = result["spot"]
    assert 1 < y < 2 and int(x * STAGES) == 1 and overlapping(result["boxes"] + [result["box"]]) == []


def test_a_sticky_wanted_on_another_goes_to_the_nearest_free_place_below(layout):
    board = [sticky(0, 0.58, 0.3, "system")]
    result = layout("freeSpot", board, kind="system", x=0.58, y=0.3)
    x, y = result["spot"]
    assert x == pytest.approx(0.58) and 0.3 < y < 0.5 and overlapping(result["boxes"] + [result["box"]]) == []
    assert layout("freeSpot", board, kind="system", x=0.58, y=0.7)["spot"] == pytest.approx([0.58, 0.7])  # free: there


def test_forty_new_stickies_added_one_after_the_other_fill_the_stage_lane_by_lane(layout):
    board: list[dict] = []
    x, y = 0.25, 0.15
    for i in range(40):
        if i:
            result = layout("freeSpot", board, kind="event", x=x, y=y, after=True)
            assert result["spot"], i
            x, y = result["spot"]
        board.append(sticky(i, x, y))
    final = layout("tidy", board, rows=MAX_Y)
    assert overlapping(final["boxes"]) == [] and final["moves"] == []
    assert {b["stage"] for b in final["boxes"]} == {1}
    assert all(inside_column(b, final["W"]) for b in final["boxes"])
    # a stage holds about 12 a lane: 40 take 4 lanes, not a column 6 lanes deep
    assert max(b["bottom"] for b in final["boxes"]) <= 4 * final["H"]


def test_a_pasted_group_moves_down_together_until_it_lands_on_nothing(layout):
    board = [sticky(0, 0.22, 0.5), sticky(1, 0.28, 0.5)]
    assert layout("freeOffset", board, items=[{"kind": "event", "x": 0.6, "y": 0.5}])["dy"] == 0
    dy = layout("freeOffset", board, items=[{"kind": "event", "x": s["x"], "y": s["y"]} for s in board])["dy"]
    assert dy * 960 >= 136 + 12
    pasted = [sticky(10 + i, s["x"], s["y"] + dy) for i, s in enumerate(board)]
    assert layout("tidy", board + pasted)["moves"] == []  # nothing overlaps: Tidy has nothing to do


def test_stickies_moved_a_stage_on_keep_their_place_in_it_or_take_the_nearest_free_one(layout):
    """Shift+Alt+→ and the list view's "Move to stage": the same place one column on; where a sticky
    already stands, the nearest free place; none lands on another; none goes off the timeline."""
    column = 1 / STAGES
    board = [sticky(1, 0.05, 0.3), sticky(2, 0.05, 0.5), sticky(3, 0.05 + column, 0.3), sticky(4, 0.95, 0.3)]
    result = layout("stageMoves", board, ids=["s1", "s2", "s4"], by=1)
    moves = {m["id"]: m for m in result["moves"]}
    assert set(moves) == {"s1", "s2"}  # s4 is in the last stage already
    assert moves["s2"]["x"] == pytest.approx(0.05 + column, abs=1e-3) and moves["s2"]["y"] == pytest.approx(0.5, abs=1e-3)
    assert all(b["stage"] == 1 for b in result["boxes"] if b["id"] in moves)
    assert overlapping(result["boxes"]) == []

