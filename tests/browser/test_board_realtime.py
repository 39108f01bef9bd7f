"""The board in a real browser against the real server: what people see of each other's work."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_two_participants_see_each_others_sticky_within_a_second(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana", "Payments")
    ben = pages.guest("Ben")

    ui.add_sticky_by_hand(ana, "event", "Ticket raised for a new VM", 0.2, 0.3)
    expect(ui.sticky(ben, "Ticket raised for a new VM")).to_be_visible(timeout=1000)

    ui.add_sticky_by_hand(ben, "event", "Firewall change approved", 0.6, 0.5)
    expect(ui.sticky(ana, "Firewall change approved")).to_be_visible(timeout=1000)
    expect(ui.sticky(ana, "Firewall change approved").locator(".sticky-author")).to_have_text("Ben")


def test_a_drag_survives_a_reload(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    sticky_id = ui.add_sticky_by_hand(ana, "event", "Repo created", 0.2, 0.4)

    sx, sy = ui.board_point(ana, 0.2, 0.4)
    tx, ty = ui.board_point(ana, 0.7, 0.6)
    ana.mouse.move(sx, sy)
    ana.mouse.down()
    for i in range(1, 11):
        ana.mouse.move(sx + (tx - sx) * i / 10, sy + (ty - sy) * i / 10)
    ana.mouse.up()
    ui.wait_settled(ana)

    ana.reload()
    ui.wait_ready(ana)
    x, y = ana.evaluate("(id) => { const s = window.__board.state.sticky(id); return [s.x, s.y]; }", sticky_id)
    assert x == pytest.approx(0.7, abs=0.01)
    assert y == pytest.approx(0.6, abs=0.01)
    # the facilitator sees it there too
    ui.wait_ready(fac)
    fac.wait_for_function("(id) => Math.abs(window.__board.state.sticky(id)?.x - 0.7) < 0.01", arg=sticky_id)


def test_the_facilitators_phase_change_reaches_the_participant(pages, ui):
    fac = pages.facilitator()
    ana = pages.guest("Ana")
    expect(ana.locator("#phase-instruction")).to_contain_text("Welcome")

    ui.set_phase(fac, "pain")
    expect(ana.locator("#phase-instruction")).to_contain_text("pink pain points", timeout=2000)
    expect(ana.locator("#phase-label")).to_have_text("Pain points")
    # the palette follows the phase: pain points can be added, events cannot
    expect(ana.locator(".palette-item[data-kind='pain']")).to_be_enabled()
    expect(ana.locator(".palette-item[data-kind='event']")).to_be_disabled()


def test_a_guest_has_no_phase_controls_and_a_forged_phase_set_is_refused(pages, ui):
    fac = pages.facilitator()
    ana = pages.guest("Ana")
    expect(fac.locator("#facilitator-bar .step-btn")).to_have_count(7)
    expect(ana.locator("#facilitator-bar")).to_be_hidden()
    expect(ana.locator(".step-btn")).to_have_count(0)

    answer = ana.evaluate("""() => new Promise((resolve) => window.__board.socket.emit(
        "ops", {ops: [{id: crypto.randomUUID(), type: "phase.set", phase: "vote"}]}, resolve))""")
    assert answer["ok"] is True
    assert answer["results"][0]["ok"] is False
    assert answer["results"][0]["error"]["code"] == "not_facilitator"
    time.sleep(0.3)
    assert fac.evaluate("() => window.__board.state.workshop().phase") == "setup"


def test_the_page_reconnects_by_itself_after_a_server_restart_and_loses_nothing(pages, ui, server):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ben = pages.guest("Ben")
    ui.add_sticky_by_hand(ana, "event", "Before the restart", 0.3, 0.3)
    expect(ui.sticky(ben, "Before the restart")).to_be_visible(timeout=1000)

    server.kill()
    expect(ana.locator("#connection")).to_have_attribute("data-status", "reconnecting", timeout=5000)
    # a change made while the server is down waits in the outbox and says so
    ui.add_sticky(ana, "event", "While the server was down", 0.5, 0.5)
    expect(ana.locator("#connection .conn-text")).to_contain_text("1 unsent change")

    server.start()
    ui.wait_ready(ana, timeout=20_000)
    ui.wait_ready(ben, timeout=20_000)
    ui.wait_settled(ana)
    expect(ui.sticky(ben, "Before the restart")).to_be_visible()
    expect(ui.sticky(ben, "While the server was down")).to_be_visible(timeout=2000)

    ui.add_sticky_by_hand(ana, "event", "After the restart", 0.7, 0.3)
    expect(ui.sticky(ben, "After the restart")).to_be_visible(timeout=1000)

    # and a fresh page load agrees: everything was stored, once
    ben.reload()
    ui.wait_ready(ben)
    for text in ("Before the restart", "While the server was down", "After the restart"):
        expect(ui.sticky(ben, text)).to_have_count(1)


def test_hostile_sticky_text_is_shown_as_text(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    hostile = '<img src=x onerror="window.__xss=1">'
    ui.add_sticky_by_hand(ana, "event", hostile, 0.4, 0.4)
    for page in (ana, fac):
        sticky = ui.sticky(page, "onerror")
        expect(sticky).to_be_visible(timeout=2000)
        expect(sticky.locator(".sticky-text")).to_have_text(hostile)
        assert sticky.locator("img").count() == 0
        assert page.evaluate("() => window.__xss") is None
