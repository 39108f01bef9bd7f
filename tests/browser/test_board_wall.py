"""The wall grows (ADR 0015): a facilitator adds 40 events with N into one stage, and none is buried
under another; a pile of 40 left by an older board is laid out by Tidy without an overlap, the wall
growing downward; after Fit every sticky is on screen. The facilitator's bar keeps its height when
the timer starts (no jump of the board)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BOXES = """(ids) => [...document.querySelectorAll('.sticky')].filter((e) => !e.classList.contains('draft'))
  .filter((e) => !ids || ids.includes(e.dataset.id)).map((e) => {
    const r = e.querySelector('.sticky-body').getBoundingClientRect();
    return {id: e.dataset.id, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })"""
SERVER = "() => [...window.__board.state.stickiesServer.values()]"
IN_VIEW = """() => { const r = document.activeElement.querySelector('.sticky-body').getBoundingClientRect();
  const v = document.querySelector('#viewport').getBoundingClientRect();
  return r.top >= v.top && r.bottom <= v.bottom && r.left >= v.left && r.right <= v.right; }"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["id"], b["id"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5
            and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5]


def stage_of(page, x: float) -> int:
    return page.evaluate("(x) => window.__board.geometry.stageAt(x)", x)


def test_forty_events_added_with_n_tidy_and_fit_leave_every_sticky_in_sight(pages, ui, output_dir):
    fac = pages.facilitator()  # 1440 x 900
    ui.set_phase(fac, "map")
    first = ui.add_sticky_by_hand(fac, "event", "Event 1", 0.25, 0.15)
    ui.sticky(fac, "Event 1").focus()
    for i in range(2, 41):
        fac.keyboard.press("n")
        expect(fac.locator(".sticky.draft .editor-text")).to_be_focused()
        fac.keyboard.type(f"Event {i}")
        fac.keyboard.press("Enter")
        expect(ui.sticky(fac, f"Event {i}")).to_be_focused()
    ui.wait_settled(fac)
    events = [s for s in fac.evaluate(SERVER) if s["text"].startswith("Event ")]
    assert len(events) == 40
    # all in the stage of the first, none on another: each went below the one before, the wall grew
    assert {stage_of(fac, s["x"]) for s in events} == {stage_of(fac, 0.25)}
    assert len({(s["x"], s["y"]) for s in events}) == 40
    assert overlapping(fac.evaluate(BOXES, None)) == []
    assert max(s["y"] for s in events) > 1
    rows = fac.evaluate("() => window.__board.geometry.rows")
    assert rows >= 2
    # the stage's column reaches below the lowest sticky
    column = fac.evaluate("""(i) => document.querySelector(`.tl-stage[data-stage="${i}"]`).getBoundingClientRect().bottom""",
                          stage_of(fac, 0.25))
    assert column >= max(b["bottom"] for b in fac.evaluate(BOXES, None)) - 1
    # the last one is in view (N brought the view along) and the keyboard reaches back to the first
    assert fac.evaluate(IN_VIEW)
    fac.screenshot(path=str(output_dir / "wall-n-forty.png"))
    # the keyboard walks every one of them, each brought into view
    fac.keyboard.press("Home")
    seen = set()
    for _ in range(40):
        seen.add(fac.evaluate("() => document.activeElement.dataset.id"))
        # polled, not a fixed 30-ms wait (the view's scroll may take a few frames on a busy machine:
        # the old wait failed once in three runs); a sticky that never comes into view still fails
        fac.wait_for_function(IN_VIEW, timeout=5_000)
        fac.keyboard.press("ArrowRight")
    assert seen == {s["id"] for s in events} and first in seen

    # an older board's pile: 40 events on 5 spots of another stage (as the old N left them); Tidy
    spots = [(0.7, 0.5)] * 19 + [(0.7, 0.66)] * 19 + [(0.7, 0.82), (0.72, 0.34)]
    for i, (x, y) in enumerate(spots):
        ui.add_sticky(fac, "event", f"Piled {i}", x, y)
    ui.wait_settled(fac)
    fac.click("[data-action='tidy']")
    expect(fac.locator(".toast").last).to_contain_text(re.compile(r"Tidied (3[5-9]|40) stickies"))
    ui.wait_settled(fac)
    after = fac.evaluate(SERVER)
    assert len(after) == 80
    assert {stage_of(fac, s["x"]) for s in after if s["text"].startswith("Piled")} == {stage_of(fac, 0.7)}
    assert {(s["x"], s["y"]) for s in after if s["text"].startswith("Event ")} == {(s["x"], s["y"]) for s in events}
    fac.click("[data-zoom='fit']")
    fac.wait_for_timeout(400)
    boxes = fac.evaluate(BOXES, None)
    assert len(boxes) == 80 and overlapping(boxes) == []
    view = fac.locator("#viewport").bounding_box()
    palette = fac.locator("#palette").bounding_box()
    for b in boxes:  # every sticky on screen, beside the palette
        assert palette["x"] + palette["width"] <= b["left"] and b["right"] <= view["x"] + view["width"], b
        assert view["y"] <= b["top"] and b["bottom"] <= view["y"] + view["height"], b
    fac.screenshot(path=str(output_dir / "wall-tidied-fit.png"))
    # a second Tidy finds nothing to do; one Ctrl+Z undoes the whole Tidy
    fac.click("[data-action='tidy']")
    expect(fac.locator(".toast").last).to_contain_text("Nothing overlaps")
    fac.keyboard.press("Control+z")
    ui.wait_settled(fac)
    piled = [(s["x"], s["y"]) for s in fac.evaluate(SERVER) if s["text"].startswith("Piled")]
    assert sorted(piled) == sorted(spots)
    # the list view lists every sticky of the grown wall, stage by stage
    fac.click("#list-open")
    expect(fac.locator(".lv-table caption").nth(stage_of(fac, 0.25))).to_contain_text("(40 stickies)")
    fac.keyboard.press("Escape")


@pytest.mark.parametrize("width, height", [(1440, 900), (1280, 800)])
def test_the_facilitator_bar_keeps_its_height_when_the_timer_starts(pages, ui, output_dir, width, height):
    fac = pages.facilitator(viewport={"width": width, "height": height})
    ui.set_phase(fac, "map")

    def layout():
        return fac.evaluate("""() => ({bar: document.querySelector('#facilitator-bar').getBoundingClientRect().height,
            board: document.querySelector('.board-area').getBoundingClientRect().top})""")
    before = layout()
    assert before["bar"] <= 100, before  # two rows at most: the phases, the controls
    expect(fac.locator("[data-action=timer-stop]")).to_be_disabled()  # in its place, nothing to stop
    fac.click("[data-action=timer-start]")
    expect(fac.locator("[data-action=timer-stop]")).to_be_enabled()
    expect(fac.locator("#timer")).to_be_visible()
    expect(fac.locator("[data-action=timer-start]")).to_have_text("Restart")
    running = layout()
    assert running == before, (before, running)
    fac.screenshot(path=str(output_dir / f"wall-fbar-timer-{width}.png"))
    # time's up ("Clear"), then cleared: the bar keeps its height
    fac.evaluate("() => window.__board.send({type: 'timer.start', seconds: 1})")
    expect(fac.locator("[data-action=timer-stop]")).to_have_text("Clear", timeout=5000)
    assert layout()["bar"] == before["bar"]
    fac.click("[data-action=timer-stop]")
    expect(fac.locator("#timer")).to_be_hidden()
    expect(fac.locator("[data-action=timer-stop]")).to_be_disabled()
    assert layout() == before
