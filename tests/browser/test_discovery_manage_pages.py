"""A facilitator manages a discovery in a real browser: copies each join link with its Copy button,
edits the discovery and a workshop, deletes a workshop and then the discovery after the page that
says what goes with them, removes a member. Screenshots in tests/output/."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_copy_edit_delete_and_remove_a_member(browser, server, output_dir, ui):
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery()
    payments = setup.workshop(discovery_id, team="Payments")
    search = setup.workshop(discovery_id, team="Search")

    ctx = ui.signed_in_context(browser, server.url, setup.http)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = f"{server.url}/discoveries/{discovery_id}"

    # a Copy button beside every join link puts that link on the clipboard
    page.goto(base)
    buttons = page.locator("table[data-test=workshops] button[data-copy]")
    assert buttons.count() == 2
    for workshop in (search, payments):
        button = page.locator(f"#w{workshop.id} button[data-copy]")
        button.click()
        page.wait_for_function("(b) => b.textContent === 'Copied'", arg=button.element_handle())
        assert page.evaluate("navigator.clipboard.readText()") == workshop.join_url
    assert page.locator("#copy-status").inner_text() == "Link copied to the clipboard."
    page.wait_for_function("() => [...document.querySelectorAll('button[data-copy]')]"
                           ".every(b => b.textContent === 'Copy')", timeout=5_000)  # it says Copy again
    page.screenshot(path=str(output_dir / "discovery-copy.png"), full_page=True)

    # edit the discovery: name, goal, labels; the stages too, as no board has stickies yet
    page.click("[data-test=edit-discovery-link]")
    page.wait_for_url(f"{base}/edit")
    ui.axe(page)  # the edit page: no accessibility violation (axe-core)
    page.fill("input[name=name]", "Path to production")
    page.fill("input[name=goal]", "Two weeks from idea to production by Q3")
    page.fill("textarea[name=stages]", "Ask\nWait\nBuild\nShip")
    page.click("form[data-test=edit-discovery] button[type=submit]")
    page.wait_for_url(base)
    assert page.locator("h1").inner_text() == "Path to production"
    assert "Two weeks from idea to production by Q3" in page.locator(".goal").inner_text()
    assert page.locator(".timeline-preview .stage").all_inner_texts() == ["Ask", "Wait", "Build", "Ship"]

    # edit a workshop: team and date
    page.click(f"#w{search.id} a[aria-label='Edit the Search workshop']")
    ui.axe(page)
    page.fill("input[name=team]", "Search & Discovery")
    page.fill("input[name=held_on]", "2026-12-03")
    page.click("form[data-test=edit-workshop] button[type=submit]")
    page.wait_for_url(re.compile(rf"/discoveries/{discovery_id}#w{search.id}$"))
    row = page.locator(f"#w{search.id}")
    assert "Search & Discovery" in row.inner_text() and "2026-12-03" in row.inner_text()

    # a guest joins the Payments board and the facilitator maps a first event: deleting it says so
    from tests.browser.conftest import add_sticky, set_phase, wait_ready, wait_settled
    guest_ctx = browser.new_context()
    guest = guest_ctx.new_page()
    guest.goto(payments.join_url)
    guest.fill("input[name=name]", "Grace")
    guest.click("button[type=submit]")
    guest.wait_for_url(re.compile(r"/w/[^/]+/board$"))
    guest_ctx.close()
    page.goto(payments.board_url)
    wait_ready(page)
    set_phase(page, "map")
    add_sticky(page, "event", "Ticket raised", 0.2, 0.3)
    wait_settled(page)

    page.goto(f"{server.url}/workshops/{payments.id}/edit")
    page.click("[data-test=delete-workshop]")
    page.wait_for_url(f"{server.url}/workshops/{payments.id}/delete")
    goes = page.locator("[data-test=what-goes]").inner_text()
    assert "Delete the Payments workshop?" in page.locator("h1").inner_text()
    assert "1 sticky" in goes and "1 participant" in goes and "cannot be undone" in goes
    page.screenshot(path=str(output_dir / "workshop-delete.png"), full_page=True)
    ui.axe(page)  # the confirmation page
    page.click("form[data-test=confirm-delete] button[type=submit]")
    page.wait_for_url(base)
    assert page.locator(f"#w{payments.id}").count() == 0 and page.locator(f"#w{search.id}").count() == 1
    assert "The Payments workshop is deleted, with 1 sticky." in page.locator(".flash").first.inner_text()

    # a member is removed after the browser asks
    setup_token = setup._csrf("/users")
    added = setup.http.post(server.url + "/users", data={"csrf_token": setup_token, "name": "Pat Owner",
                                                          "email": "pat@example.com", "role": "product_owner"})
    assert added.status_code == 200, added.text[:300]
    page.goto(base + "#people")
    page.fill("#people input[name=email]", "pat@example.com")
    page.click("#people button:text('Add')")
    page.wait_for_selector("[data-test=members] li:has-text('Pat Owner')")
    page.click("[data-test=members] button[aria-label='Remove Pat Owner']")
    ui.axe(page)  # the open confirmation dialog too
    asked = ui.answer_confirm(page)
    page.wait_for_selector("text=Pat Owner no longer sees this discovery")
    assert "Remove Pat Owner from Path to production?" in asked
    assert page.locator("[data-test=members] li").count() == 1

    # and the discovery goes, after its own page
    page.goto(f"{base}/edit")
    page.click("[data-test=delete-discovery]")
    goes = page.locator("[data-test=what-goes]").inner_text()
    assert "1 workshop" in goes and "no stickies" in goes
    page.click("form[data-test=confirm-delete] button[type=submit]")
    page.wait_for_url(server.url + "/")
    assert "Discovery 'Path to production' is deleted" in page.locator(".flash").first.inner_text()
    assert page.locator("text=Path to production").count() == 1  # the message only
    assert page.goto(base).status == 404
    ctx.close()
    assert errors == []


@pytest.mark.parametrize("width", [1280, 1440])
def test_every_workshop_row_fits_a_laptop_screen(browser, server, output_dir, ui, width):
    """A facilitator's walkthrough at 1440 px saw Close and Reopen cut to "C" and "R": the workshops
    table ran wider than its card and hid its last column behind a scroll bar."""
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery()
    for team in ("Payments", "Search and discovery platform", "Identity"):
        setup.workshop(discovery_id, team=team)
    ctx = ui.signed_in_context(browser, server.url, setup.http, width=width)
    page = ctx.new_page()
    page.goto(f"{server.url}/discoveries/{discovery_id}")
    scroll = page.locator(".table-scroll")
    overflow = scroll.evaluate("(el) => el.scrollWidth - el.clientWidth")
    page.screenshot(path=str(output_dir / f"discovery-rows-{width}.png"))
    assert overflow <= 1, f"the workshops table is {overflow}px wider than its card at {width}px"
    box = scroll.bounding_box()
    for button in page.locator("td.actions-cell .button").all():
        b = button.bounding_box()
        assert b["x"] >= box["x"] and b["x"] + b["width"] <= box["x"] + box["width"] + 1, button.inner_text()
    ctx.close()


def test_a_link_to_a_workshop_row_lands_below_the_sticky_header(browser, server, ui):
    """Saving a workshop returns to the discovery page at its row (#w<id>); a walkthrough saw the row
    and the breadcrumb hidden under the sticky header."""
    from tests.browser.conftest import SetUp
    setup = SetUp(server.url)
    setup.admin()
    discovery_id = setup.discovery()
    workshops = [setup.workshop(discovery_id, team=f"Team {i}") for i in range(8)]
    ctx = ui.signed_in_context(browser, server.url, setup.http)
    page = ctx.new_page()
    page.set_viewport_size({"width": 1280, "height": 500})
    target = workshops[5]
    page.goto(f"{server.url}/discoveries/{discovery_id}#w{target.id}")
    page.wait_for_function("() => window.scrollY > 0")
    header = page.locator(".topbar").bounding_box()
    row = page.locator(f"#w{target.id}").bounding_box()
    assert row["y"] >= header["y"] + header["height"], (row, header)
