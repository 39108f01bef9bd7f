"""The backlog's heatmap in a real browser: a number opens the pain points behind it (a click, Enter,
Space), Escape and Close shut them and give the focus back to the number; on a phone too, and without
JavaScript (each number a link to its list); axe finds nothing. Screenshots of an open cell, desktop and
375 px, in tests/output/."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SetUp, page_errors, signed_in_context

# the module's first backlog loads the embedding model: tens of seconds on a busy machine
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# Payments at Build: three pain points from two workshops (round 1 and round 2), most voted first
PAYMENTS_BUILD = ["Build agents queue for an hour before anything runs",
                  "Nobody owns the shared build scripts",
                  "Flaky integration tests block the merge"]


def a_discovery(server) -> tuple[SetUp, int]:
    """Payments (rounds 1 and 2) and Search (round 1): pain points at Build and Test, an event and an idea
    (neither counted in the heatmap)."""
    from sqlmodel import select

    from workshop.db.models import Discovery
    from workshop.services.importer import import_stickies
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery("Heatmap cells")
    database = server.database()
    try:
        with database.session() as session:
            name = session.exec(select(Discovery.name).where(Discovery.id == discovery_id)).one()
            import_stickies(session, "kind,text,stage,votes\n"
                            f"pain,{PAYMENTS_BUILD[0]},Build,4\n"
                            f"pain,{PAYMENTS_BUILD[2]},Build,0\n"
                            "event,Build started,Build,0\n"
                            "opportunity,Build caches shared by every team,Build,2\n"
                            "pain,Release notes are written by hand,Release,1\n",
                            name, "Payments", held_on=date(2026, 10, 2), round_number=1)
            import_stickies(session, "kind,text,stage\npain,Test data is copied from production by hand,Test\n",
                            name, "Search", held_on=date(2026, 10, 3), round_number=1)
            import_stickies(session, f"kind,text,stage,votes\npain,{PAYMENTS_BUILD[1]},Build,2\n",
                            name, "Payments", held_on=date(2026, 11, 20), round_number=2)
    finally:
        database.dispose()
    return setup, discovery_id


def focused(page) -> str:
    """What has the focus: its aria-label, or its id, or its text."""
    return page.evaluate("() => { const e = document.activeElement;"
                         " return e.getAttribute('aria-label') || e.id || e.textContent.trim(); }")


def test_a_number_opens_its_pain_points_and_escape_gives_the_focus_back(browser, server, output_dir, ui):
    setup, discovery_id = a_discovery(server)
    backlog = f"{server.url}/discoveries/{discovery_id}/backlog"
    context = signed_in_context(browser, server.url, setup.http, 1280, 900, timeout_ms=90_000)
    page = context.new_page()
    errors = page_errors(page)
    page.goto(backlog)
    page.locator("table[data-test=heatmap]").wait_for()

    cell = page.get_by_role("button", name="Payments at Build: 3 pain points, show them")
    assert cell.inner_text() == "3" and cell.get_attribute("aria-expanded") == "false"
    # an empty cell is no button, and Tab never stops on it
    idea = page.locator("table[data-test=heatmap] tbody tr", has_text="Payments").locator("td").nth(0)
    assert idea.inner_text() == "" and idea.locator("a, button, [tabindex]").count() == 0
    assert page.locator("table[data-test=heatmap] a.heat-open").count() == 3  # Payments: Build, Release; Search: Test
    assert page.locator("[data-test=heat-cell]:visible").count() == 0

    cell.click()
    panel = page.locator(f"#{cell.get_attribute('aria-controls')}")
    assert panel.is_visible() and cell.get_attribute("aria-expanded") == "true"
    assert panel.locator("h3").inner_text() == "Payments at Build: 3 pain points"
    assert panel.locator(".heat-text").all_inner_texts() == PAYMENTS_BUILD  # most voted first; no event, no idea
    # two rounds: each pain point says which round it is from before the day it was held (a product
    # owner could not tell "workshop 2026-10-02" from "workshop 2026-11-20" as rounds)
    where = panel.locator(".heat-where").all_inner_texts()
    assert where[0].startswith("Payments · round 1 · 2026-10-02 · 4 votes · in theme ")
    assert where[1].startswith("Payments · round 2 · 2026-11-20 · 2 votes · in theme ")
    assert where[2].startswith("Payments · round 1 · 2026-10-02 · in theme ")  # no votes: none said
    assert page.evaluate("(id) => document.activeElement.id === id", panel.get_attribute("id"))
    page.locator("#where-it-hurts").screenshot(path=str(output_dir / "backlog-heatmap-cell.png"))
    ui.axe(page)

    page.keyboard.press("Escape")
    assert panel.is_hidden() and cell.get_attribute("aria-expanded") == "false"
    assert focused(page) == "Payments at Build: 3 pain points, show them"

    # the keyboard alone: Enter opens, Tab reaches Close, Enter on it shuts; Space opens again
    page.keyboard.press("Enter")
    assert panel.is_visible()
    page.keyboard.press("Tab")
    assert focused(page) == "Close"
    page.keyboard.press("Enter")
    assert panel.is_hidden() and focused(page) == "Payments at Build: 3 pain points, show them"
    page.keyboard.press("Space")
    assert panel.is_visible()
    # another number shows its own list in place of the first
    other = page.get_by_role("button", name="Search at Test: 1 pain point, show them")
    other.click()
    assert panel.is_hidden() and cell.get_attribute("aria-expanded") == "false"
    assert page.locator("[data-test=heat-cell]:visible .heat-text").all_inner_texts() == [
        "Test data is copied from production by hand"]
    assert page.locator("[data-test=heat-cell]:visible .heat-where").all_inner_texts()[0].startswith(
        "Search · round 1 · 2026-10-03")  # a team that has not run round 2 yet: its pain points are round 1's
    other.click()  # the same number again shuts it
    assert page.locator("[data-test=heat-cell]:visible").count() == 0
    # Escape in another part of the page is that part's business
    page.locator("#theme-filter").focus()
    cell.click()
    page.locator("#theme-filter").focus()
    page.keyboard.press("Escape")
    assert panel.is_visible()
    # a pain point's theme is a link to it, which opens its details
    theme = panel.locator(".heat-where a").first
    body = page.locator(theme.get_attribute("href"))
    theme.click()
    # the theme opens on the link's hashchange, an event after the click: wait for it
    expect(body.locator("tr.details")).to_be_visible()
    assert body.locator(".theme-toggle").get_attribute("aria-expanded") == "true"
    context.close()
    assert errors == []


def test_a_number_opens_its_pain_points_on_a_phone(browser, server, output_dir, ui):
    setup, discovery_id = a_discovery(server)
    context = signed_in_context(browser, server.url, setup.http, 375, 812, timeout_ms=90_000)
    page = context.new_page()
    errors = page_errors(page)
    page.goto(f"{server.url}/discoveries/{discovery_id}/backlog")
    cell = page.get_by_role("button", name="Payments at Build: 3 pain points, show them")
    cell.click()
    panel = page.locator(f"#{cell.get_attribute('aria-controls')}")
    assert panel.is_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box  # within the phone's width
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375  # the page does not scroll sideways
    heading = panel.locator("h3").bounding_box()
    assert 0 <= heading["y"] and heading["y"] + heading["height"] <= 812, heading  # in view, not below the fold
    close = panel.get_by_role("button", name="Close").bounding_box()
    assert close["width"] >= 24 and close["height"] >= 24
    page.locator("#where-it-hurts").screenshot(path=str(output_dir / "backlog-heatmap-cell-phone.png"))
    ui.axe(page)
    page.keyboard.press("Escape")
    assert panel.is_hidden() and focused(page) == "Payments at Build: 3 pain points, show them"
    context.close()
    assert errors == []


def test_without_javascript_each_number_links_to_its_pain_points(browser, server):
    setup, discovery_id = a_discovery(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    context.add_cookies([{"name": c.name, "value": c.value, "url": server.url} for c in setup.http.cookies])
    context.set_default_timeout(90_000)
    page = context.new_page()
    page.goto(f"{server.url}/discoveries/{discovery_id}/backlog")
    link = page.get_by_role("link", name="Payments at Build: 3 pain points, show them")
    target = link.get_attribute("href")
    assert re.fullmatch(r"#heat-\d+-\d+", target)
    panel = page.locator(target)
    assert panel.is_hidden()
    link.click()
    assert page.url.endswith(target) and panel.is_visible()
    assert panel.locator(".heat-text").all_inner_texts() == PAYMENTS_BUILD
    panel.get_by_role("link", name="Close").click()  # back to the heatmap: the list goes
    assert page.url.endswith("#where-it-hurts") and panel.is_hidden()
    context.close()
