"""The product owner's pages in a real browser: the demo in one click, the backlog sorted,
filtered and opened, the heatmap and chart drawn; screenshots for the README."""
import re

import pytest

from tests.browser.conftest import page_errors, signed_in_context

# the demo's first backlog view groups ~200 pain points: minutes on a busy machine, not a hang
pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture
def demo_page(browser, fresh_server):
    """An install nobody has used yet (its home page offers the demo), signed in as its admin."""
    from tests.browser.conftest import SetUp
    server = fresh_server
    setup = SetUp(server.url)
    setup.admin()
    context = signed_in_context(browser, server.url, setup.http, 1440, 1000, timeout_ms=90_000)
    page = context.new_page()
    errors = page_errors(page)
    yield page, server.url
    context.close()
    assert errors == []


def test_demo_in_one_click_then_backlog_sorted_filtered_and_opened(demo_page, output_dir, ui):
    page, base = demo_page
    page.goto(base + "/")
    page.click("[data-test=load-demo]")
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    assert page.locator("table[data-test=workshops] tbody tr").count() >= 8
    ui.axe(page)  # the discovery page
    page.screenshot(path=str(output_dir / "discovery.png"), full_page=True)
    ui.publish_screenshot(output_dir / "discovery.png", "discovery.png")

    page.click("[data-test=backlog-link]")
    page.wait_for_selector("table[data-test=heatmap]")
    assert page.locator("[data-test=top-themes] .bar-row rect").count() == 10
    ui.axe(page)  # the backlog page
    page.screenshot(path=str(output_dir / "backlog.png"))
    ui.publish_screenshot(output_dir / "backlog.png", "backlog.png")

    themes = page.locator("tbody.theme")
    total = themes.count()
    assert total >= 10
    ranks = [int(r) for r in themes.evaluate_all("bodies => bodies.map(b => b.dataset.rank)")]
    assert ranks == sorted(ranks)
    page.click("th[data-sort=votes]")  # most votes first
    votes = [int(v) for v in themes.evaluate_all("bodies => bodies.map(b => b.dataset.votes)")]
    assert votes == sorted(votes, reverse=True)

    page.fill("#theme-filter", "env")
    visible = page.locator("tbody.theme:not([hidden])").count()
    assert 0 < visible < total
    assert page.locator("#theme-count").inner_text() == f"{visible} of {total} themes"
    assert page.locator("#no-theme-match").is_hidden()
    page.fill("#theme-filter", "zebra quokka")  # nothing matches: the page says so
    assert page.locator("tbody.theme:not([hidden])").count() == 0
    assert page.locator("#no-theme-match").is_visible()
    page.fill("#theme-filter", "")
    assert page.locator("#no-theme-match").is_hidden()

    page.click("th[data-sort=rank]")
    first = page.locator("tbody.theme").first
    first.locator("tr.summary").click()
    assert first.locator("tr.details").is_visible()
    assert first.locator(".theme-toggle").get_attribute("aria-expanded") == "true"
    assert first.locator("table.sources tbody tr").count() >= 2
    ui.axe(page)  # a theme opened
    # the keyboard opens and closes a theme through its title's button
    first.locator(".theme-toggle").focus()
    page.keyboard.press("Enter")
    assert first.locator("tr.details").is_hidden()
    page.keyboard.press("Space")
    assert first.locator("tr.details").is_visible()
    first.screenshot(path=str(output_dir / "backlog-theme.png"))
    ui.publish_screenshot(output_dir / "backlog-theme.png", "backlog-theme.png")
    # from the top of the page, two Tabs and Enter reach the themes (a new owner needed 66 Tabs)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.goto(page.url)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.test") == "skip-to-themes"
    assert page.locator("[data-test=skip-to-themes]").is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the next stop is the themes' filter
    assert page.evaluate("() => document.activeElement.id") == "theme-filter"


def test_product_owner_decision_shows_after_reload(demo_page, ui):
    page, base = demo_page
    page.goto(base + "/")
    page.click("[data-test=load-demo]")
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    with page.expect_navigation():  # until the backlog's script listens: a click before it opens nothing
        page.click("[data-test=backlog-link]")
    first = page.locator("tbody.theme").first
    first.locator("tr.summary").click()
    first.locator("form.decide input[name=title]").fill("Self-service environments in minutes")
    first.locator("select[name=value]").select_option("5")
    first.locator("select[name=effort]").select_option("1")
    first.locator("form.decide button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    opened = page.locator("tbody.theme.open")
    assert "Self-service environments in minutes" in opened.locator("td.title").inner_text()
    assert opened.locator(".pill.quick").count() == 1


PERMIT_STAGES = ["Application submitted", "Plan check", "Fire and life safety review", "Corrections",
                 "Permit issued", "Inspections"]
PERMIT_TEAMS = ["Residential renovations", "Commercial new builds", "Solar installers", "Restaurants",
                "Accessory dwelling units", "Signs and awnings", "Demolition", "Pools"]


def a_permit_discovery(server):
    """A discovery of six long stage names, eight teams with pain points in every stage, round 2 for two."""
    from tests.browser.conftest import SetUp
    from workshop.services.importer import import_stickies
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery("Building permits", "\n".join(PERMIT_STAGES))
    database = server.database()
    try:
        with database.session() as session:
            for number, teams in ((1, PERMIT_TEAMS), (2, PERMIT_TEAMS[:2])):
                for t, team in enumerate(teams):
                    rows = "".join(f"pain,{stage} takes too long for {team} ({n}),{stage}\n"
                                   for s, stage in enumerate(PERMIT_STAGES) for n in range(1 + (s + t) % 3))
                    import_stickies(session, "kind,text,stage\n" + rows, "Building permits", team, round_number=number)
    finally:
        database.dispose()
    return setup, discovery_id


HEAT_COLUMNS_SEEN = """() => {
  const wrap = document.querySelector('.heat-wrap').getBoundingClientRect();
  return [...document.querySelectorAll('table[data-test=heatmap] thead th')].slice(1)
    .map((th) => [th.textContent, th.getBoundingClientRect().right <= wrap.right + 0.5]);
}"""


def test_every_stage_of_the_heatmap_shows_at_laptop_widths_and_scrolls_on_a_phone(browser, server, output_dir, ui):
    setup, discovery_id = a_permit_discovery(server)
    context = signed_in_context(browser, server.url, setup.http, 1440, 900, timeout_ms=90_000)
    page = context.new_page()
    page.goto(f"{server.url}/discoveries/{discovery_id}/backlog")
    heatmap = page.locator("table[data-test=heatmap]")
    heatmap.wait_for()
    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(HEAT_COLUMNS_SEEN) == [[stage, True] for stage in PERMIT_STAGES], width
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(".heat-wrap").scroll_into_view_if_needed()
    page.locator(".heat-wrap").locator("xpath=..").screenshot(path=str(output_dir / "backlog-heatmap-1440.png"))
    caption = page.locator("[data-test=heatmap-rounds]").inner_text()
    assert "rounds 1 and 2 added up" in caption
    ui.axe(page)

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the stages scroll, the teams stay
    wrap = page.locator(".heat-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    team = page.locator("table[data-test=heatmap] tbody th").first
    assert team.evaluate("th => th.getBoundingClientRect().left - th.closest('.heat-wrap').getBoundingClientRect().left") \
        == pytest.approx(0, abs=1)
    wrap.screenshot(path=str(output_dir / "backlog-heatmap-phone.png"))
    # it says so above it (on a laptop, where everything fits, it says nothing)
    hint = page.locator(".heat-wrap").locator("xpath=preceding-sibling::*[1]")
    assert hint.get_attribute("data-test") == "scroll-hint" and hint.is_visible()
    # the themes table keeps #, theme, teams and priority on the phone, within its width; the rest is in
    # the details
    shown = page.evaluate("""() => [...document.querySelectorAll('table.backlog > thead th')]
        .filter(th => th.offsetParent !== null).map(th => th.textContent.trim().toLowerCase())""")
    assert shown == ["#", "theme", "teams", "priority"], shown
    assert page.evaluate("() => document.querySelector('table.backlog').getBoundingClientRect().right") <= 390
    page.locator("table.backlog").screenshot(path=str(output_dir / "backlog-themes-phone.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_function("() => !document.querySelector('.heat-wrap').previousElementSibling"
                           ".classList.contains('scroll-hint')")
    context.close()
