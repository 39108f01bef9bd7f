"""Issue 23, items 8-11 in the browser: two people editing one sticky see each other and lose nothing
silently; undo stops at an overwritten edit instead of jumping to an older one; a double-click beside
a sticky puts the new one at the nearest free place; a sticky deleted while it is dragged is named."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FRAN = "Fran Facilitator"


def server_sticky(page, text: str) -> dict | None:
    return page.evaluate("(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text === t) || null", text)


def server_text(page, sticky_id: str) -> str:
    return page.evaluate("(id) => window.__board.state.stickiesServer.get(id)?.text", sticky_id)


def open_editor(page, sticky_id: str) -> None:
    page.evaluate("(id) => window.__board.interactions.openEditor({id})", sticky_id)
    expect(page.locator(".editor-text")).to_be_visible()


def test_two_editors_of_one_sticky_see_each_other_and_the_second_save_asks(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    sid = ui.add_sticky_by_hand(ana, "event", "Ticket raised", 0.3, 0.4)
    fac.wait_for_function("(id) => window.__board.state.stickiesServer.has(id)", arg=sid)
    open_editor(fac, sid)
    open_editor(ana, sid)
    ana.fill(".editor-text", "Ticket raised in Jira")
    ana.keyboard.press("Enter")
    ui.wait_settled(ana)
    # the facilitator's open editor says at once who changed the text, and to what
    note = fac.locator(".editor-note")
    expect(note).to_be_visible(timeout=3000)
    expect(note).to_contain_text("Ana changed this text")
    expect(note).to_contain_text("Ticket raised in Jira")
    fac.fill(".editor-text", "Ticket raised in ServiceNow")
    fac.keyboard.press("Enter")  # the save asks: nothing is written over Ana's text unasked
    fac.wait_for_timeout(300)
    assert server_text(fac, sid) == "Ticket raised in Jira"
    expect(fac.locator(".editor-text")).to_be_visible()
    note.get_by_role("button", name="Keep mine").click()
    ui.wait_settled(fac)
    ana.wait_for_function("(id) => window.__board.state.stickiesServer.get(id).text === 'Ticket raised in ServiceNow'",
                          arg=sid)
    # and Ana is told her text was replaced, with both texts
    expect(ana.locator(".toast", has_text=f"{FRAN} changed the text you wrote")).to_be_visible(timeout=3000)
    expect(ana.locator(".toast", has_text="Ticket raised in ServiceNow")).to_be_visible()

    # taking theirs writes nothing
    open_editor(fac, sid)
    open_editor(ana, sid)
    ana.fill(".editor-text", "Ticket raised by email")
    ana.keyboard.press("Enter")
    expect(fac.locator(".editor-note")).to_contain_text("Ticket raised by email", timeout=3000)
    fac.locator(".editor-note").get_by_role("button", name="Take theirs").click()
    expect(fac.locator(".editor-text")).to_have_count(0)
    fac.wait_for_timeout(300)
    assert server_text(fac, sid) == "Ticket raised by email"


def test_undo_after_being_overwritten_stops_and_says_who_instead_of_undoing_an_older_delete(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ui.add_sticky_by_hand(ana, "event", "Laptop arrives", 0.6, 0.3)
    ui.sticky(ana, "Laptop arrives").click()
    ana.keyboard.press("Delete")
    ui.wait_settled(ana)
    expect(ui.sticky(ana, "Laptop arrives")).to_have_count(0)
    sid = ui.add_sticky_by_hand(ana, "event", "Ticket raised", 0.3, 0.4)
    open_editor(ana, sid)
    ana.fill(".editor-text", "Ticket raised in Jira")
    ana.keyboard.press("Enter")
    ui.wait_settled(ana)
    fac.wait_for_function("(id) => window.__board.state.stickiesServer.get(id)?.text === 'Ticket raised in Jira'", arg=sid)
    fac.evaluate("(id) => window.__board.send({type: 'sticky.update', sticky_id: id, changes: {text: 'Ticket raised (ServiceNow)'}})", sid)
    ana.wait_for_function("(id) => window.__board.state.stickiesServer.get(id).text.includes('ServiceNow')", arg=sid)
    ana.locator("#viewport").click(position={"x": 5, "y": 5})  # the board has the focus, no editor open
    ana.keyboard.press("Control+z")
    expect(ana.locator("#live")).to_contain_text(f"was changed by {FRAN}", timeout=3000)
    ana.wait_for_timeout(500)
    ui.wait_settled(ana)
    assert server_sticky(ana, "Laptop arrives") is None, "undo jumped to an older, unrelated delete"
    assert server_text(ana, sid) == "Ticket raised (ServiceNow)"


def test_a_double_click_beside_a_sticky_puts_the_new_one_at_the_nearest_free_place(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ui.add_sticky_by_hand(fac, "event", "Ticket raised", 0.3, 0.4)
    box = ui.sticky(fac, "Ticket raised").locator(".sticky-body").bounding_box()
    # about 10 px below-right of the sticky, as the walkthrough double-clicked: a sticky centred there
    # covered a quarter of its neighbour
    fac.mouse.dblclick(box["x"] + box["width"] + 10, box["y"] + box["height"] + 10)
    fac.wait_for_selector(".sticky.draft .editor-text")
    fac.keyboard.type("Access granted")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    a = ui.sticky(fac, "Ticket raised").locator(".sticky-body").bounding_box()
    b = ui.sticky(fac, "Access granted").locator(".sticky-body").bounding_box()
    overlap_x = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
    overlap_y = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
    assert overlap_x <= 0.5 or overlap_y <= 0.5, (a, b)
    # and it is near the click, not somewhere far away
    assert abs((b["y"] + b["height"] / 2) - (a["y"] + a["height"] / 2)) < 3 * a["height"], (a, b)


def test_a_sticky_deleted_by_someone_else_while_dragged_names_who_deleted_it(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    sid = ui.add_sticky_by_hand(ana, "event", "Waiting for firewall", 0.3, 0.4)
    fac.wait_for_function("(id) => window.__board.state.stickiesServer.has(id)", arg=sid)
    box = ui.sticky(ana, "Waiting for firewall").locator(".sticky-body").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    ana.mouse.move(x, y)
    ana.mouse.down()
    ana.mouse.move(x + 60, y + 20, steps=5)
    fac.evaluate("(id) => window.__board.send({type: 'sticky.delete', sticky_id: id})", sid)
    expect(ana.locator(".toast", has_text=f"{FRAN} deleted “Waiting for firewall” while you were moving it")
           ).to_be_visible(timeout=3000)
    ana.mouse.move(x + 120, y + 40, steps=5)
    ana.mouse.up()
    ui.wait_settled(ana)
    assert server_sticky(ana, "Waiting for firewall") is None
