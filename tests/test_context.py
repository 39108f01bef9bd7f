"""What stood near a theme's stickies (aggregation/context.py): the events, systems and times within
the window, on the same board, nearest first, each once, at most the limit."""
from __future__ import annotations

import pandas as pd

from workshop.aggregation.context import neighbours


def board(*rows) -> pd.DataFrame:
    """rows: (sticky_id, workshop_id, kind, position)."""
    return pd.DataFrame([{"sticky_id": sid, "workshop_id": wid, "kind": kind, "position": pos, "text": f"t {sid}",
                          "team": f"team {wid}", "workshop": f"w {wid}", "stage": "Build",
                          "duration_minutes": 30.0 if kind == "time" else float("nan")}
                         for sid, wid, kind, pos in rows])


# positions in 64ths, so that distances are exact
STICKIES = board(
    ("p", 1, "pain", 0.5),
    ("e-near", 1, "event", 0.515625),   # 1/64 away
    ("s-edge", 1, "system", 0.5625),    # exactly the window (4/64) away
    ("t-near", 1, "time", 0.46875),     # 2/64 away
    ("e-far", 1, "event", 0.578125),    # 5/64: outside
    ("n", 1, "note", 0.5),              # not a context kind
    ("o", 1, "opportunity", 0.5),
    ("e-other", 2, "event", 0.5),       # another board
    ("q", 1, "pain", 0.75),
    ("e-q", 1, "event", 0.78125),       # 2/64 from q
)
WINDOW = 0.0625


def test_neighbours_within_the_window_on_the_same_board_nearest_first():
    near = neighbours(STICKIES, ["p"], window=WINDOW)
    assert list(near.columns) == ["kind", "text", "team", "workshop", "stage", "duration_minutes", "distance"]
    assert near["text"].tolist() == ["t e-near", "t t-near", "t s-edge"]
    assert near["distance"].tolist() == [0.015625, 0.03125, 0.0625]
    assert near["kind"].tolist() == ["event", "time", "system"]
    assert near.loc[1, "duration_minutes"] == 30.0 and (near.loc[1, "team"], near.loc[1, "workshop"]) == ("team 1", "w 1")
    assert near.index.tolist() == [0, 1, 2]


def test_the_default_window_is_five_hundredths_of_the_timeline():
    near = neighbours(board(("p", 1, "pain", 0.5), ("in", 1, "event", 0.54), ("out", 1, "event", 0.56)), ["p"])
    assert near["text"].tolist() == ["t in"]


def test_each_neighbour_once_at_its_nearest_and_at_most_the_limit():
    both = neighbours(STICKIES, ["p", "q"], window=WINDOW)
    assert both["text"].tolist() == ["t e-near", "t e-q", "t t-near", "t s-edge"]  # ties by sticky id
    assert neighbours(STICKIES, ["p", "q"], window=WINDOW, limit=2)["text"].tolist() == ["t e-near", "t e-q"]
    assert neighbours(STICKIES, ["p", "q"], window=0.02)["text"].tolist() == ["t e-near"]
    many = board(("p", 1, "pain", 0.5), *((f"e{i:02}", 1, "event", 0.5) for i in range(15)))
    assert neighbours(many, ["p"])["text"].tolist() == [f"t e{i:02}" for i in range(12)]  # default limit


def test_nothing_to_show():
    empty_columns = ["kind", "text", "team", "workshop", "stage", "duration_minutes", "distance"]
    for result in (neighbours(STICKIES, []), neighbours(STICKIES.iloc[0:0], ["p"]),
                   neighbours(STICKIES, ["missing"]), neighbours(board(("p", 1, "pain", 0.5)), ["p"])):
        assert result.empty and list(result.columns) == empty_columns


def test_a_neighbour_near_two_sources_is_shown_once_at_its_nearest():
    near = neighbours(board(("p", 1, "pain", 0.5), ("p2", 1, "pain", 0.546875), ("e", 1, "event", 0.515625)),
                      ["p", "p2"])
    assert near["text"].tolist() == ["t e"] and near["distance"].tolist() == [0.015625]
