"""The demo discovery's data: its own self-check, and every sticky passing the board's text rule."""
from __future__ import annotations

import pytest

from datetime import date

from workshop.demo_data import (DEMO_DISCOVERY, DEMO_ROUND_TWO, DEMO_WORKSHOPS, KIND_KEYS, LINKING_KINDS, STAGES,
                                VOTABLE_KINDS)
from workshop.domain.validation import sticky_text

# --- the demo data's self-check ------------------------------------------------------------------------------------

#: Per workshop, how many stickies of each kind are expected (inclusive ranges).
KIND_COUNT_RANGES: dict[str, tuple[int, int]] = {
    "event": (14, 22), "pain": (6, 12), "system": (4, 8), "time": (3, 6),
    "team": (3, 6), "opportunity": (2, 5), "note": (0, 3),
}


#: Round 2's boards are shorter: the teams map the journey again quickly and focus on what still hurts.
ROUND_TWO_COUNT_RANGES: dict[str, tuple[int, int]] = {
    "event": (6, 12), "pain": (2, 4), "system": (1, 3), "time": (2, 4),
    "team": (1, 2), "opportunity": (1, 2), "note": (0, 2),
}



def validate_demo_data() -> None:
    """Assert that the demo data has the shape the importer and the board expect (here, in the tests:
    a check of data the code ships, not something to run on every start)."""
    d = DEMO_DISCOVERY
    for key in ("name", "problem", "goal", "stages", "start_label", "end_label"):
        assert isinstance(d.get(key), (str, list)) and d[key], f"discovery.{key} missing"
    assert d["stages"] == ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
    col = 1.0 / len(STAGES)
    eps = 1e-9

    assert len(DEMO_WORKSHOPS) >= 9, "need at least 9 workshops"
    teams = [w["team"] for w in DEMO_WORKSHOPS]
    assert len(set(teams)) == len(teams), "one workshop per team"
    assert all(w["closed"] for w in DEMO_WORKSHOPS), "round 1 is over: its boards are closed"

    round_two = [w["team"] for w in DEMO_ROUND_TWO]
    assert len(round_two) == 3 and set(round_two) <= set(teams), "round 2: three teams of round 1"
    assert any(not w["closed"] for w in DEMO_ROUND_TWO), "round 2 has a live board"

    for w in DEMO_WORKSHOPS + DEMO_ROUND_TWO:
        where = w["team"]
        day = date.fromisoformat(w["date"])
        second = w in DEMO_ROUND_TWO
        if second:
            where += " (round 2)"
            assert date(2027, 1, 1) <= day <= date(2027, 3, 31), f"{where}: date {day} outside Jan-Mar 2027"
        else:
            assert date(2026, 9, 1) <= day <= date(2026, 11, 30), f"{where}: date {day} outside Sept-Nov 2026"
        assert w["template"] == "discovery"
        assert isinstance(w["facilitator"], str) and w["facilitator"].strip()
        assert isinstance(w["closed"], bool)
        people = w["participants"]
        assert 4 <= len(people) <= 7 and len(set(people)) == len(people), f"{where}: participants"
        stickies = w["stickies"]
        counts = {k: 0 for k in KIND_KEYS}
        for i, s in enumerate(stickies):
            at = f"{where} sticky {i} ({s.get('text')!r})"
            assert set(s) <= {"kind", "text", "stage", "x", "y", "author", "votes", "duration_minutes", "link"}, at
            assert s["kind"] in KIND_KEYS, f"{at}: kind"
            counts[s["kind"]] += 1
            assert isinstance(s["text"], str) and 0 < len(s["text"]) <= 80, f"{at}: text"
            assert s["stage"] in STAGES, f"{at}: stage"
            lo = STAGES.index(s["stage"]) * col
            assert isinstance(s["x"], float) and lo - eps <= s["x"] <= lo + col + eps, f"{at}: x outside column"
            assert isinstance(s["y"], float) and 0.05 <= s["y"] <= 0.95, f"{at}: y"
            assert s["author"] in people, f"{at}: author"
            if s["kind"] in VOTABLE_KINDS:
                v = s.get("votes", 0)
                assert isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6, f"{at}: votes"
            else:
                assert "votes" not in s, f"{at}: votes on a non-votable kind"
            if s["kind"] == "time":
                m = s.get("duration_minutes")
                assert isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0, f"{at}: duration"
            else:
                assert "duration_minutes" not in s, f"{at}: duration on a non-time kind"
            if "link" in s:
                assert s["kind"] in LINKING_KINDS, f"{at}: only pain points and notes link"
                assert isinstance(s["link"], int) and 0 <= s["link"] < len(stickies) and s["link"] != i, f"{at}: link"
            if s["kind"] == "note":
                assert "link" in s, f"{at}: a note is attached to a sticky"
        for kind, (lo_n, hi_n) in (ROUND_TWO_COUNT_RANGES if second else KIND_COUNT_RANGES).items():
            assert lo_n <= counts[kind] <= hi_n, f"{where}: {counts[kind]} {kind} stickies, expected {lo_n}-{hi_n}"



def test_the_demo_data_passes_its_self_check():
    validate_demo_data()  # raises AssertionError naming the workshop and sticky that is off


def test_the_self_check_catches_a_sticky_out_of_its_stage(monkeypatch):
    broken = [dict(w, stickies=[dict(s) for s in w["stickies"]]) for w in DEMO_WORKSHOPS]
    broken[0]["stickies"][0]["x"] = 0.99  # the first sticky's stage is not the last one
    monkeypatch.setattr(f"{__name__}.DEMO_WORKSHOPS", broken)
    with pytest.raises(AssertionError, match="x outside column"):
        validate_demo_data()


@pytest.mark.parametrize("workshop", DEMO_WORKSHOPS, ids=lambda w: w["team"])
def test_every_demo_sticky_is_one_the_board_would_accept(workshop):
    for item in workshop["stickies"]:
        assert sticky_text(item["text"]) == item["text"]
