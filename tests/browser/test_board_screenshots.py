"""A populated board, photographed for the README: the facilitator's view mid-session and the vote.

Also checks what the pictures show: every kind on the board, durations formatted, links drawn,
dots counted.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIZE = {"width": 1920, "height": 1200}

# stage centres for six stages: 1/12, 3/12, ...
C = [(2 * i + 1) / 12 for i in range(6)]

EVENTS = [
    ("Business case approved", C[0] - 0.035), ("Team formed", C[0] + 0.035),
    ("Architecture review booked", C[1] - 0.035), ("Cloud account requested", C[1] + 0.035),
    ("Repo and pipeline set up", C[2] - 0.035), ("First feature merged", C[2] + 0.035),
    ("Test environment provisioned", C[3] - 0.035), ("Pen test run by external vendor", C[3] + 0.035),
    ("Change approval board", C[4] - 0.035), ("Deployed to production", C[4] + 0.035),
    ("Dashboards and alerts set up", C[5] - 0.035), ("First users onboarded", C[5] + 0.035),
]
PAINS = [
    ("Nobody knows who signs off the budget", C[0], None),
    ("Waiting 3 weeks for a cloud account", C[1] + 0.035, "Cloud account requested"),
    ("Firewall rules need a ticket to another team", C[2] - 0.02, None),
    ("Shared test env is flaky and always booked", C[3] - 0.035, "Test environment provisioned"),
    ("CAB meets only on Thursdays", C[4] - 0.035, "Change approval board"),
    ("Alerts page the wrong team at night", C[5], None),
]
OPPORTUNITIES = [
    ("Self-service account vending", C[1] - 0.03),
    ("Ephemeral test env per pull request", C[3] + 0.035),
    ("Auto-approve low-risk changes", C[4] + 0.035),
]
SYSTEMS = [("Jira", C[0]), ("ServiceNow", C[1]), ("GitLab CI + Terraform", C[2]), ("Selenium grid", C[3]),
           ("ArgoCD", C[4]), ("Grafana + PagerDuty", C[5])]
TIMES = [("Account request", C[1], 21 * 1440), ("Pipeline run", C[2], 45), ("Env provisioning", C[3], 2 * 1440),
         ("CAB approval", C[4], 5 * 1440), ("Incident triage", C[5], 4 * 60)]
TEAMS = [("Finance", C[0]), ("Cloud Ops", C[1] - 0.03), ("Network", C[2]), ("Security", C[3] + 0.03),
         ("Release mgmt", C[4]), ("SRE", C[5])]
ROW = {"event": 0.08, "pain": 0.25, "opportunity": 0.42, "note": 0.42, "system": 0.58, "time": 0.74, "team": 0.9}


def populate(fac, ui) -> dict[str, str]:
    """About 40 stickies of every kind across the six stages, as a real session would leave them."""
    ids: dict[str, str] = {}
    for text, x in EVENTS:
        ids[text] = ui.add_sticky(fac, "event", text, x, ROW["event"])
    ui.wait_settled(fac)
    for text, x, link in PAINS:
        extra = {"link_to": ids[link]} if link else {}
        ids[text] = ui.add_sticky(fac, "pain", text, x, ROW["pain"], **extra)
    for text, x in OPPORTUNITIES:
        ids[text] = ui.add_sticky(fac, "opportunity", text, x, ROW["opportunity"])
    for text, x in SYSTEMS:
        ids[text] = ui.add_sticky(fac, "system", text, x, ROW["system"])
    for text, x, minutes in TIMES:
        ids[text] = ui.add_sticky(fac, "time", text, x, ROW["time"], duration_minutes=minutes)
    for text, x in TEAMS:
        ids[text] = ui.add_sticky(fac, "team", text, x, ROW["team"])
    ui.wait_settled(fac)
    ids["note1"] = ui.add_sticky(fac, "note", "Which approvals are regulatory, which are habit?", C[4] - 0.045,
                                 ROW["note"], link_to=ids["CAB meets only on Thursdays"])
    ids["note2"] = ui.add_sticky(fac, "note", "Three teams said this", C[2] + 0.035, ROW["note"],
                                 link_to=ids["Firewall rules need a ticket to another team"])
    ui.wait_settled(fac)
    return ids


def test_screenshots_of_a_populated_board(pages, ui, output_dir):
    fac = pages.facilitator(viewport=SIZE)
    ana = pages.guest("Ana Lima", "Payments", viewport=SIZE)
    ben = pages.guest("Ben Okafor", "Payments", viewport=SIZE)
    ui.set_phase(fac, "deepdive")
    ids = populate(fac, ui)
    for page in (fac, ana, ben):
        page.wait_for_function("(n) => window.__board.renderer.count() >= n", arg=len(ids))

    # what the picture must show
    expect(fac.locator(".sticky[data-kind='time'] .sticky-duration").first).to_have_text("3 wk")
    expect(fac.locator(".link-layer line")).to_have_count(5)
    for kind in ("event", "pain", "system", "time", "team", "opportunity", "note"):
        assert fac.locator(f".sticky[data-kind='{kind}']").count() > 0, kind

    # the room is busy: a timer, a guest's cursor, a selected sticky
    fac.fill(".fgroup input[aria-label='Timer minutes']", "12")
    fac.click("[data-action='timer-start']")
    ui.wait_settled(fac)
    expect(ana.locator("#timer")).to_be_visible()
    fac.click(".zoom-controls [data-zoom='fit']")
    ana.click(".zoom-controls [data-zoom='fit']")
    x, y = ui.board_point(ana, C[3], 0.52)
    ana.mouse.move(x - 40, y - 30)
    ana.mouse.move(x, y, steps=4)
    fac.wait_for_selector(".cursor:not(.idle) .cursor-name:text('Ana Lima')")
    fac.locator(".sticky", has=fac.locator(".sticky-text", has_text="CAB meets only")).click()
    fac.wait_for_timeout(300)
    shot = output_dir / "board-facilitator.png"
    fac.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-facilitator.png")

    # several stickies selected at once (Shift-click), ready to move, copy or delete together
    fac.keyboard.press("Escape")
    for text in ("Cloud account requested", "Waiting 3 weeks for a cloud account", "Self-service account vending",
                 "ServiceNow"):
        fac.locator(".sticky", has=fac.locator(".sticky-text", has_text=text)).click(modifiers=["Shift"])
    expect(fac.locator(".sel-count")).to_have_text("4 selected")
    fac.wait_for_timeout(200)
    shot = output_dir / "board-multiselect.png"
    fac.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-multiselect.png")
    fac.keyboard.press("Escape")

    # Ana follows the facilitator, who walks the room to the Test stage
    ana.locator("button.avatar", has_text="Follow Fran").click()
    fac.evaluate("(x) => { const b = window.__board; b.viewport.setView(x, 0.45, 0.9); b.viewport.panBy(0, 0); }", C[3])
    ana.wait_for_function("() => Math.abs(window.__board.viewport.view().zoom - 0.9) < 0.01")
    ana.wait_for_timeout(300)
    shot = output_dir / "board-follow.png"
    ana.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-follow.png")
    ana.locator(".follow-stop").click()

    # Ben reads the board as a list, stage by stage
    ben.locator("#list-open").click()
    expect(ben.locator("#listview caption").first).to_contain_text("Stage 1: Idea")
    ben.wait_for_timeout(200)
    shot = output_dir / "board-list.png"
    ben.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-list.png")
    ben.locator(".lv-close").click()

    # the vote: three dots each, a few placed; open voting here (hiding off), so the picture shows
    # everyone's dots (blind voting: tests/browser/test_board_blind_vote.py)
    fac.locator("#facilitator-bar [data-action=hide-votes]").click()
    fac.wait_for_function("() => window.__board.state.workshopServer.hide_votes === false")
    fac.fill("input[aria-label^='Vote budget']", "3")
    fac.press("input[aria-label^='Vote budget']", "Tab")
    ui.set_phase(fac, "vote")
    expect(ana.locator("#dots-left")).to_contain_text("dots left: 3 of 3")
    for page, targets in ((ana, ["Waiting 3 weeks for a cloud account", "Waiting 3 weeks for a cloud account",
                                 "CAB meets only on Thursdays"]),
                          (ben, ["Waiting 3 weeks for a cloud account", "Auto-approve low-risk changes"])):
        for text in targets:
            page.locator(".sticky", has=page.locator(".sticky-text", has_text=text)).click()
            ui.wait_settled(page)
    expect(ana.locator("#dots-left")).to_contain_text("dots left: 0 of 3")
    expect(ben.locator("#dots-left")).to_contain_text("dots left: 1 of 3")
    cloud = ben.locator(".sticky", has=ben.locator(".sticky-text", has_text="Waiting 3 weeks"))
    expect(cloud.locator(".dot")).to_have_count(3)
    expect(cloud.locator(".dot.mine")).to_have_count(1)
    # a dot taken back with alt-click
    ben.locator(".sticky", has=ben.locator(".sticky-text", has_text="Auto-approve")).click(modifiers=["Alt"])
    ui.wait_settled(ben)
    expect(ben.locator("#dots-left")).to_contain_text("dots left: 2 of 3")
    ben.locator(".sticky", has=ben.locator(".sticky-text", has_text="Auto-approve")).click()
    ui.wait_settled(ben)
    fac.wait_for_function("(id) => window.__board.state.sticky(id).votes === 1", arg=ids["Auto-approve low-risk changes"])
    ben.click(".zoom-controls [data-zoom='fit']")
    ben.wait_for_timeout(300)
    shot = output_dir / "board-vote.png"
    ben.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-vote.png")

    # wrap-up: the board is read-only and everyone sees what the session produced
    ui.set_phase(fac, "wrapup")
    # the facilitator's bar says the board is read-only in this phase, not "Unlocked"
    lock = fac.locator("#facilitator-bar [data-action=lock]")
    expect(lock).to_have_text("Read-only")
    expect(lock).to_be_disabled()
    summary = ana.locator("#summary")
    expect(summary).to_be_visible(timeout=2000)
    total = len(ids)
    expect(summary.locator(".summary-lede")).to_have_text(f"{total} stickies from the facilitator, 5 dots placed.")
    voted = summary.locator(".summary-voted li")
    expect(voted.first).to_contain_text("Waiting 3 weeks for a cloud account")
    expect(voted.first).to_contain_text("3 dots · Plan")
    expect(voted).to_have_count(3)
    expect(summary.locator(".summary-bar")).to_have_count(6)
    expect(summary.locator(".summary-row", has_text="Account request")).to_contain_text("3 wk")
    ana.wait_for_timeout(300)
    shot = output_dir / "board-wrapup.png"
    ana.screenshot(path=str(shot))
    ui.publish_screenshot(shot, "board-wrapup.png")
    # a most-voted item shows its sticky on the board
    voted.first.locator(".summary-link").click()
    ana.wait_for_function("(id) => window.__board.renderer.selected === id", arg=ids["Waiting 3 weeks for a cloud account"])
    ana.wait_for_timeout(300)
    # centred in the part of the board that neither the palette nor the summary covers
    shown = ana.locator(".sticky.selected").bounding_box()
    palette = ana.locator("#palette").bounding_box()
    panel = summary.bounding_box()
    middle = (palette["x"] + palette["width"] - 8 + panel["x"] - 14) / 2
    assert abs(shown["x"] + shown["width"] / 2 - middle) < 40, (shown, palette, panel)
    # folded away to look at the board, and back
    summary.locator(".summary-fold").click()
    expect(summary).to_be_hidden()
    ana.click(".summary-reopen")
    expect(summary).to_be_visible()
