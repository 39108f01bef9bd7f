"""A facilitator fixes a stage name (or the team's, or the discovery's) during a workshop: boards that
are open show the new names at once, in the timeline, the header, each sticky's label and the list
view, without a reload and without losing anything. (A walkthrough found open boards kept the old
names until reloaded.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CSRF

pytestmark = pytest.mark.browser


def _post_form(workshop, path: str, fields: dict):
    page = workshop.http.get(workshop.board_url.rsplit("/workshops/", 1)[0] + path)
    page.raise_for_status()
    token = CSRF.search(page.text).group(1)
    r = workshop.http.post(page.url, data={"csrf_token": token, **fields})
    assert r.status_code == 200, r.text[:300]
    return r


def _edit_discovery(workshop, stages: str, name="Platform discovery"):
    return _post_form(workshop, f"/discoveries/{workshop.discovery_id}/edit", {
        "name": name, "problem": "Teams take months to reach production.",
        "goal": "From idea to production in two weeks", "stages": stages,
        "start_label": "Project starts", "end_label": "Live in production with users"})


def test_open_boards_show_renamed_stages_team_and_discovery_without_a_reload(pages, ui, output_dir, workshop_setup):
    fac = pages.facilitator()
    ana = pages.guest("Ana")
    # no sticky yet: the number of stages may change, and an open board says to reload for it
    _edit_discovery(workshop_setup, "Ask\nBuild\nShip")
    expect(ana.locator(".toast", has_text="changed the timeline to 3 stages: reload the page")).to_have_count(1)
    for page in (ana, fac):
        page.reload()
        page.wait_for_function("() => window.__board && window.__board.state.loaded")
        expect(page.locator(".tl-stage-name")).to_have_text(["Ask", "Build", "Ship"])
    ui.set_phase(fac, "deepdive")
    ui.add_sticky(fac, "pain", "Waiting for a firewall rule", 0.5, 0.4)
    ui.wait_settled(fac)
    ana.evaluate("() => { window.__notReloaded = true; }")

    _edit_discovery(workshop_setup, "Ask for it\nBuild\nShip to users", name="Platform discovery 2027")
    for page in (ana, fac):
        expect(page.locator(".tl-stage-name")).to_have_text(["Ask for it", "Build", "Ship to users"])
        expect(page.locator(".bh-sub")).to_have_text("Platform discovery 2027")
    sticky = ui.sticky(ana, "Waiting for a firewall rule")
    assert "stage Build" in (sticky.get_attribute("aria-label") or "")
    assert ana.evaluate("() => window.__notReloaded") is True  # the same page, nothing lost
    ana.locator("#list-open").click()
    expect(ana.locator("#listview")).to_contain_text("Ship to users")
    ana.locator(".lv-close").click()

    # the team's name too
    _post_form(workshop_setup, f"/workshops/{workshop_setup.id}/edit",
               {"team": "Payments & Billing", "held_on": "2026-11-26"})
    expect(ana.locator(".bh-title h1")).to_have_text("Payments & Billing")
    expect(ana).to_have_title("Payments & Billing · Platform discovery 2027")
    ana.wait_for_timeout(200)
    ana.screenshot(path=str(output_dir / "board-renamed-live.png"))
    assert not pages.errors, pages.errors
