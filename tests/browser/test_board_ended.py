"""Issue 23, item 3 in the browser: a board deleted while people are on it says so at once on a clear
page (not a retry loop), for everyone, and stays ended (no reconnect)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_a_deleted_board_tells_everyone_on_it_at_once_and_stops(pages, server, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ui.add_sticky(ana, "event", "Ticket raised", 0.2, 0.3)
    ui.wait_settled(ana)

    http = pages.workshop.http
    path = f"/workshops/{pages.workshop.id}/delete"
    token = CSRF.search(http.get(server.url + path).text).group(1)
    assert http.post(server.url + path, data={"csrf_token": token}).status_code == 200

    for board in (ana, fac):
        fatal = board.locator("#fatal")
        expect(fatal).to_be_visible(timeout=3000)
        expect(fatal.locator("h2")).to_have_text("This board was deleted")
        expect(fatal.locator(".fatal-text")).to_contain_text("deleted")
        expect(fatal.get_by_role("link", name="Go to the home page")).to_be_visible()
    ana.wait_for_timeout(2500)  # a retry loop would reconnect and resync by now
    for board in (ana, fac):
        assert board.evaluate("() => window.__board.socket.connected") is False
        expect(board.locator("#fatal")).to_be_visible()
