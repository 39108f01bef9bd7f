"""Closing a workshop from the discovery page is the board's own `workshop.close`: a board open in
another browser turns read-only at once, without a reload, and turns back when the page reopens it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_open_board_turns_read_only_when_the_discovery_page_closes_it(pages, server, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    expect(ana.locator(".palette-item[data-kind='event']")).to_be_enabled()
    expect(ana.locator("#readonly")).to_be_hidden()

    # the facilitator's discovery page, in the facilitator's browser (the same account)
    page = fac.context.new_page()
    page.goto(f"{server.url}/discoveries/{pages.workshop.discovery_id}")
    row = page.locator(f"#w{pages.workshop.id}")
    row.get_by_role("button", name="Close").click()
    ui.answer_confirm(page)
    expect(page.locator(f"#w{pages.workshop.id} .pill")).to_have_text("closed")

    for board in (ana, fac):
        expect(board.locator("#readonly")).to_have_text("This workshop is closed: the board is read-only.",
                                                        timeout=3000)
        expect(board.locator("body")).to_have_class(re.compile(r"\bread-only\b"))
    expect(ana.locator(".palette-item[data-kind='event']")).to_be_disabled()
    assert ana.evaluate("() => window.__board.state.workshop().phase") == "wrapup"

    page.locator(f"#w{pages.workshop.id}").get_by_role("button", name="Reopen").click()
    expect(page.locator(f"#w{pages.workshop.id} .pill")).to_have_text("open")
    ana.wait_for_function("() => window.__board.state.workshop().status === 'open'", timeout=3000)
    # open again, in the wrap-up it was closed in: the facilitator moves the room on
    ui.set_phase(fac, "map")
    expect(ana.locator("#readonly")).to_be_hidden(timeout=3000)
    expect(ana.locator(".palette-item[data-kind='event']")).to_be_enabled()
