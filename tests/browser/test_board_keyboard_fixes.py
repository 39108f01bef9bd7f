"""What a keyboard-only, screen-reader participant found on a walkthrough of the board: the focus stays on
what is highlighted (a duplicate, a paste, a cancelled draft, a link being chosen), refusals say why
(undo on a read-only board, a dot on an event), stickies move stage by stage, the help opens at its top,
and the live region says what changed (dots left, the sticky undone)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ACTIVE_ID = "() => document.activeElement?.dataset?.id || document.activeElement?.id || document.activeElement?.tagName"
STICKY = "(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text === t)"


def active_id(page) -> str:
    return page.evaluate(ACTIVE_ID)


def sticky(page, text: str) -> dict:
    return page.evaluate(STICKY, text)


def facilitators_board(pages, ui, phase: str, *stickies: tuple[str, str, float, float]):
    """The facilitator's board in `phase` with these stickies (kind, text, x, y) on it."""
    fac = pages.facilitator(viewport={"width": 1280, "height": 800})
    ui.set_phase(fac, phase)
    for kind, text, x, y in stickies:
        ui.add_sticky(fac, kind, text, x, y)
    ui.wait_settled(fac)
    return fac


def test_duplicate_and_paste_give_the_keyboard_focus_to_the_new_copy(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Ticket raised", 0.08, 0.3))
    original = sticky(fac, "Ticket raised")["id"]
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("Control+d")
    ui.wait_settled(fac)
    expect(ui.sticky(fac, "Ticket raised")).to_have_count(2)
    fac.wait_for_function(f"() => document.activeElement?.dataset?.id && document.activeElement.dataset.id !== '{original}'")
    copy = active_id(fac)
    assert fac.evaluate("() => window.__board.renderer.selection") == [copy]
    assert fac.locator(".sticky[tabindex='0']").get_attribute("data-id") == copy
    # Delete acts on what is highlighted: the copy goes, the original stays
    fac.keyboard.press("Delete")
    ui.wait_settled(fac)
    expect(ui.sticky(fac, "Ticket raised")).to_have_count(1)
    assert sticky(fac, "Ticket raised")["id"] == original
    # a paste too
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("Control+c")
    fac.keyboard.press("Control+v")
    ui.wait_settled(fac)
    expect(ui.sticky(fac, "Ticket raised")).to_have_count(2)
    fac.wait_for_function(f"() => document.activeElement?.dataset?.id && document.activeElement.dataset.id !== '{original}'")
    assert fac.evaluate("() => window.__board.renderer.selection") == [active_id(fac)]


def test_link_to_is_chosen_with_arrows_and_enter_and_n_attaches_a_note(pages, ui, output_dir):
    fac = facilitators_board(pages, ui, "deepdive", ("event", "Ticket raised", 0.08, 0.2),
                             ("pain", "Waits a week", 0.08, 0.45))
    event, pain = sticky(fac, "Ticket raised")["id"], sticky(fac, "Waits a week")["id"]
    ui.sticky(fac, "Waits a week").focus()
    link = fac.locator(".sel-link")
    expect(link).to_be_visible()
    link.focus()
    fac.keyboard.press("Enter")
    fac.wait_for_function(f"() => document.activeElement?.dataset?.id === '{pain}'")  # the source keeps it
    expect(fac.locator("#live")).to_contain_text("arrows")
    # Esc cancels, the focus stays on the source
    fac.keyboard.press("ArrowUp")
    assert active_id(fac) == event
    fac.keyboard.press("Escape")
    assert active_id(fac) == pain
    expect(fac.locator(".sticky-layer.link-mode")).to_have_count(0)
    # again: arrows choose, Enter links (no editor), the focus goes back to the source
    link.focus()
    fac.keyboard.press("Enter")
    fac.keyboard.press("ArrowUp")
    assert active_id(fac) == event
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    expect(fac.locator(".editor")).to_have_count(0)
    assert sticky(fac, "Waits a week")["link_to"] == event
    assert active_id(fac) == pain
    expect(fac.locator("#live")).to_contain_text("Linked")
    # N with the note kind on a focused sticky: a note below it, attached to it
    fac.click(".palette-item[data-kind='note']")
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("n")
    expect(fac.locator(".sticky.draft .editor-text")).to_have_attribute("aria-label", re.compile("attached to"))
    fac.keyboard.type("Who approves it?")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    note = sticky(fac, "Who approves it?")
    assert note["link_to"] == event
    assert note["y"] > sticky(fac, "Ticket raised")["y"]
    fac.screenshot(path=str(output_dir / "board-keyboard-link-note.png"))
    # not on a note: a note attaches to a sticky, not to another note
    ui.sticky(fac, "Who approves it?").focus()
    fac.keyboard.press("n")
    fac.keyboard.type("A note of its own")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    assert sticky(fac, "A note of its own")["link_to"] is None


def test_an_empty_new_sticky_gives_the_focus_back_and_says_it_was_not_added(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Ticket raised", 0.08, 0.3),
                             ("event", "Access granted", 0.3, 0.3))
    granted = sticky(fac, "Access granted")["id"]
    ui.sticky(fac, "Access granted").focus()
    fac.keyboard.press("Escape")  # clears the selection
    fac.keyboard.press("n")
    expect(fac.locator(".sticky.draft .editor-text")).to_be_focused()
    fac.keyboard.type("   ")
    fac.keyboard.press("Enter")
    expect(fac.locator(".sticky.draft")).to_have_count(0)
    fac.wait_for_function(f"() => document.activeElement?.dataset?.id === '{granted}'")
    expect(fac.locator("#live")).to_contain_text("not added")
    assert fac.evaluate("() => window.__board.state.stickiesServer.size") == 2


def test_undo_on_a_read_only_board_is_refused_before_touching_the_stacks(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Ticket raised", 0.08, 0.3))
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("n")
    fac.keyboard.type("Access requested")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    ui.set_phase(fac, "wrapup")
    fac.keyboard.press("Control+z")
    expect(fac.locator("#live")).to_contain_text("read-only")
    expect(fac.locator(".toast").last).to_contain_text("read-only")
    fac.wait_for_timeout(300)
    assert "Undone" not in fac.locator("#live").inner_text()
    ui.wait_settled(fac)
    assert sticky(fac, "Access requested")
    fac.keyboard.press("Control+Shift+z")
    expect(fac.locator("#live")).to_contain_text("read-only")
    # the step is still there once the board takes changes again
    ui.set_phase(fac, "map")
    fac.keyboard.press("Control+z")
    expect(fac.locator("#live")).to_contain_text("Undone: add")
    ui.wait_settled(fac)
    assert sticky(fac, "Access requested") is None


def test_a_dot_on_a_sticky_that_takes_none_says_why(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Ticket raised", 0.08, 0.3),
                             ("pain", "Waits a week", 0.3, 0.3))
    ui.set_phase(fac, "vote")
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("v")
    expect(fac.locator("#live")).to_have_text("Dots go on pain points and opportunities.")
    expect(fac.locator(".toast").last).to_have_text(re.compile("Dots go on pain points and opportunities"))
    # V says how many are left
    ui.sticky(fac, "Waits a week").focus()
    fac.keyboard.press("v")
    expect(fac.locator("#live")).to_have_text("Dot placed, 4 of 5 left")
    fac.keyboard.press("Shift+V")
    expect(fac.locator("#live")).to_have_text("Dot taken back, 5 of 5 left")
    # the palette says the keys too
    expect(fac.locator(".palette-help")).to_contain_text("Shift+V")


def test_shift_alt_left_and_right_move_a_sticky_stage_by_stage(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Ticket raised", 0.05, 0.3),
                             ("event", "In the way", 0.05 + 1 / 6, 0.3))  # the same place, one stage on
    stage = "(t) => window.__board.geometry.stageAt([...window.__board.state.stickiesServer.values()].find(s => s.text === t).x)"
    ui.sticky(fac, "Ticket raised").focus()
    fac.keyboard.press("Shift+Alt+ArrowRight")
    ui.wait_settled(fac)
    assert fac.evaluate(stage, "Ticket raised") == 1
    expect(fac.locator("#live")).to_have_text("Moved to stage Plan")
    a = ui.sticky(fac, "Ticket raised").locator(".sticky-body").bounding_box()
    b = ui.sticky(fac, "In the way").locator(".sticky-body").bounding_box()
    apart = a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] \
        or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
    assert apart, (a, b)
    expect(ui.sticky(fac, "Ticket raised")).to_be_focused()
    fac.keyboard.press("Shift+Alt+ArrowRight")
    ui.wait_settled(fac)
    assert fac.evaluate(stage, "Ticket raised") == 2
    fac.keyboard.press("Shift+Alt+ArrowLeft")
    fac.keyboard.press("Shift+Alt+ArrowLeft")
    ui.wait_settled(fac)
    assert fac.evaluate(stage, "Ticket raised") == 0
    fac.keyboard.press("Shift+Alt+ArrowLeft")
    expect(fac.locator("#live")).to_have_text("Already in the first stage.")
    # up and down still take a bigger vertical step
    y = sticky(fac, "Ticket raised")["y"]
    fac.keyboard.press("Shift+Alt+ArrowDown")
    ui.wait_settled(fac)
    assert sticky(fac, "Ticket raised")["y"] == pytest.approx(y + 0.12, abs=1e-3)
    fac.keyboard.press("?")
    expect(fac.locator("#help-dialog")).to_contain_text("previous / next stage")


def test_the_help_opens_at_its_top(pages, ui, output_dir):
    fac = pages.facilitator(viewport={"width": 1024, "height": 560})
    fac.locator("#viewport").focus()
    fac.keyboard.press("?")
    dialog = fac.locator("#help-dialog")
    expect(dialog).to_be_visible()
    expect(fac.locator("#help-title")).to_be_focused()
    assert dialog.evaluate("d => d.scrollTop") == 0
    assert dialog.evaluate("d => d.scrollHeight > d.clientHeight")  # it does scroll: the test means something
    fac.screenshot(path=str(output_dir / "board-help-top.png"))
    fac.keyboard.press("Tab")
    for _ in range(5):
        if fac.evaluate("() => document.activeElement?.textContent") == "Close":
            break
        fac.keyboard.press("Tab")
    assert fac.evaluate("() => document.activeElement?.textContent") == "Close"
    fac.keyboard.press("Enter")
    expect(dialog).to_be_hidden()


def test_undo_and_redo_name_the_sticky(pages, ui):
    fac = facilitators_board(pages, ui, "map", ("event", "Waiting for firewall", 0.08, 0.3))
    ui.sticky(fac, "Waiting for firewall").focus()
    fac.keyboard.press("Alt+ArrowDown")
    ui.wait_settled(fac)
    fac.keyboard.press("Control+z")
    expect(fac.locator("#live")).to_have_text("Undone: move of “Waiting for firewall”")
    ui.wait_settled(fac)
    fac.keyboard.press("Control+y")
    expect(fac.locator("#live")).to_have_text("Redone: move of “Waiting for firewall”")


def test_arrows_read_a_column_top_first_even_when_hands_placed_it_a_few_pixels_apart(pages, ui):
    """A walkthrough heard a lane's lower stickies before the event at the top of the stage: the event
    stood a few pixels further right. Stickies stacked under one another are one column, read top first."""
    px = 1 / 2280  # one world pixel of x on a 6-stage timeline (timeline.js: W)
    fac = facilitators_board(pages, ui, "deepdive",
                             ("event", "Ticket raised", 0.04 + 5 * px, 0.2),
                             ("pain", "Waiting for the ticket", 0.04, 0.55),
                             ("event", "Access requested", 0.04 + 160 * px, 0.2))
    ui.sticky(fac, "Ticket raised").focus()
    heard = [sticky(fac, "Ticket raised")["id"]]
    for _ in range(2):
        fac.keyboard.press("ArrowRight")  # the next in timeline order
        fac.wait_for_function(f"() => document.activeElement?.dataset?.id !== '{heard[-1]}'")
        heard.append(active_id(fac))
    texts = [fac.evaluate("(id) => window.__board.state.stickiesServer.get(id).text", i) for i in heard]
    assert texts == ["Ticket raised", "Waiting for the ticket", "Access requested"]
