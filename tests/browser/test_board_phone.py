"""The board on a phone held upright (390x844, touch) as a facilitator found it in a workshop, and
messages that must go when what they say stops being true. Screenshots in tests/output/phone-*.png
and tests/output/messages-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
LONG_PAIN = "Waiting 3 weeks for a cloud account because nobody knows who approves the budget"

INSIDE = """(el, box) => { const r = el.getBoundingClientRect();
  return r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1; }"""


def overlap(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] - 0.5 and b["x"] < a["x"] + a["width"] - 0.5 \
        and a["y"] < b["y"] + b["height"] - 0.5 and b["y"] < a["y"] + a["height"] - 0.5


def fill_board(fac, ui) -> dict[str, str]:
    """Stickies in every stage, some at the timeline's corners, a long pain point."""
    ui.set_phase(fac, "map")
    ids = {
        "long": ui.add_sticky(fac, "pain", LONG_PAIN, 0.08, 0.45),
        "first": ui.add_sticky(fac, "event", "Idea written down", 0.02, 0.05),
        "last": ui.add_sticky(fac, "event", "Live for users", 0.98, 0.95),
        "opp": ui.add_sticky(fac, "opportunity", "Self-service accounts", 0.5, 0.6),
    }
    for i, text in enumerate(["Plan agreed", "Build green", "Tests pass", "Released"]):
        ids[text] = ui.add_sticky(fac, "event", text, (i + 1.5) / 6, 0.3)
    ui.wait_settled(fac)
    return ids


def test_a_phone_in_the_vote_phase_folds_the_palette_fits_the_whole_timeline_and_lists_stickies_as_cards(
        pages, ui, output_dir):
    fac = pages.facilitator()
    fill_board(fac, ui)
    ui.set_phase(fac, "vote")
    bob = pages.guest("Bob Ops", **PHONE)
    bob.wait_for_function("() => document.body.dataset.phase === 'vote'")
    bob.wait_for_timeout(300)

    # nothing to add in this phase: the palette is a small control, not a fifth of the screen
    palette = bob.locator("#palette")
    toggle = bob.locator("#palette .palette-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    box = palette.bounding_box()
    assert box["width"] <= 64 and box["height"] <= 64, box
    bob.screenshot(path=str(output_dir / "phone-vote-palette-folded.png"))
    toggle.click()  # the legend is one tap away, and folds again
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(bob.locator(".palette-item[data-kind='pain'] .palette-name")).to_be_visible()
    bob.screenshot(path=str(output_dir / "phone-vote-palette-open.png"))
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(bob.locator(".palette-item[data-kind='pain']")).to_be_hidden()

    # Fit shows every stage and every sticky, beside the folded palette
    bob.click("[data-zoom='fit']")
    bob.wait_for_timeout(400)
    view = bob.locator("#viewport").evaluate("(v) => { const r = v.getBoundingClientRect();"
                                             " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }")
    for what in (".tl-stage", ".tl-stage-label", ".tl-end", "#sticky-layer .sticky-body"):
        nodes = bob.locator(what)
        assert nodes.count() >= 2, what
        for i in range(nodes.count()):
            node = nodes.nth(i)
            assert node.evaluate(INSIDE, view), (what, i, node.bounding_box(), view)
            assert not overlap(node.bounding_box(), palette.bounding_box()), (what, i)
    bob.screenshot(path=str(output_dir / "phone-vote-fit.png"))

    # the list view: each sticky a block with its text across the width, headers that do not overlap
    bob.click("#list-open")
    listview = bob.locator("#listview")
    expect(listview).to_be_visible()
    row = listview.locator("tr", has_text=LONG_PAIN)
    table = row.locator("xpath=ancestor::table[1]").bounding_box()
    text = row.locator(".lv-text").bounding_box()
    assert text["width"] >= 0.8 * table["width"], (text, table)
    assert text["height"] < 80, text  # two or three lines, not a letter a line
    for other in ("td.lv-kind", "td.lv-by", "td.lv-dots", "td.lv-cell-actions"):
        assert not overlap(text, row.locator(other).bounding_box()), other
    for t in listview.locator("table").all():
        # as shown: clipped by the header row's box (kept for screen readers only on a phone)
        shown = t.locator("th").evaluate_all("""(hs) => hs.map((h) => {
            const a = h.getBoundingClientRect(), c = h.closest('thead').getBoundingClientRect();
            const x = Math.max(a.left, c.left), y = Math.max(a.top, c.top);
            return {x, y, width: Math.min(a.right, c.right) - x, height: Math.min(a.bottom, c.bottom) - y};
        }).filter((b) => b.width > 2 && b.height > 2)""")
        for i, a in enumerate(shown):
            for b in shown[i + 1:]:
                assert not overlap(a, b), (a, b)
    assert listview.evaluate("(l) => l.scrollWidth <= l.clientWidth + 1")
    # a dot from the list, as on the board
    row.locator("button", has_text="+ Dot").click()
    expect(row.locator(".lv-dots")).to_have_text("1 dot yours")  # votes hidden until the vote ends (the default)
    bob.screenshot(path=str(output_dir / "phone-list-view.png"))
    listview.evaluate("(l) => l.scrollTo(0, l.scrollHeight)")
    bob.screenshot(path=str(output_dir / "phone-list-view-end.png"))
    # axe-core runs on the page as left (the list open) when the test ends (conftest.py)


def test_a_phone_keeps_the_header_and_the_follow_banner_to_one_line_and_the_summary_clear(pages, ui, output_dir):
    fac = pages.facilitator()
    ids = fill_board(fac, ui)
    ui.set_phase(fac, "pain")
    fac.click("[data-action='timer-start']")
    fac.click("[data-action='private']")
    bob = pages.guest("Bob Ops", **PHONE)
    note = bob.locator("#private-note")
    expect(note).to_be_visible()
    expect(bob.locator("#timer")).to_be_visible()
    line = note.evaluate("(n) => parseFloat(getComputedStyle(n).lineHeight) || 16")
    assert note.bounding_box()["height"] <= line * 1.5, note.bounding_box()  # one line, cut with an ellipsis
    assert "until the facilitator reveals them" in (note.get_attribute("title") or "")  # the whole sentence on hold/hover
    banner = bob.locator(".phase-banner").bounding_box()
    assert banner["height"] <= 76, banner
    bob.screenshot(path=str(output_dir / "phone-private-writing.png"))

    # Bob had a sticky selected when the workshop moved to its wrap-up and the facilitator brought him along
    bob.evaluate("(id) => window.__board.interactions.select(id)", ids["Plan agreed"])
    fac.click("[data-action='timer-stop']")
    ui.set_phase(fac, "wrapup")
    fac.click("[data-action='summon']")
    follow = bob.locator("#follow-banner")
    expect(follow).to_be_visible()
    bob.wait_for_timeout(300)
    box = follow.bounding_box()
    assert box["height"] <= 44 and box["width"] <= 390, box
    assert "Fran Facilitator" in follow.locator(".follow-text").get_attribute("title")
    summary = bob.locator("#summary")
    expect(summary).to_be_visible()
    assert not overlap(box, summary.bounding_box()), (box, summary.bounding_box())
    readonly = bob.locator("#readonly")
    assert readonly.bounding_box()["height"] <= 1.5 * readonly.evaluate("(n) => parseFloat(getComputedStyle(n).lineHeight)")
    # nothing of the board's floating controls lies on top of the summary
    s = summary.bounding_box()
    for x in range(int(s["x"]) + 10, int(s["x"] + s["width"]) - 10, 40):
        for y in range(int(s["y"]) + 10, int(s["y"] + s["height"]) - 10, 40):
            assert bob.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('#summary')", [x, y]), (x, y)
    bob.screenshot(path=str(output_dir / "phone-wrapup-following.png"))


def test_the_link_hint_and_the_lock_notice_go_when_they_stop_being_true(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    pain = ui.add_sticky(fac, "pain", "Nobody knows who approves", 0.2, 0.4)
    event = ui.add_sticky(fac, "event", "Cloud account approved", 0.4, 0.4)
    ui.wait_settled(fac)
    ana = pages.guest("Ana Dev")

    # "Link to…": the hint stays while a target is being chosen (however long it takes) and goes with the link
    fac.keyboard.press("1")
    ui.sticky(fac, "Nobody knows who approves").click()
    fac.click(".sel-link")
    hint = fac.locator(".toast:not(.leaving)", has_text="link to")
    expect(hint).to_be_visible()
    fac.wait_for_timeout(3500)
    expect(hint).to_be_visible()
    ui.sticky(fac, "Cloud account approved").click()
    expect(hint).to_have_count(0, timeout=1000)
    fac.screenshot(path=str(output_dir / "messages-linked.png"))
    assert fac.evaluate("(id) => window.__board.state.sticky(id).link_to", pain) == event
    # Esc ends it too
    ui.sticky(fac, "Nobody knows who approves").click()
    fac.click(".sel-link")
    expect(hint).to_be_visible()
    fac.keyboard.press("Escape")
    expect(hint).to_have_count(0, timeout=1000)
    # panning the board looks for the target (the link waits); a click on the empty board cancels, and says so
    ui.sticky(fac, "Nobody knows who approves").click()
    fac.click(".sel-link")
    expect(hint).to_be_visible()
    box = fac.locator("#viewport").bounding_box()
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.85
    fac.mouse.move(x, y)
    fac.mouse.down()
    fac.mouse.move(x - 60, y - 20, steps=5)
    fac.mouse.up()
    expect(hint).to_be_visible()
    fac.mouse.click(x, y)
    expect(hint).to_have_count(0, timeout=1000)
    expect(fac.locator(".toast").last).to_contain_text("Link cancelled")

    # the lock: Ana is told while it holds, and the notice goes when the facilitator unlocks
    fac.click("[data-action='lock']")
    ana.wait_for_function("() => window.__board.state.workshop()?.locked")
    ana.mouse.dblclick(700, 700)
    notice = ana.locator(".toast:not(.leaving)", has_text="locked")
    expect(notice).to_be_visible()
    fac.click("[data-action='lock']")
    expect(notice).to_have_count(0, timeout=1000)
    expect(ana.locator("#readonly")).to_be_hidden()
    ui.set_phase(fac, "wrapup")
    expect(ana.locator("#readonly")).to_have_text("Wrap-up: the board is read-only now.")
    expect(ana.locator(".toast", has_text="locked")).to_have_count(0)
    ana.screenshot(path=str(output_dir / "messages-wrapup-after-unlock.png"))


def test_the_palette_says_which_kinds_only_the_facilitator_may_add_now_and_its_hints_are_whole(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "pain")  # pain points in this phase; every other kind only for the facilitator
    fac.wait_for_timeout(200)
    for size in ({"width": 1440, "height": 900}, {"width": 1280, "height": 720}):
        fac.set_viewport_size(size)
        fac.wait_for_timeout(200)
        assert fac.locator(".palette-item.in-phase").count() >= 1
        for item in fac.locator(".palette-item.off-phase").all():
            expect(item.locator(".palette-tag")).to_have_text("Facilitator only now")
            assert "only facilitators" in item.get_attribute("title")
        expect(fac.locator(".palette-item.in-phase .palette-tag:visible")).to_have_count(0)
        assert "Any phase" not in fac.locator("#palette").inner_text()
        # the hints are whole (no ellipsis), the palette inside the board
        for hint in fac.locator(".palette-hint:visible").all():
            assert hint.evaluate("(h) => h.scrollWidth <= h.clientWidth + 1 && h.scrollHeight <= h.clientHeight + 1"), \
                hint.inner_text()
        palette, area = fac.locator("#palette").bounding_box(), fac.locator(".board-area").bounding_box()
        assert palette["y"] + palette["height"] <= area["y"] + area["height"] - 60, (palette, area)
        fac.screenshot(path=str(output_dir / f"messages-palette-{size['width']}.png"))
    # the facilitator folds the palette too, and the board's Fit uses the room
    fac.click("#palette .palette-toggle")
    expect(fac.locator("#palette .palette-toggle")).to_have_attribute("aria-expanded", "false")
    expect(fac.locator(".palette-item[data-kind='pain']")).to_be_hidden()
    fac.screenshot(path=str(output_dir / "messages-palette-folded.png"))


def test_editing_after_fit_on_a_phone_zooms_in_so_the_text_can_be_read(pages, ui, output_dir):
    """A second walkthrough: after Fit (11 %) a double-tap opened the editor at 11 %, unreadable."""
    fac = pages.facilitator()
    fill_board(fac, ui)
    bob = pages.guest("Bob", **PHONE)
    bob.click("[data-zoom='fit']")
    assert bob.evaluate("() => window.__board.viewport.scale") < 0.3
    box = bob.locator("#viewport").bounding_box()
    x, y = box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.5
    bob.touchscreen.tap(x, y)
    bob.wait_for_timeout(120)
    bob.touchscreen.tap(x, y)
    editor = bob.locator(".sticky.draft .editor-text")
    expect(editor).to_be_focused()
    assert bob.evaluate("() => window.__board.viewport.scale") >= 0.6
    assert editor.evaluate(INSIDE, bob.locator("#viewport").evaluate("(v) => v.getBoundingClientRect().toJSON()"))
    bob.screenshot(path=str(output_dir / "phone-edit-after-fit.png"))


def test_a_tap_on_the_cut_phase_instruction_shows_all_of_it(pages, ui, output_dir):
    """A walkthrough read "Put everythin…" on a phone with no way to read the rest."""
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    fac.click("[data-action='private']")  # the private-writing note: the instruction keeps to one line
    ui.wait_settled(fac)
    bob = pages.guest("Bob Ops", **PHONE)
    instruction = bob.locator("#phase-instruction")
    expect(instruction).to_be_visible()
    cut = "(n) => n.scrollHeight > n.clientHeight + 1"
    assert instruction.evaluate(cut), "the instruction is not cut: nothing to check"
    assert instruction.get_attribute("title") == instruction.inner_text()  # the whole text on hold/hover
    instruction.tap()
    bob.wait_for_function(f"() => !({cut})(document.querySelector('#phase-instruction'))")
    bob.screenshot(path=str(output_dir / "phone-instruction-open.png"))
    instruction.tap()  # and folds again
    bob.wait_for_function(f"() => ({cut})(document.querySelector('#phase-instruction'))")
