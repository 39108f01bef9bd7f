"""Issue 26, round two and the pages around it, in a real browser: the admin opens the demo from the
home page once another discovery exists (13); the backlog compares lead time on the teams that ran
both rounds and says so beside the figures (1), says on how many teams "gone" is judged (2). Screenshots
at 1440 px and on a 390-px phone; axe-core on each page."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_the_admin_opens_the_demo_and_its_backlog_compares_like_with_like(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    setup.discovery("Our own discovery")  # a discovery exists: the empty page's demo button is gone
    ctx = ui.signed_in_context(browser, server.url, setup.http, width=1440, height=1000)
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # the first backlog view loads the aggregation stack
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # 13: the admin can still open the demo from the page
    page.goto(server.url + "/")
    expect(page.locator("[data-test=load-demo]")).to_have_count(0)
    offer = page.locator("[data-test=open-demo]")
    expect(offer).to_be_visible()
    page.screenshot(path=str(output_dir / "frictions-home-demo-1440.png"))
    ui.axe(page)
    page.set_viewport_size({"width": 390, "height": 844})
    expect(offer).to_be_visible()
    page.screenshot(path=str(output_dir / "frictions-home-demo-390.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})
    offer.click()
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    expect(page.locator("h1")).to_contain_text("Platform discovery 2026")
    base = page.url
    page.goto(server.url + "/")
    expect(page.locator("[data-test=open-demo]")).to_have_count(0)  # it is one of the cards now
    expect(page.locator(".discovery-card", has_text="Platform discovery 2026")).to_be_visible()

    # 1 and 2: the backlog's rounds, judged on the teams that ran both rounds, saying so
    page.goto(base + "/backlog")
    page.wait_for_selector("table[data-test=rounds]")
    lead_note = page.locator("[data-test=lead-basis]")
    expect(lead_note).to_contain_text("Compared on the 3 teams with times in both rounds (Checkout, Logistics and Payments)")
    lead = [r.split("\t") for r in page.locator("table[data-test=lead-time] tbody tr").all_inner_texts()]
    assert [r[1] for r in lead] == ["3", "3"] and [r[-1] for r in lead] == ["10", "3"]
    assert float(lead[0][2]) == pytest.approx(40.2, abs=0.05)  # the same three teams in round 1, not 33.5 over ten
    gone = page.locator("[data-test=rounds-gone]")
    expect(gone).to_contain_text("judged on the 3 of 10 teams that ran both rounds")
    assert int(re.search(r"Gone in round 2: (\d+)", gone.inner_text()).group(1)) < 11  # it said 11 of 26
    expect(page.locator(".pill.change-gone-so-far").first).to_be_visible()
    judged = page.locator("[data-test=judged]").all_inner_texts()
    assert judged and all(re.fullmatch(r"judged on [1-9]\d* of its \d+ teams?", j) for j in judged)
    ui.axe(page)
    page.evaluate("() => { document.querySelector('.topbar').style.position = 'static'; }")  # not over the heading
    section = page.locator("#rounds")
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(output_dir / "frictions-rounds-1440.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    section.scroll_into_view_if_needed()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    section.screenshot(path=str(output_dir / "frictions-rounds-390.png"))
    ui.axe(page)
    assert not errors, errors
    ctx.close()
