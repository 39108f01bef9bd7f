"""Every page on a phone (390x844, touch) and on a small laptop (1280x720): no sideways page scrolling,
the top bar's "Sign out" and the board's connection status always on screen, a long team name cut
with an ellipsis instead of pushing the status away. Screenshots in tests/output/narrow-*.png."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
LAPTOP = {"viewport": {"width": 1280, "height": 720}}
SIZES = {"phone": PHONE, "1280": LAPTOP}

LONG_TEAM = ("Cross-functional payments and settlements platform enablement guild, Europe-West")  # 80 characters
ADMIN = "Francesca Facilitator-Montgomery"
READY = ("() => window.__board && window.__board.state.loaded"
         " && window.__board.connection.status === 'connected'")

# the widest element that sticks out of the viewport, to say which one when the page scrolls sideways
CULPRITS = """(w) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1) {
      let hidden = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) { hidden = true; break; }
      }
      if (!hidden) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 8);
}"""


@pytest.fixture(scope="module")
def demo_site(module_server):
    """An admin, the demo discovery (for the backlog) and a workshop with an 80-character team name,
    made once for the module: each test made its own, and its backlog grouped ~200 pain points again."""
    from tests.browser.conftest import SetUp
    assert len(LONG_TEAM) == 80
    setup = SetUp(module_server.url)
    setup.admin(name=ADMIN)
    token = setup._csrf("/")
    r = setup.http.post(module_server.url + "/demo", data={"csrf_token": token})
    demo_id = int(re.search(r"/discoveries/(\d+)", r.url).group(1))
    return setup, setup.workshop(demo_id, team=LONG_TEAM)


@pytest.fixture
def site(server, demo_site):
    """The module's server (alive) with its demo site."""
    setup, workshop = demo_site
    return server, setup, workshop


def open_context(browser, server, size, setup=None):
    context = browser.new_context(**SIZES[size])
    context.set_default_timeout(90_000)  # the first backlog view loads the aggregation stack
    if setup is not None:
        context.add_cookies([{"name": c.name, "value": c.value, "url": server.url} for c in setup.http.cookies])
    return context


def watch(page, errors):
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and "WebSocket" not in msg.text
            and "Failed to load resource" not in msg.text and errors.append(msg.text))


def open_page(browser, server, size, errors, setup=None):
    """A new context of this screen size (signed in as `setup` if given), and a watched page in it."""
    context = open_context(browser, server, size, setup)
    page = context.new_page()
    watch(page, errors)
    return context, page


def no_sideways_scroll(page, what):
    # on a phone (is_mobile) the browser widens the layout viewport to fit wide content, so
    # window.innerWidth grows with the page: compare with the screen's width instead
    screen = page.viewport_size["width"]
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= screen + 1 and inner <= screen + 1, \
        f"{what}: the page is {scroll}px wide on a {screen}px screen: {page.evaluate(CULPRITS, screen)}"


def in_viewport(page, selector, what):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{what}: {selector} is not shown"
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5 \
        and box["y"] + box["height"] <= height + 0.5, f"{what}: {selector} is outside the viewport: {box}"
    return box


def shot(page, output_dir, name, full=True):
    page.screenshot(path=str(output_dir / f"narrow-{name}.png"), full_page=full)


@pytest.mark.parametrize("size", ["phone", "1280"])
def test_pages_fit_the_screen(browser, site, output_dir, size, ui):
    server, setup, workshop = site
    errors: list[str] = []

    anonymous, page = open_page(browser, server, size, errors)
    page.goto(server.url + "/login")
    no_sideways_scroll(page, "sign-in")
    ui.axe(page)
    shot(page, output_dir, f"{size}-login")
    page.goto(workshop.join_url)
    no_sideways_scroll(page, "join page")
    in_viewport(page, ".join-button", "join page")
    ui.axe(page)
    shot(page, output_dir, f"{size}-join")
    anonymous.close()

    context, page = open_page(browser, server, size, errors, setup)
    pages = [("home", "/"), ("discovery", f"/discoveries/{workshop.discovery_id}"), ("new-discovery", "/discoveries/new"),
             ("people", "/users"), ("account", "/account"), ("backlog", f"/discoveries/{workshop.discovery_id}/backlog")]
    for name, path in pages:
        page.goto(server.url + path)
        page.wait_for_load_state("networkidle")
        no_sideways_scroll(page, name)
        page.evaluate("window.scrollTo(0, 0)")
        signout = in_viewport(page, ".topbar button:text('Sign out')", name)
        assert signout["width"] > 20
        ui.axe(page)  # every page, on a phone and a laptop: no accessibility violation (axe-core)
        shot(page, output_dir, f"{size}-{name}")

    # the backlog: a long team name in the heatmap does not squeeze the chart next to it
    page.goto(server.url + f"/discoveries/{workshop.discovery_id}/backlog")
    label = page.locator("table.heatmap tbody th", has_text=LONG_TEAM[:20])
    assert label.count() == 1
    chart = page.locator("[data-test=top-themes]").bounding_box()
    heat = page.locator("table.heatmap").locator("xpath=ancestor::section[1]").bounding_box()
    assert chart["width"] >= 0.7 * heat["width"] - 40 if size == "1280" else chart["width"] > 300, (chart, heat)
    # the top themes' labels stay readable text on any screen (they were SVG text scaled to 7 px on a phone)
    for label_size in page.locator("[data-test=top-themes] .bar-label").evaluate_all(
            "(ls) => ls.map((l) => parseFloat(getComputedStyle(l).fontSize))"):
        assert label_size >= 13, label_size
    assert label.bounding_box()["width"] <= 260
    # scrolled sideways to the last stages, the heatmap keeps its team names in view
    wrap = page.locator(".heat-wrap")
    if wrap.evaluate("(w) => w.scrollWidth > w.clientWidth + 1"):
        wrap.evaluate("(w) => { w.scrollLeft = w.scrollWidth; }")
        page.wait_for_timeout(100)
        box, inside = label.bounding_box(), wrap.bounding_box()
        assert inside["x"] - 1 <= box["x"] <= inside["x"] + inside["width"], (box, inside)
    # the workshops table may scroll inside its card, never the page
    page.goto(server.url + f"/discoveries/{workshop.discovery_id}")
    table = page.locator("table[data-test=workshops]")
    card = table.locator("xpath=ancestor::section[1]").bounding_box()
    assert card["x"] + card["width"] <= page.viewport_size["width"] + 1
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize("size", ["phone", "1280"])
def test_board_fits_the_screen_and_keeps_the_status_in_view(browser, site, output_dir, size, ui):
    server, setup, workshop = site
    errors: list[str] = []

    # a guest with a long name joins on this screen
    guest_context, guest = open_page(browser, server, size, errors)
    guest.goto(workshop.join_url)
    guest.fill("input[name=name]", "Henrik with a rather long display name")
    guest.click("button[type=submit]")
    guest.wait_for_url(re.compile(r"/w/[^/]+/board$"))
    guest.wait_for_function(READY)

    context, fac = open_page(browser, server, size, errors, setup)
    fac.goto(workshop.board_url)
    fac.wait_for_function(READY)
    fac.wait_for_timeout(300)

    height = fac.viewport_size["height"]
    for who, page in (("facilitator", fac), ("guest", guest)):
        no_sideways_scroll(page, f"board ({who})")
        in_viewport(page, "#connection", f"board ({who})")
        in_viewport(page, ".zoom-controls", f"board ({who})")
        title = page.locator(".bh-title h1")
        assert title.get_attribute("title") == LONG_TEAM
        # the 80-character name is cut with an ellipsis, not wrapped or pushed out
        assert page.evaluate("(h) => h.scrollWidth > h.clientWidth && getComputedStyle(h).textOverflow === 'ellipsis'",
                             title.element_handle())
        title_box, conn_box = title.bounding_box(), page.locator("#connection").bounding_box()
        assert title_box["y"] + title_box["height"] <= conn_box["y"] + 1 or \
            title_box["x"] + title_box["width"] <= conn_box["x"], (title_box, conn_box)
        # most of the height is left to the board
        board = page.locator(".board-area").bounding_box()
        assert board["height"] >= 0.6 * height, f"board ({who}): the board has {board['height']} of {height}px"
        ui.axe(page)

    # the facilitator's bar: a compact strip on a phone, on one tidy row of controls on a laptop
    fbar = fac.locator("#facilitator-bar").bounding_box()
    if size == "phone":
        assert fbar["height"] <= 100, fbar
        assert fac.locator(".stepper").evaluate("(s) => getComputedStyle(s).overflowX") in ("auto", "scroll")
        # the legend keeps its words: each colour's name shows under it, inside the palette, no word cut
        palette = fac.locator(".palette").bounding_box()
        for item in fac.locator(".palette-item").all():
            name = item.locator(".palette-name")
            assert name.is_visible(), item.get_attribute("data-kind")
            box = name.bounding_box()
            assert palette["x"] <= box["x"] and box["x"] + box["width"] <= palette["x"] + palette["width"] + 0.5
            assert name.evaluate("(n) => n.scrollWidth <= n.clientWidth + 1"), name.inner_text()
        # "Double-tap the board to add a sticky", not under the palette, once the phase takes stickies
        fac.evaluate("() => window.__board.send({type: 'phase.set', phase: 'map'})")
        guest.wait_for_function("() => window.__board.state.workshopServer.phase === 'map'")
        hint = guest.locator(".touch-hint")
        expect(hint).to_be_visible()
        h, p = hint.bounding_box(), guest.locator(".palette").bounding_box()
        assert h["x"] >= p["x"] + p["width"] or h["y"] >= p["y"] + p["height"], (h, p)
        # the last controls are reachable by scrolling the bar sideways
        fac.locator("[data-action=close]").scroll_into_view_if_needed()
        in_viewport(fac, "[data-action=close]", "facilitator bar scrolled")
        no_sideways_scroll(fac, "board after scrolling the facilitator bar")
    else:
        for running in (False, True):  # with and without the timer's Stop button
            if running:
                fac.click("[data-action=timer-start]")
                fac.wait_for_selector("[data-action=timer-stop]", state="visible")
            close = fac.locator("[data-action=close]").bounding_box()
            rows = [box["y"] for box in (g.bounding_box() for g in fac.locator(".fgroup").all())]
            assert any(abs(y - close["y"]) < 12 for y in rows), ("Close workshop is alone on its row", close, rows)
            fbar_now = fac.locator("#facilitator-bar").bounding_box()
            assert fbar_now["height"] <= 100, fbar_now
        # palette names keep to one line with their "any phase" tag
        for name in fac.locator(".palette-item:not(:disabled) .palette-name").all():
            assert name.bounding_box()["height"] < 24, name.inner_text()
    shot(fac, output_dir, f"{size}-board-facilitator", full=False)
    shot(guest, output_dir, f"{size}-board-guest", full=False)

    # an outage: the long status text stays on screen next to the long team name
    server.kill()
    for page in (fac, guest):
        page.wait_for_function("() => window.__board.connection.status !== 'connected'", timeout=20_000)
    fac.evaluate("() => window.__board.send({type: 'sticky.create', sticky: {id: crypto.randomUUID(), kind: 'note',"
                 " text: 'Written offline', x: 0.5, y: 0.5}})")
    fac.wait_for_function("() => /unsent/.test(document.querySelector('#connection').textContent)", timeout=20_000)
    for who, page in (("facilitator", fac), ("guest", guest)):
        no_sideways_scroll(page, f"board offline ({who})")
        box = in_viewport(page, "#connection", f"board offline ({who})")
        text = page.locator("#connection .conn-text")
        assert page.evaluate("(t) => t.scrollWidth <= t.clientWidth + 1", text.element_handle()), text.inner_text()
        assert box["width"] > 60
    assert "unsent" in fac.locator("#connection").inner_text()
    shot(fac, output_dir, f"{size}-board-offline", full=False)
    context.close()
    guest_context.close()
    assert errors == [], errors
