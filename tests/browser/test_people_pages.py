"""An admin manages people in a real browser: adds a product owner, changes the role, deactivates
the account (who then cannot sign in), reactivates it; everyone's own Account page. Screenshots."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_an_admin_adds_changes_deactivates_and_reactivates_a_person(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    admin.add_cookies([{"name": c.name, "value": c.value, "url": server.url} for c in setup.http.cookies])
    page = admin.new_page()
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(server.url + "/users")
    ui.axe(page)
    page.fill("input[name=name]", "Priya Owner")
    page.fill("input[name=email]", "priya@example.com")
    page.fill("input[name=password]", "a long enough password")
    page.select_option("select[name=role]", "facilitator")
    page.click("button:text('Add account')")
    row = page.locator("table[data-test=people] tr", has_text="priya@example.com")
    row.wait_for()
    assert "active" in row.inner_text()

    row.locator("a:text('Manage')").click()
    page.wait_for_url(re.compile(r"/users/\d+$"))
    ui.axe(page)
    page.select_option("form[data-test=profile] select[name=role]", "product_owner")
    page.click("form[data-test=profile] button:text('Save')")
    page.wait_for_selector("form[data-test=deactivate]")
    # it asks first: dismissed, nothing happens; accepted, the account is deactivated
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("form[data-test=deactivate] button")
    page.wait_for_timeout(300)
    assert asked and "signed out at once" in asked[0]
    assert page.locator("form[data-test=deactivate]").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[data-test=deactivate] button")
    page.wait_for_selector("form[data-test=reactivate]")
    page.screenshot(path=str(output_dir / "person-deactivated.png"), full_page=True)

    # the deactivated person cannot sign in, and is told why
    other = browser.new_context()
    login = other.new_page()
    login.goto(server.url + "/login")
    ui.axe(login)
    login.fill("input[name=email]", "priya@example.com")
    login.fill("input[name=password]", "a long enough password")
    login.click("button[type=submit]")
    login.wait_for_selector("text=This account is deactivated")
    other.close()

    page.click("form[data-test=reactivate] button")
    page.wait_for_selector("form[data-test=deactivate]")
    page.goto(server.url + "/users")
    row = page.locator("table[data-test=people] tr", has_text="priya@example.com")
    assert "Product owner" in row.inner_text() and "active" in row.inner_text()
    page.screenshot(path=str(output_dir / "people.png"), full_page=True)

    page.goto(server.url + "/account")
    page.wait_for_selector("form[data-test=change-password]")
    ui.axe(page)
    page.screenshot(path=str(output_dir / "account.png"), full_page=True)
    admin.close()
    assert errors == []
