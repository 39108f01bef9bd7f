"""The board's countdown (static/js/board/timer.js) under Node: "Time's up" leaves with the phase it
ended in, also on a page whose ticks were held back until after the phase had changed (a browser test
saw the facilitator's "Time's up" stay in the next phase when that page's ticks came late)."""
from __future__ import annotations

import pytest

from tests.node_driver import node_driver

START = 1_800_000_000_000  # ms


@pytest.fixture(scope="module")
def timer(tmp_path_factory):
    return node_driver(tmp_path_factory.mktemp("timer"), "timer_driver.mjs", ["timer.js"])


def test_times_up_leaves_with_the_phase_even_when_the_page_ticks_first_after_the_change(timer):
    seen = timer([
        {"now": START, "phase": "map", "ends": START + 1000},   # started: seen running
        {"now": START + 5000, "phase": "pain"},                   # the next tick comes after the phase changed
    ])
    assert seen[0]["shown"] and seen[0]["text"] == "0:01"
    assert not seen[1]["shown"]


def test_times_up_stays_in_the_phase_it_ended_in_until_the_phase_changes(timer):
    seen = timer([
        {"now": START, "phase": "map", "ends": START + 1000},
        {"now": START + 2000},                                    # ended, same phase
        {"now": START + 3000},
        {"now": START + 4000, "phase": "pain"},
    ])
    assert [s["shown"] for s in seen] == [True, True, True, False]
    assert seen[1]["text"] == "Time’s up" and seen[1]["done"]


def test_a_timer_that_runs_on_into_the_next_phase_ends_there_and_shows_it(timer):
    seen = timer([
        {"now": START, "phase": "map", "ends": START + 60_000},
        {"now": START + 10_000, "phase": "pain"},                 # the room moved on with the timer running
        {"now": START + 61_000},                                  # it ends in the new phase: shown
    ])
    assert [s["shown"] for s in seen] == [True, True, True] and seen[2]["done"]


def test_a_page_that_only_saw_the_timer_done_keeps_it_until_the_phase_changes(timer):
    seen = timer([
        {"now": START + 5000, "phase": "map", "ends": START + 1000},  # opened after it ended
        {"now": START + 6000},
        {"now": START + 7000, "phase": "pain"},
    ])
    assert [s["shown"] for s in seen] == [True, True, False]
