"""An admin manages people in a real browser: adds a person (who sets their own password on the
one-time link the admin copies to them), changes the role, deactivates the account (who then cannot
sign in), reactivates it; everyone's own Account page. Screenshots."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_an_admin_adds_changes_deactivates_and_reactivates_a_person(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    admin = ui.signed_in_context(browser, server.url, setup.http)
    page = admin.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(server.url + "/users")
    ui.axe(page)
    assert page.locator("form[data-test=add-person] input[type=password]").count() == 0  # no password to choose
    page.fill("input[name=name]", "Priya Owner")
    page.fill("input[name=email]", "priya@example.com")
    page.select_option("select[name=role]", "facilitator")
    page.click("button:text('Add and get their link')")
    page.wait_for_url(re.compile(r"/users/\d+$"))
    link = page.locator("[data-test=invite-link] input.copy").input_value()
    assert re.search(r"/invite/[A-Za-z0-9_-]{30,}$", link), link
    page.click("[data-test=invite-link] button[data-copy]")
    page.wait_for_selector("[data-test=invite-link] button:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.screenshot(path=str(output_dir / "person-invited.png"), full_page=True)
    ui.axe(page)  # the person's page with the link

    # Priya opens the link in her own browser: the password rule is there before she types
    theirs = browser.new_context()
    priya = theirs.new_page()
    priya.goto(link)
    ui.axe(priya)  # the invitation page
    assert "At least 8 characters" in priya.locator("[data-test=password-rule]").inner_text()
    ui.axe(priya)  # the invite page
    priya.fill("input[name=password]", "a long enough password")
    priya.fill("input[name=repeat]", "a long enough password")
    priya.click("button[type=submit]")
    priya.wait_for_selector("text=Welcome, Priya Owner")
    priya.goto(link)  # once only
    priya.wait_for_selector("text=This link is not valid any more")
    theirs.close()

    page.goto(server.url + "/users")
    row = page.locator("table[data-test=people] tr", has_text="priya@example.com")
    row.wait_for()
    assert "active" in row.inner_text() and "invited" not in row.inner_text()

    row.locator("a:text('Manage')").click()
    page.wait_for_url(re.compile(r"/users/\d+$"))
    ui.axe(page)
    page.select_option("form[data-test=profile] select[name=role]", "product_owner")
    page.click("form[data-test=profile] button:text('Save')")
    page.wait_for_selector("form[data-test=deactivate]")
    # it asks first: dismissed, nothing happens; accepted, the account is deactivated
    page.click("form[data-test=deactivate] button")
    page.screenshot(path=str(output_dir / "person-deactivate-asks.png"))
    assert "signed out at once" in ui.answer_confirm(page, accept=False)
    page.wait_for_timeout(300)
    assert page.locator("form[data-test=deactivate]").count() == 1
    page.click("form[data-test=deactivate] button")
    ui.answer_confirm(page)
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
