"""A text that reaches its limit says so: a counter from 80 % of the limit, and a paste that did not fit
says how much was left out, on a form (the discovery's problem statement) and in the board's sticky
editor. Real Chromium, real clipboard (Ctrl+V). Screenshots in tests/output/."""
import pytest

pytestmark = pytest.mark.browser


def _paste(page, selector: str, text: str) -> None:
    page.evaluate("(t) => navigator.clipboard.writeText(t)", text)
    page.focus(selector)
    page.keyboard.press("Control+V")


def test_a_form_field_counts_and_says_when_a_paste_was_cut(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    ctx = ui.signed_in_context(browser, server.url, setup.http)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/discoveries/new")
    problem = "textarea[name=problem]"
    counter = page.locator(f"{problem} + .length-counter")
    page.fill(problem, "x" * 100)
    assert counter.is_hidden()  # far from the limit: no counter
    page.fill(problem, "x" * 1700)
    assert counter.inner_text() == "1,700 / 2,000"
    _paste(page, problem, "y" * 500)
    page.wait_for_function("(s) => document.querySelector(s).value.length === 2000", arg=problem)
    counter.wait_for(state="visible")
    assert counter.inner_text() == "2,000 / 2,000: the limit; 200 pasted characters were left out"
    assert "over" in counter.get_attribute("class")
    ui.axe(page)
    page.screenshot(path=str(output_dir / "length-limit-form.png"), full_page=True)
    page.keyboard.press("Backspace")  # typing again: back to the plain count
    assert counter.inner_text() == "1,999 / 2,000"
    assert not errors
    ctx.close()


def test_the_sticky_editor_says_when_a_paste_was_cut(browser, server, workshop_setup, output_dir, ui):
    from tests.browser.conftest import READY
    ctx = ui.signed_in_context(browser, server.url, workshop_setup.http, width=1440)
    page = ctx.new_page()
    page.goto(workshop_setup.board_url)
    page.wait_for_function(READY)
    page.click(".palette-item[data-kind='pain']")
    sx, sy = ui.board_point(page, 0.3, 0.5)
    page.evaluate("""([x, y]) => { const b = window.__board; const [px, py] = b.geometry.toWorld(x, y);
        b.viewport.centreOn(px, py); }""", [0.3, 0.5])
    page.wait_for_timeout(100)
    sx, sy = ui.board_point(page, 0.3, 0.5)
    page.mouse.dblclick(sx, sy)
    area = ".sticky.draft .editor-text"
    page.wait_for_selector(area)
    _paste(page, area, "z" * 2100)
    counter = page.locator(".sticky.draft .editor .length-counter")
    counter.wait_for(state="visible")
    assert counter.inner_text() == "2,000 / 2,000: the limit; 100 pasted characters were left out"
    page.screenshot(path=str(output_dir / "length-limit-editor.png"))
    ctx.close()
