"""Review the grouping (issue 22) in a real browser: ten questions answered by keyboard alone (Y, N,
then S to skip and U to take the last answer back), axe at 0 violations, a screenshot of a question."""
import re

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def owner_page(browser, server):
    from tests.browser.conftest import SetUp, page_errors, signed_in_context
    setup = SetUp(server.url)
    setup.admin()
    context = signed_in_context(browser, server.url, setup.http, 1440, 1000, timeout_ms=90_000)
    page = context.new_page()
    errors = page_errors(page)
    yield page, server.url
    context.close()
    assert errors == []


def answers_on(page) -> int:
    text = page.locator("[data-test=review-progress]").inner_text()
    found = re.search(r"(\d+) answers?", text)
    return int(found.group(1)) if found else 0


def test_ten_questions_by_keyboard_alone(owner_page, output_dir, ui):
    page, base = owner_page
    page.goto(base + "/")
    page.click("[data-test=load-demo]")
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    page.click("[data-test=backlog-link]")
    page.wait_for_selector("table[data-test=heatmap]")
    page.click("[data-test=review-link]")
    page.wait_for_selector("[data-test=review-question]")
    assert answers_on(page) == 0
    question = page.locator("[data-test=review-question]")
    assert question.locator("h2").inner_text()
    ui.axe(page)
    page.screenshot(path=str(output_dir / "review-question.png"), full_page=True)

    seen = []
    for i, key in enumerate("YNNYNYNNYN"):
        current = question.get_attribute("data-suggestion")
        assert current not in seen  # never the same question twice
        seen.append(current)
        with page.expect_navigation():
            page.keyboard.press(key)
        page.wait_for_selector("[data-test=review-question], [data-test=review-done]")
        assert answers_on(page) == i + 1
        if page.locator("[data-test=review-done]").count():
            break
    assert answers_on(page) == 10
    assert "of the top" in page.locator("[data-test=review-progress]").inner_text() \
        or "top" in page.locator("[data-test=review-progress]").inner_text()
    ui.axe(page)

    # S skips (nothing kept), U takes the last answer back
    skipped = question.get_attribute("data-suggestion")
    with page.expect_navigation():
        page.keyboard.press("s")
    assert answers_on(page) == 10
    assert question.get_attribute("data-suggestion") != skipped
    with page.expect_navigation():
        page.keyboard.press("u")
    assert answers_on(page) == 9
    assert "taken back" in page.locator(".flash").inner_text()
    ui.axe(page)
    page.screenshot(path=str(output_dir / "review-after-undo.png"), full_page=True)

    # the backlog says which themes the answers were about
    page.click("[data-test=back-to-backlog]")
    page.wait_for_selector("table[data-test=backlog]")
    assert page.locator("[data-test=reviewed]").count() >= 1


def test_a_yes_for_some_of_the_stickies_by_keyboard(owner_page, output_dir, ui):
    """'Yes, but not this one': the digit keys untick the stickies a yes should leave where they are;
    the Yes button says how many it moves, and the answer is one answer that moved only those."""
    page, base = owner_page
    page.goto(base + "/")
    # the module's server has the demo already when the first test ran
    page.locator("[data-test=load-demo], [data-test=open-demo], a.discovery-card").first.click()
    page.wait_for_url(re.compile(r"/discoveries/\d+$"))
    page.click("[data-test=backlog-link]")
    page.wait_for_selector("table[data-test=heatmap]")
    page.click("[data-test=review-link]")
    page.wait_for_selector("[data-test=review-question]")
    page.wait_for_load_state("load")  # the page's module script (the keys) runs before "load"
    start = answers_on(page)
    for _ in range(15):  # skip to a question about two or more stickies
        if page.locator("[data-test=tick]").count() >= 2:
            break
        with page.expect_navigation():
            page.keyboard.press("s")
    ticks = page.locator("[data-test=tick]")
    total = ticks.count()
    assert total >= 2, "no question about two or more stickies within 15"
    left_text = page.locator(".asked .review-sticky").nth(1).locator(".review-text").inner_text()
    page.keyboard.press("2")
    assert not ticks.nth(1).is_checked() and ticks.nth(0).is_checked()
    assert page.locator("[data-test=yes-label]").inner_text() == f"Yes for {total - 1} of {total}"
    ui.axe(page)
    page.locator("[data-test=review-question]").screenshot(path=str(output_dir / "review-some-ticked.png"))
    ui.publish_screenshot(output_dir / "review-some-ticked.png", "review-question.png")
    # none ticked: Yes waits for a tick (a yes for nothing is a no)
    for i in range(total):
        if ticks.nth(i).is_checked():
            ticks.nth(i).uncheck()
    assert page.locator("[data-test=yes]").is_disabled()
    ticks.nth(0).check()
    # one ticked: the sentence under the buttons says "it", not "them" (a new owner saw "them" for one)
    meaning = page.locator("[data-test=yes-meaning]").inner_text()
    assert meaning.startswith("Yes puts it ") and meaning.endswith("(the ticked one)"), meaning
    if total > 2:
        page.keyboard.press("3")  # a third one back in, by key again
        assert ticks.nth(2).is_checked()
    kept = page.locator("[data-test=tick]:checked").count()
    with page.expect_navigation():
        page.keyboard.press("y")
    page.wait_for_selector("[data-test=review-question], [data-test=review-done]")
    assert f"Yes for {kept} of {total}" in page.locator(".flash").inner_text()
    assert answers_on(page) == start + 1
    # the unticked sticky stayed where it was: not in the theme a yes moved the others into
    assert left_text
    with page.expect_navigation():
        page.keyboard.press("u")
    assert answers_on(page) == start
