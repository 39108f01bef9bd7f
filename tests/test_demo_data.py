"""The demo discovery's data: its own self-check, and every sticky passing the board's text rule."""
from __future__ import annotations

import pytest

from workshop.demo_data import DEMO_WORKSHOPS, validate_demo_data
from workshop.domain.validation import sticky_text


def test_the_demo_data_passes_its_self_check():
    validate_demo_data()  # raises AssertionError naming the workshop and sticky that is off


def test_the_self_check_catches_a_sticky_out_of_its_stage(monkeypatch):
    broken = [dict(w, stickies=[dict(s) for s in w["stickies"]]) for w in DEMO_WORKSHOPS]
    broken[0]["stickies"][0]["x"] = 0.99  # the first sticky's stage is not the last one
    monkeypatch.setattr("workshop.demo_data.DEMO_WORKSHOPS", broken)
    with pytest.raises(AssertionError, match="x outside column"):
        validate_demo_data()


@pytest.mark.parametrize("workshop", DEMO_WORKSHOPS, ids=lambda w: w["team"])
def test_every_demo_sticky_is_one_the_board_would_accept(workshop):
    for item in workshop["stickies"]:
        assert sticky_text(item["text"]) == item["text"]
