"""Browser tests: the real app in a subprocess (the production command), real headless Chromium.

- `server` is `.venv/bin/python app.py` on a free port with its own instance directory, started once
  per test module (a start and a migration cost seconds; 75 tests paid them each): the tests of a
  module share its database, so each makes its own discovery and workshop and looks only at those.
  It can be killed and started again on the same port and directory (`server.kill()`,
  `server.start()`); a test that leaves it dead gets it started again for the next. A test that
  needs an install nobody has set up yet asks for `fresh_server` instead.
- `workshop_setup` signs the admin in (creating the account on the module's first use), creates a
  discovery and a workshop through the app's own HTTP pages (a requests.Session reading the csrf
  tokens from the forms), and returns the join link.
- `facilitator_page` opens the facilitator's board (the login cookie copied into the browser),
  `guest_page(name)` joins through the join link like a participant would.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
# Debian's chromium-headless-shell (the headless build without the browser's own UI) when it is there: the
# same Blink and V8 as /usr/bin/chromium at about two thirds of the CPU per browser module (docs/benchmarks.md,
# "The suite"); the full browser otherwise. STORMING_TEST_CHROMIUM names another binary.
CHROMIUM = os.environ.get("STORMING_TEST_CHROMIUM") or next(
    (path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(path).exists()),
    "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

READY = ("() => window.__board && window.__board.state.loaded"
         " && window.__board.connection.status === 'connected'")
SETTLED = ("() => window.__board && window.__board.connection.unsent === 0"
           " && window.__board.state.pending.size === 0")


@pytest.fixture(scope="module")
def module_server(tmp_path_factory):
    """The app as it runs in production (`python app.py`, gevent), in a subprocess (tests/live_server.py),
    one per test module."""
    from tests.live_server import LiveServer
    srv = LiveServer(tmp_path_factory.mktemp("server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(module_server):
    """The module's server, alive at the start of every test (started again if a test killed it)."""
    if not module_server.alive():
        module_server.start()
    yield module_server
    if not module_server.alive():
        module_server.start()


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own over an empty database, for a test of what happens before anyone set it up."""
    from tests.live_server import LiveServer
    srv = LiveServer(tmp_path)
    srv.start()
    yield srv
    srv.stop()


@dataclass
class Workshop:
    id: int
    discovery_id: int
    join_url: str
    board_url: str
    http: requests.Session


class SetUp:
    """Acts as the first facilitator through the app's own pages."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def _csrf(self, path: str) -> str:
        page = self.http.get(self.base + path)
        page.raise_for_status()
        match = CSRF.search(page.text)
        assert match, f"no csrf token on {path}"
        return match.group(1)

    def admin(self, name="Fran Facilitator", email="fran@example.com", password="correct horse battery") -> None:
        """Sets the install up with this first account, or, where the module's server has it already,
        signs in as it."""
        page = self.http.get(self.base + "/setup")
        page.raise_for_status()
        if page.url.rstrip("/").endswith("/setup"):
            for key in [key for key in self._next_number if key[0] == self.base]:
                del self._next_number[key]  # a new install on a port an earlier server had
            token = CSRF.search(page.text).group(1)
            r = self.http.post(self.base + "/setup", data={"csrf_token": token, "name": name, "email": email,
                                                          "password": password, "role": "facilitator"})
            assert r.status_code == 200, r.text[:500]
            return
        token = self._csrf("/login")
        r = self.http.post(self.base + "/login", data={"csrf_token": token, "email": email, "password": password})
        assert r.status_code == 200 and not r.url.endswith("/login"), (
            f"the module's server was set up with another first account than {email}: " + r.text[:300])

    # (server, name) -> the number the next discovery of that name tries first: without it the module's
    # nth test tried n names one after the other (1.2 s of set-up by the twelfth test)
    _next_number: dict[tuple[str, str], int] = {}

    def discovery(self, name="Platform discovery", stages="Idea\nPlan\nBuild\nTest\nRelease\nOperate") -> int:
        """A new discovery; where an earlier test of the module took the name, "name 2", "name 3", ..."""
        key = (self.base, name)
        for attempt in range(self._next_number.get(key, 1), 1000):
            token = self._csrf("/discoveries/new")
            r = self.http.post(self.base + "/discoveries/new", data={
                "csrf_token": token, "name": name if attempt == 1 else f"{name} {attempt}",
                "problem": "Teams take months to reach production.",
                "goal": "From idea to production in two weeks", "stages": stages,
                "start_label": "Project starts", "end_label": "Live in production with users"})
            if not (r.status_code == 400 and "exists already" in r.text):
                self._next_number[key] = attempt + 1
                break
        assert r.status_code == 200, r.text[:500]
        match = re.search(r"/discoveries/(\d+)", r.url)
        assert match, r.url
        return int(match.group(1))

    def workshop(self, discovery_id: int, team="Payments", template="discovery") -> Workshop:
        path = f"/discoveries/{discovery_id}"
        token = self._csrf(path)
        r = self.http.post(self.base + path, data={"csrf_token": token, "team": team, "template": template,
                                                  "held_on": "2026-11-26"})
        assert r.status_code == 200, r.text[:500]
        rows = re.findall(r'<tr id="w(\d+)">(.*?)</tr>', r.text, re.S)
        assert rows, "no workshop row on the discovery page"
        workshop_id, row = max(rows, key=lambda row: int(row[0]))
        join = re.search(r'<input class="copy"[^>]*value="([^"]+)"', row)
        assert join, row
        return Workshop(int(workshop_id), discovery_id, join.group(1).replace("&amp;", "&"),
                        f"{self.base}/workshops/{workshop_id}/board", self.http)


@pytest.fixture
def workshop_setup(server) -> Workshop:
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery()
    return setup.workshop(discovery_id)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and {CHROMIUM} is missing"
                        " (.ci/run installs chromium-headless-shell with apt-get)")
        pytest.skip(f"{CHROMIUM} is not there (apt-get install -y chromium-headless-shell)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Pages:
    """Opens board pages in separate browser contexts (separate people) and closes them afterwards."""

    def __init__(self, browser, server, workshop: Workshop):
        self.browser = browser
        self.server = server
        self.workshop = workshop
        self.contexts = []
        self.errors: list[str] = []

    def _context(self, viewport=None, **device):
        """`device`: more of Playwright's context options (is_mobile, has_touch, device_scale_factor)."""
        ctx = self.browser.new_context(viewport=viewport or {"width": 1440, "height": 900}, **device)
        ctx.set_default_timeout(30_000)
        self.contexts.append(ctx)
        return ctx

    def _watch(self, page, who: str):
        page.on("pageerror", lambda exc: self.errors.append(f"{who}: {exc}"))
        page.on("console", lambda msg: msg.type == "error" and "WebSocket" not in msg.text
                and "Failed to load resource" not in msg.text and self.errors.append(f"{who}: {msg.text}"))

    def facilitator(self, viewport=None, **device):
        ctx = self._context(viewport, **device)
        ctx.add_cookies([{"name": c.name, "value": c.value, "url": self.server.url}
                         for c in self.workshop.http.cookies])
        page = ctx.new_page()
        self._watch(page, "facilitator")
        page.goto(self.workshop.board_url)
        page.wait_for_function(READY)
        return page

    def guest(self, name: str, team: str | None = None, viewport=None, **device):
        ctx = self._context(viewport, **device)
        page = ctx.new_page()
        self._watch(page, name)
        page.goto(self.workshop.join_url)
        page.fill("input[name=name]", name)
        if team is not None:
            page.fill("input[name=team]", team)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/w/[^/]+/board$"))
        page.wait_for_function(READY)
        return page

    def close(self):
        for ctx in self.contexts:
            ctx.close()

    def axe_all(self) -> list[str]:
        """axe-core on every board page still open, as the test left it."""
        problems = []
        for ctx in self.contexts:
            for page in ctx.pages:
                if not page.is_closed() and "/board" in page.url:
                    problems += axe_violations(page)
        return problems


@pytest.fixture
def pages(browser, server, workshop_setup):
    p = Pages(browser, server, workshop_setup)
    yield p
    violations = p.axe_all()
    p.close()
    assert not p.errors, "JavaScript errors on the page:\n" + "\n".join(p.errors)
    assert not violations, "axe-core found accessibility violations:\n" + "\n".join(violations)


# ---- helpers the tests share ---------------------------------------------------------------------

def wait_ready(page, timeout=30_000):
    page.wait_for_function(READY, timeout=timeout)


def wait_settled(page, timeout=20_000):
    page.wait_for_function(SETTLED, timeout=timeout)


def set_phase(page, key: str) -> None:
    """The facilitator clicks a phase in the stepper and waits until the server has it."""
    page.click(f".step-btn[data-phase='{key}']")
    wait_settled(page)
    page.wait_for_function(f"() => window.__board.state.workshopServer.phase === '{key}'")


def board_point(page, x: float, y: float) -> tuple[float, float]:
    """Screen coordinates of board coordinates (0..1)."""
    return tuple(page.evaluate(
        "([x, y]) => { const b = window.__board; const [px, py] = b.geometry.toWorld(x, y);"
        " return b.viewport.toClient(px, py); }", [x, y]))


def signed_in_context(browser, base_url: str, http: requests.Session, width: int = 1280, height: int = 900,
                      timeout_ms: int = 30_000):
    """A browser context signed in as the person of ``http`` (its cookies copied), allowed to use the
    clipboard, 30 s default timeout (a backlog test gives 90 s: the first backlog loads the model)."""
    ctx = browser.new_context(viewport={"width": width, "height": height},
                              permissions=["clipboard-read", "clipboard-write"])
    ctx.add_cookies([{"name": c.name, "value": c.value, "url": base_url} for c in http.cookies])
    ctx.set_default_timeout(timeout_ms)
    return ctx


def page_errors(page, console: bool = True) -> list[str]:
    """What went wrong in the page's scripts (uncaught errors, and console errors unless told not to),
    collected into the list returned, which a test asserts empty at its end."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    if console:
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def answer_confirm(page, accept: bool = True) -> str:
    """Answer the page's own confirmation dialog (static/js/confirm.js) once it is open; returns its
    question."""
    dialog = page.locator("#page-confirm")
    dialog.wait_for(state="visible")
    question = dialog.locator(".page-dialog-text").inner_text()
    dialog.locator("[data-test=confirm-ok]" if accept else "[data-test=confirm-cancel]").click()
    dialog.wait_for(state="hidden")
    return question


def add_sticky_by_hand(page, kind: str, text: str, x: float, y: float, duration: str | None = None) -> str:
    """Pick the kind in the palette, double-click the board, type, press Enter. Returns the sticky id."""
    page.click(f".palette-item[data-kind='{kind}']")
    # the board opens at a readable zoom, not the whole timeline: go there first, as a person would
    page.evaluate("""([x, y]) => { const b = window.__board; const [px, py] = b.geometry.toWorld(x, y);
        const [cx, cy] = b.viewport.toClient(px, py); const r = document.querySelector('#viewport').getBoundingClientRect();
        const p = document.querySelector('#palette').getBoundingClientRect();
        if (cx < p.right + 90 || cx > r.right - 200 || cy < r.top + 90 || cy > r.bottom - 140) b.viewport.centreOn(px, py); }""", [x, y])
    page.wait_for_timeout(50)
    sx, sy = board_point(page, x, y)
    page.mouse.dblclick(sx, sy)
    try:
        page.wait_for_selector(".sticky.draft .editor-text", timeout=10_000)
    except Exception:  # noqa: BLE001
        # a double-click whose two clicks land on different elements fires no dblclick (the board
        # redrew the spot between them, as after an undo on a loaded machine): a person clicks again.
        # Once; what was under the pointer goes in the log if that fails too.
        under = page.evaluate("([x, y]) => { const e = document.elementFromPoint(x, y);"
                              " return e ? e.className + ' | ' + (e.textContent || '').slice(0, 60) : null; }", [sx, sy])
        print(f"add_sticky_by_hand: no draft after a double-click at {x}, {y}; under it: {under!r}; again")
        page.mouse.dblclick(sx, sy)
        page.wait_for_selector(".sticky.draft .editor-text")
    if duration is not None:
        page.fill(".sticky.draft .editor-duration-input", duration)
        page.focus(".sticky.draft .editor-text")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    wait_settled(page)
    return page.evaluate("(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text === t)?.id", text)


def add_sticky(page, kind: str, text: str, x: float, y: float, **extra) -> str:
    """Add a sticky through the page's own outbox (fast, for populating a board)."""
    return page.evaluate(
        "([kind, text, x, y, extra]) => { const id = crypto.randomUUID();"
        " window.__board.send({type: 'sticky.create', sticky: {id, kind, text, x, y, ...extra}}); return id; }",
        [kind, text, x, y, extra])


def sticky_locator(page, text: str):
    return page.locator(".sticky", has=page.locator(".sticky-text", has_text=text))


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def publish_screenshot(source: Path, name: str) -> None:
    """Copy a screenshot to docs/screenshots for the README, only when asked (`make screenshots`),
    so an ordinary test run leaves the work tree clean."""
    if os.environ.get("PUBLISH_SCREENSHOTS") != "1":
        return
    target = ROOT / "docs" / "screenshots" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text())
    return _AXE_SOURCE[0]


def axe_violations(page) -> list[str]:
    """Runs axe-core (pinned in package.json) on the page as it is: WCAG 2.x A and AA rules and
    axe's best practices. Returns one line per violation and node."""
    if not page.evaluate("() => !!window.axe"):
        # through the DevTools protocol, as a test tool: the app's Content-Security-Policy (script-src
        # 'self') stays on and refuses an injected <script>
        page.evaluate("(source) => { (0, eval)(source); return true; }", _axe_source())
    result = page.evaluate("""async () => {
        // let fades finish first (a toast leaving, a cursor going idle): mid-fade colours make the
        // contrast check depend on timing
        const finite = document.getAnimations().filter((a) => Number.isFinite(a.effect?.getComputedTiming?.().endTime));
        await Promise.race([Promise.all(finite.map((a) => a.finished.catch(() => null))),
                            new Promise((resolve) => setTimeout(resolve, 3000))]);
        const r = await axe.run(document, {resultTypes: ['violations']});
        if (!r.passes.length) return ['axe-core ran no rule'];
        return r.violations.map(v => v.nodes.slice(0, 5).map(n => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${n.failureSummary.split('\\n').slice(1, 2).join(' ')}`)).flat();
    }""")
    return [f"{page.url}: {line}" for line in result]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, "axe-core found accessibility violations:\n" + "\n".join(violations)


@pytest.fixture
def ui():
    """The helpers above, as a fixture (test modules do not import conftest)."""
    from types import SimpleNamespace
    return SimpleNamespace(wait_ready=wait_ready, wait_settled=wait_settled, set_phase=set_phase,
                           board_point=board_point, add_sticky_by_hand=add_sticky_by_hand, add_sticky=add_sticky,
                           sticky=sticky_locator, publish_screenshot=publish_screenshot, axe=assert_accessible,
                           signed_in_context=signed_in_context, answer_confirm=answer_confirm)
