"""A sticky keeps its size whatever its text, so that "no two stickies overlap" (Tidy, N, paste) holds on
screen too: a walkthrough's 800-character sticky grew onto the one below and covered its author. Long
text gets smaller type and is cut with an ellipsis; the whole of it is in the sticky's label (screen
readers), its tooltip, the editor and the list view."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LONG = ("The security review of every new service waits for the one architect who knows the checklist, "
        "and the checklist lives in a wiki page nobody updates. ") * 6  # ~800 characters


TEXTS = ["Short", "A sticky of medium length, around eighty characters long, in two sentences.", "x" * 200, LONG]
KINDS = ["event", "pain", "system", "time", "team", "opportunity", "note"]


def test_no_sticky_grows_past_its_size(pages, ui, output_dir):
    """Every kind with a short, a medium, a long and an 800-character text, one row each."""
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    for row, text in enumerate(TEXTS):
        for i, kind in enumerate(KINDS):
            ui.add_sticky(fac, kind, text, 0.05 + 0.13 * i, 0.4 + 0.9 * row,
                          **({"duration_minutes": 2880} if kind == "time" else {}))
    ui.wait_settled(fac)
    expect(fac.locator(".sticky")).to_have_count(len(KINDS) * len(TEXTS))
    boxes = fac.evaluate("""() => [...document.querySelectorAll('.sticky')].map((s) => {
        const body = s.querySelector('.sticky-body'), t = s.querySelector('.sticky-text');
        const foot = s.querySelector('.sticky-foot');
        return {kind: [...s.classList].find((c) => c.startsWith('k-')), box: s.offsetHeight, body: body.offsetHeight,
                textBottom: t.offsetTop + t.offsetHeight, footTop: foot.offsetTop, text: t.textContent,
                label: s.getAttribute('aria-label') || '', title: s.title || t.title || ''}; })""")
    for b in boxes:
        assert b["body"] <= b["box"] + 1, b  # the sticky's paper stays its size
        assert b["textBottom"] <= b["footTop"] + 2, b  # the text never runs under the author line
        assert b["text"] in b["label"] + b["title"], b  # the whole text is still there to read
    assert sum(LONG.strip() in b["label"] + b["title"] for b in boxes) == len(KINDS)
    fac.evaluate("() => window.__board.viewport.centreOn(...window.__board.geometry.toWorld(0.4, 3.1))")
    fac.wait_for_timeout(150)
    fac.screenshot(path=str(output_dir / "sticky-sizes-long-text.png"))


def test_dots_sit_on_their_own_sticky_not_on_the_one_above(pages, ui, output_dir):
    """A walkthrough could not tell whose dots they were: they hung above the sticky, over the one
    above it. They straddle their own sticky's top edge, above its text, within the gap. (Squares: a
    pain point's paper is turned 3 degrees, its corner reaches a few px further.)"""
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    ui.add_sticky(fac, "opportunity", "Upper idea", 0.3, 0.3)
    ui.wait_settled(fac)
    # the next one a gap below (where N, paste and Tidy put the next sticky: tidy.js GAP)
    fac.evaluate("""() => { const b = window.__board; const up = [...b.state.stickiesServer.values()][0];
        b.send({type: 'sticky.create', sticky: {id: crypto.randomUUID(), kind: 'opportunity', text: 'Lower idea',
                x: up.x, y: up.y + (136 + 12) / b.geometry.H}}); }""")
    ui.wait_settled(fac)
    ui.set_phase(fac, "vote")
    lower = ui.sticky(fac, "Lower idea")
    for _ in range(3):
        lower.locator(".sticky-text").click()
        ui.wait_settled(fac)
    expect(lower.locator(".dot")).to_have_count(3)
    upper_box = ui.sticky(fac, "Upper idea").locator(".sticky-body").bounding_box()
    text_box = lower.locator(".sticky-text").bounding_box()
    for dot in lower.locator(".dot").all():
        box = dot.bounding_box()
        assert box["y"] > upper_box["y"] + upper_box["height"], (box, upper_box)
        assert box["y"] + box["height"] <= text_box["y"] + 1, (box, text_box)
