"""Round two in a real browser: the facilitator starts round 2 of the demo (after the browser asks),
three teams put their pain points on the new boards, and the backlog shows each theme round by round
with what changed. Screenshots for the README (the round comparison)."""
import re

import pytest

pytestmark = pytest.mark.browser

#: Round 2's pain points: two that were there in round 1 (in other words), one new.
ROUND_TWO = {
    "Payments": ["CAB still only meets on Thursdays", "Firewall rules still take 10 days"],
    "Checkout": ["CAB approval still only on Thursdays, price changes wait"],
    "Logistics": ["Label printer driver crashes nightly at the warehouse"],
}


def test_round_two_and_the_round_by_round_comparison(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp, add_sticky, set_phase, wait_ready, wait_settled
    setup = SetUp(server.url)
    setup.admin()
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    ctx.add_cookies([{"name": c.name, "value": c.value, "url": server.url} for c in setup.http.cookies])
    page = ctx.new_page()
    page.set_default_timeout(90_000)  # the first backlog view loads the aggregation stack
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(server.url + "/")
    page.click("[data-test=load-demo]")
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    base = page.url
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("form[data-test=start-round] button")
    page.wait_for_url(re.compile(r"#round2$"))
    assert asked and "Start round 2?" in asked[0] and "stay read-only" in asked[0]
    assert "Round 2 has started: 10 teams got a new workshop" in page.locator(".flash").first.inner_text()
    round_two = page.locator("tbody[data-round='2'] tr[id^=w]")
    round_one = page.locator("tbody[data-round='1'] tr[id^=w]")
    assert round_two.count() == 10 and round_one.count() == 10
    assert round_two.locator("button[data-copy]").count() == 10  # every new join link can be copied
    assert round_one.locator("button[data-copy]").count() == 0 and "closed" in round_one.first.inner_text()
    assert page.locator("form[data-test=start-round] button").inner_text() == "Start round 3"
    page.screenshot(path=str(output_dir / "discovery-rounds.png"), full_page=True)

    # three teams storm their round-2 boards
    for team, pains in ROUND_TWO.items():
        row = page.locator("tbody[data-round='2'] tr", has_text=team).first
        board = row.locator("a:text('Open board')").get_attribute("href")
        page.goto(server.url + board)
        wait_ready(page)
        set_phase(page, "pain")
        for i, text in enumerate(pains):
            add_sticky(page, "pain", text, 0.55 + 0.1 * i, 0.6)
        wait_settled(page)
        page.goto(base)

    page.goto(base + "/backlog")
    page.wait_for_selector("table[data-test=rounds]")
    table = page.locator("table[data-test=rounds]")
    headers = table.locator("thead th").all_inner_texts()
    assert [h.lower() for h in headers] == [h.lower() for h in [
        "Theme", "Round 1 teams", "Round 1 pain points", "Round 2 teams", "Round 2 pain points", "Change"]]
    rows = [r.split("\t") for r in table.locator("tbody tr").all_inner_texts()]
    changes = {r[-1].strip() for r in rows}
    assert changes <= {"gone", "fewer teams", "same", "more teams", "new", "not run yet"}
    assert {"gone", "not run yet"} <= changes  # the 7 teams without a round-2 board yet: not "gone"
    assert sum(int(r[4]) for r in rows) == 4  # every round-2 pain point is in a theme
    assert any(int(r[3]) and int(r[1]) for r in rows)  # a pain of round 1 came back in round 2
    assert any(r[-1].strip() == "new" for r in rows), rows  # and one is new
    section = page.locator("#rounds")
    page.evaluate("() => { document.querySelector('.topbar').style.position = 'static'; }")  # not over the heading
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(output_dir / "backlog-rounds.png"))
    ui.publish_screenshot(output_dir / "backlog-rounds.png", "backlog-rounds.png")
    ctx.close()
    assert errors == []
