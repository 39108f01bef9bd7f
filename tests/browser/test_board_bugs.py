"""The bugs a walkthrough found (issue 14): a draft lost on a phase change, the dot bar covering the
next sticky, a "Time's up" that never went away, a flash of the first phase, a double-click editing
the wrong thing, a cramped phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_draft(page, ui, kind, x, y, text):
    page.click(f".palette-item[data-kind='{kind}']")
    sx, sy = ui.board_point(page, x, y)
    page.mouse.dblclick(sx, sy)
    page.wait_for_selector(".sticky.draft .editor-text")
    page.keyboard.type(text)


def test_a_half_typed_draft_survives_a_phase_change_and_the_facilitator_sees_who_is_typing(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ben = pages.guest("Ben")
    open_draft(ana, ui, "event", 0.2, 0.3, "Security review bo")
    expect(fac.locator("[data-role='typing']")).to_have_text("1 person is typing")
    open_draft(ben, ui, "event", 0.4, 0.3, "Ben's half")
    expect(fac.locator("[data-role='typing']")).to_have_text("2 people are typing")
    ben.keyboard.press("Escape")
    expect(fac.locator("[data-role='typing']")).to_have_text("1 person is typing")
    # the pain phase takes no events: the draft stays, with its text and a note saying why
    ui.set_phase(fac, "pain")
    ana.wait_for_function("() => window.__board.state.workshopServer.phase === 'pain'")
    expect(ana.locator(".sticky.draft .editor-text")).to_have_value("Security review bo")
    note = ana.locator(".sticky.draft .editor-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("does not take event stickies")
    ana.locator(".sticky.draft .editor-text").press("End")
    ana.keyboard.type("oked")
    ana.keyboard.press("Enter")  # refused politely: still kept
    expect(ana.locator(".sticky.draft .editor-text")).to_have_value("Security review booked")
    ana.click(".editor-note-btn")  # "Save as pain point"
    ui.wait_settled(ana)
    saved = ana.evaluate("() => [...window.__board.state.stickiesServer.values()].map(s => [s.kind, s.text])")
    assert saved == [["pain", "Security review booked"]]
    expect(fac.locator("[data-role='typing']")).to_be_hidden()
    # a draft whose kind the next phase still takes is saved when the phase changes
    open_draft(ana, ui, "pain", 0.45, 0.55, "Nobody owns the firewall")
    expect(fac.locator("[data-role='typing']")).to_have_text("1 person is typing")
    ui.set_phase(fac, "deepdive")
    expect(ui.sticky(fac, "Nobody owns the firewall")).to_be_visible()
    expect(ana.locator(".sticky.draft")).to_have_count(0)
    expect(ana.locator(".toast").last).to_contain_text("your sticky was saved")


def test_the_dot_bar_never_covers_a_votable_sticky_and_dots_never_cover_text(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    # two pain points one above the other, close together, as on a real wall
    ui.add_sticky(fac, "pain", "Upper pain point", 0.3, 0.30)
    ui.add_sticky(fac, "pain", "Lower pain point", 0.3, 0.47)
    ui.wait_settled(fac)
    ui.set_phase(fac, "vote")
    ana = pages.guest("Ana")
    lower, upper = ui.sticky(ana, "Lower pain point"), ui.sticky(ana, "Upper pain point")
    for _ in range(2):
        lower.locator(".sticky-text").click()
    ui.wait_settled(ana)
    expect(ana.locator("#selection-bar")).to_be_hidden()
    upper.locator(".sticky-text").click()  # the click lands on the upper sticky, not on a floating bar
    ui.wait_settled(ana)
    # her own dots, as she sees them (the vote is blind: the server sends no totals until it ends)
    votes = ana.evaluate("() => { const st = window.__board.state;"
                         " return Object.fromEntries([...st.stickyIds()].map(id => [st.sticky(id).text, st.sticky(id).votes])); }")
    assert votes == {"Upper pain point": 1, "Lower pain point": 2}
    for sticky in (lower, upper):
        text = sticky.locator(".sticky-text").bounding_box()
        for dot in sticky.locator(".dot").all():
            d = dot.bounding_box()
            assert d["y"] + d["height"] <= text["y"] or d["y"] >= text["y"] + text["height"] \
                or d["x"] + d["width"] <= text["x"] or d["x"] >= text["x"] + text["width"], (d, text)
    ana.keyboard.press("Shift+V")  # and a dot is taken back from the keyboard
    ui.wait_settled(ana)
    assert ana.evaluate("() => window.__board.state.votesUsed()") == 2


def test_times_up_can_be_dismissed_and_a_running_timer_gets_one_more_minute(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    fac.fill("input[aria-label='Timer minutes']", "1")
    fac.click("[data-action='timer-start']")
    ui.wait_settled(fac)
    fac.click("[data-action='timer-plus']")
    ui.wait_settled(fac)
    left = fac.evaluate("() => (Date.parse(window.__board.state.workshopServer.timer_ends_at) - window.__board.state.now()) / 1000")
    assert 110 < left <= 120.5  # the page's clock is the server's give or take its measured offset (ms)
    # a timer that runs out: "Time's up" can be put away by anyone, cleared for everyone by the facilitator
    fac.evaluate("() => window.__board.send({type: 'timer.start', seconds: 1})")
    expect(ana.locator("#timer.done .timer-value")).to_have_text("Time’s up", timeout=5000)
    expect(fac.locator("[data-action='timer-stop']")).to_have_text("Clear")
    ana.click("#timer .timer-dismiss")
    expect(ana.locator("#timer")).to_be_hidden()
    expect(fac.locator("#timer")).to_be_visible()
    fac.click("[data-action='timer-stop']")
    expect(fac.locator("#timer")).to_be_hidden()
    # and it does not follow the room into the next phase either
    fac.evaluate("() => window.__board.send({type: 'timer.start', seconds: 1})")
    expect(ana.locator("#timer.done")).to_be_visible(timeout=5000)
    ui.set_phase(fac, "pain")
    expect(ana.locator("#timer")).to_be_hidden()
    expect(fac.locator("#timer")).to_be_hidden()


def test_the_board_never_shows_the_first_phase_before_the_real_one(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "vote")
    ctx = pages._context()
    page = ctx.new_page()
    # every text the phase label and step ever show, from the first paint on
    page.add_init_script("""window.__labels = [];
        new MutationObserver(() => { const l = document.getElementById('phase-label'), s = document.getElementById('phase-step');
          if (l && l.textContent) window.__labels.push(s.textContent + ' ' + l.textContent); })
          .observe(document, {childList: true, subtree: true, characterData: true});""")
    page.goto(pages.workshop.join_url)
    page.fill("input[name=name]", "Late Lou")
    page.click("button[type=submit]")
    ui.wait_ready(page)
    labels = set(page.evaluate("() => window.__labels"))
    assert labels == {"Step 6 of 7 Vote"}, labels


def test_a_double_click_on_ones_sticky_edits_it_whatever_kind_the_palette_has(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ui.add_sticky_by_hand(fac, "event", "First event", 0.2, 0.3)
    ui.add_sticky_by_hand(fac, "event", "Second event", 0.3, 0.5)
    ui.sticky(fac, "Second event").click()
    fac.click(".palette-item[data-kind='pain']")  # another kind picked (the facilitator may add any)
    ui.sticky(fac, "First event").dblclick()
    expect(fac.locator(".sticky.draft")).to_have_count(0)
    expect(fac.locator(".editor-text")).to_have_value("First event")
    fac.keyboard.press("Escape")


def test_a_phone_keeps_the_header_small_avatars_whole_and_says_double_tap_to_add(browser, pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                              device_scale_factor=2)
    pages.contexts.append(ctx)
    phone = ctx.new_page()
    phone.goto(pages.workshop.join_url)
    phone.fill("input[name=name]", "Priya")
    phone.click("button[type=submit]")
    ui.wait_ready(phone)
    header = phone.locator(".bh").bounding_box()["height"] + phone.locator(".phase-banner").bounding_box()["height"]
    assert header <= 0.15 * 844, header
    for avatar in phone.locator(".avatars .avatar").all():
        fits = avatar.evaluate("a => { const i = a.querySelector('.avatar-initials'); const r = a.getBoundingClientRect();"
                               " const t = i.getBoundingClientRect(); return t.left >= r.left - 0.5 && t.right <= r.right + 0.5"
                               " && i.scrollWidth <= a.clientWidth; }")
        assert fits
    ui.set_phase(fac, "setup")  # Set-up takes no stickies: no hint saying to add one (a second walkthrough)
    expect(phone.locator("#touch-hint")).to_be_hidden()
    ui.set_phase(fac, "map")
    hint = phone.locator("#touch-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Double-tap")
    box = phone.locator("#viewport").bounding_box()
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5
    phone.touchscreen.tap(x, y)
    phone.wait_for_timeout(120)
    phone.touchscreen.tap(x, y)
    phone.wait_for_selector(".sticky.draft .editor-text")
    phone.keyboard.type("Laptop ordered")
    phone.keyboard.press("Enter")
    ui.wait_settled(phone)
    expect(hint).to_be_hidden()  # one sticky of mine on the board: the hint has done its job
    phone.screenshot(path=str(output_dir / "board-phone.png"))


def test_the_same_message_again_does_not_stack_a_second_toast(pages, ui):
    """A walkthrough clicked a refused "+ Dot" four times and got four identical toasts over the
    board: a repeat keeps the one shown longer and counts it."""
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ui.wait_ready(ana)
    ana.locator("#viewport").focus()  # the board has the keyboard focus
    for _ in range(3):
        ana.keyboard.press("Control+y")  # nothing to redo: the same message each time
    expect(ana.locator(".toast")).to_have_count(1)
    expect(ana.locator(".toast")).to_have_text("Nothing to redo. (×3)")
