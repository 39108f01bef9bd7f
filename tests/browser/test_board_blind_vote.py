"""Blind dot voting, as a facilitator expects it from Miro or Parabol: while the vote runs each
participant sees only their own dots, the facilitator how many are placed; leaving the vote phase
(or switching hiding off) shows every dot."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_votes_stay_hidden_until_the_vote_ends(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    ui.add_sticky(fac, "pain", "Flaky deploys on Fridays", 0.3, 0.35)
    ui.add_sticky(fac, "pain", "Slow code reviews", 0.55, 0.35)
    ui.wait_settled(fac)
    hide = fac.locator("#facilitator-bar [data-action=hide-votes]")
    expect(hide).to_have_text("On")  # new workshops vote blind
    expect(hide).to_have_attribute("aria-pressed", "true")
    ui.set_phase(fac, "vote")
    ana, ben = pages.guest("Ana"), pages.guest("Ben")
    expect(ana.locator("#private-note")).to_contain_text("you see only your own dots")

    flaky = {page: ui.sticky(page, "Flaky deploys") for page in (fac, ana, ben)}
    slow = {page: ui.sticky(page, "Slow code reviews") for page in (fac, ana, ben)}
    for _ in range(2):
        flaky[ana].locator(".sticky-text").click()
        ui.wait_settled(ana)
    slow[ben].locator(".sticky-text").click()
    ui.wait_settled(ben)

    # Ana sees her own two dots and how many she has left; Ben and the facilitator see none of hers
    expect(flaky[ana].locator(".dot.mine")).to_have_count(2)
    expect(ana.locator("#dots-left")).to_contain_text("dots left: 3 of 5")
    expect(slow[ana].locator(".dot")).to_have_count(0)
    expect(slow[ben].locator(".dot.mine")).to_have_count(1)
    expect(fac.locator("#private-note")).to_contain_text("3 dots placed so far")
    for page in (ben, fac):
        expect(flaky[page].locator(".dot")).to_have_count(0)
        assert "dot" not in (flaky[page].get_attribute("aria-label") or "")
    assert "2 dots of yours" in flaky[ana].get_attribute("aria-label")
    # nothing of Ana's dots reached Ben's browser at all (the server withholds them)
    assert ben.evaluate("(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text.startsWith(t)).votes",
                        "Flaky deploys") == 0
    # the list view tells the same
    ben.locator("#list-open").click()
    row = ben.locator("#listview tr", has=ben.locator("td", has_text="Flaky deploys"))
    expect(row.locator(".lv-dots")).to_have_text("dots hidden")
    expect(ben.locator("#listview tr", has=ben.locator("td", has_text="Slow code reviews")).locator(".lv-dots")).to_have_text("1 dot yours")
    ben.locator(".lv-close").click()
    for page, name in ((ana, "blind-vote-participant.png"), (fac, "blind-vote-facilitator.png")):
        page.wait_for_timeout(200)
        page.screenshot(path=str(output_dir / name))

    # the facilitator switches hiding off mid-vote: everyone sees every dot, live
    hide.click()
    ui.wait_settled(fac)
    expect(hide).to_have_text("Off")
    expect(flaky[ben].locator(".dot")).to_have_count(2)
    expect(flaky[ben].locator(".dot.mine")).to_have_count(0)
    hide.click()  # and on again
    ui.wait_settled(fac)
    expect(flaky[ben].locator(".dot")).to_have_count(0)

    # the room moves on: everyone sees all dots, and the wrap-up summary ranks them
    ui.set_phase(fac, "wrapup")
    expect(flaky[ben].locator(".dot")).to_have_count(2)
    expect(slow[ana].locator(".dot")).to_have_count(1)
    expect(flaky[fac].locator(".dot")).to_have_count(2)
    assert "2 dots" in flaky[ben].get_attribute("aria-label")
    summary = ben.locator(".summary-voted li")
    expect(summary.first).to_contain_text("Flaky deploys on Fridays")
    expect(summary.first).to_contain_text("2 dots")
    ben.wait_for_timeout(300)
    ben.screenshot(path=str(output_dir / "blind-vote-wrapup.png"))


def test_the_room_sees_who_has_placed_all_their_dots_never_where(pages, ui, output_dir):
    """A facilitator waits for the last voter: each avatar says how many dots that person has placed
    (a tick when all), the facilitator's note counts who is done, and the facilitator hears once when
    everyone here is. Where the dots are stays hidden; a reload (the snapshot) tells the same."""
    fac = pages.facilitator()
    ui.set_phase(fac, "deepdive")
    ui.add_sticky(fac, "pain", "Flaky deploys on Fridays", 0.3, 0.35)
    ui.add_sticky(fac, "pain", "Slow code reviews", 0.55, 0.35)
    ui.wait_settled(fac)
    ui.set_phase(fac, "vote")
    ana, ben = pages.guest("Ana"), pages.guest("Ben")
    note = fac.locator("#private-note")
    expect(note).to_contain_text("0 of 3 here have placed all their dots")

    def vote(page, text, times):
        sticky = ui.sticky(page, text)
        for _ in range(times):
            sticky.locator(".sticky-text").click()
            ui.wait_settled(page)

    vote(ana, "Flaky deploys", 3)
    vote(ana, "Slow code reviews", 2)
    expect(note).to_contain_text("1 of 3 here has placed all their dots")
    ana_on_fac = fac.locator('#avatars .avatar[data-name="Ana"]')
    expect(ana_on_fac.locator(".avatar-voted")).to_have_count(1)
    expect(ana_on_fac).to_have_attribute("title", "Ana · Payments · has placed all their dots: click to follow their view")
    expect(fac.locator('#avatars .avatar[data-name="Ben"]')).to_have_attribute(
        "title", "Ben · Payments · 0 of 5 dots placed: click to follow their view")
    expect(ben.locator('#avatars .avatar[data-name="Ana"] .avatar-voted')).to_have_count(1)  # everyone sees it
    for page in (ben, fac):  # but not where her dots are
        expect(ui.sticky(page, "Flaky deploys").locator(".dot")).to_have_count(0)

    vote(ben, "Slow code reviews", 2)
    expect(fac.locator('#avatars .avatar[data-name="Ben"]')).to_have_attribute(
        "title", "Ben · Payments · 2 of 5 dots placed: click to follow their view")
    vote(ben, "Flaky deploys", 3)
    expect(note).to_contain_text("2 of 3 here have placed all their dots")
    # a reload rebuilds the counts from the snapshot
    ben.reload()
    expect(ben.locator('#avatars .avatar[data-name="Ana"] .avatar-voted')).to_have_count(1)
    expect(ben.locator("#avatars .avatar.me .avatar-voted")).to_have_count(1)

    vote(fac, "Slow code reviews", 5)
    expect(fac.locator(".toast", has_text="Everyone here (3) has placed all their dots.")).to_have_count(1)
    expect(note).to_contain_text("all 3 here have placed all their dots")
    fac.wait_for_timeout(200)
    fac.screenshot(path=str(output_dir / "blind-vote-everyone-done.png"))
    # one dot taken back: not everyone any more
    ui.sticky(ana, "Flaky deploys").locator(".sticky-text").click(modifiers=["Alt"])
    expect(note).to_contain_text("2 of 3 here have placed all their dots")
    expect(ana_on_fac.locator(".avatar-voted")).to_have_count(0)
