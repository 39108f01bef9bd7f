"""Issue 26, the board: what a walkthrough stumbled on. A sticky's kind changed in place (7), someone
else's long sticky read in full (8), a note in the deep-dive for everyone (9), a time sticky saying
while it is typed whether it has a duration (12), the follow banner beside the list view (11), the
admin opening the demo (13), a phone voting from the list (10)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LONG = ("Security review by the central team takes two weeks because every change, however small, needs a "
        "ticket, a meeting slot on Thursdays and a signed PDF from the architect on duty, who is often away")


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def server_sticky(page, text):
    return page.evaluate("(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text === t) || null", text)


def shot(page, output_dir, name):
    page.screenshot(path=str(output_dir / name))


def test_kind_change_long_text_notes_and_the_duration_hint(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "context")
    ann = pages.guest("Ann")
    bob = pages.guest("Bob")

    # 12: a time sticky says while it is typed whether it has a duration, in the words people write
    ann.click(".palette-item[data-kind='time']")
    sx, sy = ui.board_point(ann, 0.45, 0.3)
    ann.mouse.dblclick(sx, sy)
    hint = ann.locator(".sticky.draft .editor-duration-hint")
    expect(hint).to_contain_text("No duration yet")
    ann.keyboard.type("Waiting for the CAB, anderthalb Wochen")
    expect(hint).to_have_text("Takes 1.5 wk (from the text).")
    shot(ann, output_dir, "frictions-duration-hint-1440.png")
    ann.keyboard.press("Enter")
    ui.wait_settled(ann)
    assert server_sticky(ann, "Waiting for the CAB, anderthalb Wochen")["duration_minutes"] == 15120

    # 7: "Security review 2d" written while the palette was on System becomes a time sticky in place
    sid = ui.add_sticky(ann, "system", "Security review 2d", 0.3, 0.3)
    ui.wait_settled(ann)
    node = ann.locator(f".sticky[data-id='{sid}']")
    node.click()
    select = ann.locator(".sel-kind-select")
    expect(select).to_be_visible()
    before = server_sticky(ann, "Security review 2d")
    select.select_option("time")
    ui.wait_settled(ann)
    after = server_sticky(ann, "Security review 2d")
    assert (after["kind"], after["duration_minutes"]) == ("time", 2880)
    assert (after["x"], after["y"], after["id"]) == (before["x"], before["y"], before["id"])
    expect(node).to_have_class(__import__("re").compile(r"\bk-time\b"))
    expect(node.locator(".sticky-duration")).to_have_text("2 d")
    expect(bob.locator(f".sticky[data-id='{sid}']")).to_have_class(__import__("re").compile(r"\bk-time\b"))
    # Bob is not its author: no kind to change for him
    bob.locator(f".sticky[data-id='{sid}']").click()
    expect(bob.locator(".sel-kind")).to_be_hidden()
    bob.keyboard.press("Escape")
    # the kind change is one undo step: back to a system, without the duration
    ann.locator("#viewport").focus()
    ann.click("#undo")
    ui.wait_settled(ann)
    undone = server_sticky(ann, "Security review 2d")
    assert (undone["kind"], undone["duration_minutes"]) == ("system", None)
    node.click()
    shot(ann, output_dir, "frictions-kind-1440.png")
    ann.keyboard.press("Escape")
    # the list view changes a kind too (it does what the canvas does), offering the kinds the phase takes
    ann.click("#list-open")
    kind = ann.locator(f"#listview tr[data-id='{sid}'] select.lv-kind-select")
    assert kind.locator("option").all_inner_texts() == ["System", "Time taken", "Team"]
    kind.select_option("team")
    ui.wait_settled(ann)
    assert server_sticky(ann, "Security review 2d")["kind"] == "team"
    ann.click("#listview .lv-close")
    # and the keyboard: Alt+K turns the focused sticky into the next kind the phase takes
    node.focus()
    ann.keyboard.press("Alt+KeyK")
    ui.wait_settled(ann)
    assert server_sticky(ann, "Security review 2d")["kind"] == "system"

    # 8: Bob reads Ann's long sticky in full: a double-click opens it read-only, with why
    long_id = ui.add_sticky(ann, "system", LONG, 0.62, 0.3)
    ui.wait_settled(ann)
    bob_long = bob.locator(f".sticky[data-id='{long_id}']")
    expect(bob_long).to_have_attribute("title", LONG)
    bob_long.dblclick()
    reader = bob.locator(".sticky-reader")
    expect(reader.locator(".reader-text")).to_have_text(LONG)
    expect(reader.locator(".reader-why")).to_contain_text("Only Ann (who wrote it) or a facilitator")
    expect(bob.locator(".sticky.draft")).to_have_count(0)
    shot(bob, output_dir, "frictions-read-1440.png")
    bob.keyboard.press("Escape")
    expect(reader).to_have_count(0)
    assert server_sticky(bob, LONG)["text"] == LONG  # nothing changed
    # on a phone: the sticky's bar docks at the bottom instead of covering the stickies above it (10),
    # and "Read" opens the whole text
    cleo = pages.guest("Cleo", **PHONE)
    cleo.evaluate("(id) => { const b = window.__board, s = b.state.sticky(id); b.viewport.centreOn(...b.geometry.toWorld(s.x, s.y)); }",
                  long_id)
    cleo_long = cleo.locator(f".sticky[data-id='{long_id}']")
    cleo_long.locator(".sticky-text").tap()
    bar = cleo.locator("#selection-bar")
    expect(bar).to_be_visible()
    box, sticky_box = bar.bounding_box(), cleo_long.bounding_box()
    assert box["y"] >= sticky_box["y"] + sticky_box["height"], (box, sticky_box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390.5, box
    bar.locator(".sel-read").tap()
    expect(cleo.locator(".sticky-reader .reader-text")).to_have_text(LONG)
    cleo.screenshot(path=str(output_dir / "frictions-read-390.png"))
    cleo.locator(".sticky-reader .reader-close").tap()

    # 9: in the deep-dive everyone attaches a note from the sticky's bar
    ui.set_phase(fac, "deepdive")
    bob.wait_for_function("() => window.__board.state.phase().key === 'deepdive'")
    bob.locator(f".sticky[data-id='{sid}']").click()
    note = bob.locator(".sel-note")
    expect(note).to_be_visible()
    note.click()
    bob.wait_for_selector(".sticky.draft .editor-text")
    bob.keyboard.type("Who signs the PDF?")
    bob.keyboard.press("Enter")
    ui.wait_settled(bob)
    made = server_sticky(bob, "Who signs the PDF?")
    assert made["kind"] == "note" and made["link_to"] == sid and made["author_name"] == "Bob"
    # the guest cannot add a note outside the phases that take one
    ui.set_phase(fac, "context")
    bob.wait_for_function("() => window.__board.state.phase().key === 'context'")
    bob.locator(f".sticky[data-id='{sid}']").click()
    expect(bob.locator(".sel-note")).to_be_hidden()



def overlap(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] - 0.5 and b["x"] < a["x"] + a["width"] - 0.5 \
        and a["y"] < b["y"] + b["height"] - 0.5 and b["y"] < a["y"] + a["height"] - 0.5


def test_a_phone_votes_from_the_list_reads_the_phase_and_the_follow_banner_leaves_the_list_clear(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    for i, text in enumerate(["Idea written down", "Plan agreed", "Build green", "Tests pass", "Released", "Live"]):
        ui.add_sticky(fac, "event", text, (i + 0.5) / 6, 0.3)
    ui.add_sticky(fac, "pain", "Waiting 3 weeks for a cloud account", 0.2, 0.6)
    ui.add_sticky(fac, "opportunity", "Self-service accounts", 0.5, 0.6)
    ui.wait_settled(fac)
    ui.set_phase(fac, "vote")
    bob = pages.guest("Bob Ops", **PHONE)
    bob.wait_for_function("() => document.body.dataset.phase === 'vote'")

    # 10: the phase's instruction reads whole on a phone (it read "Place your do…")
    instruction = bob.locator("#phase-instruction")
    expect(instruction).to_have_text("Place your dots on the pain points and opportunities that matter most.")
    assert instruction.evaluate("(p) => p.scrollHeight <= p.clientHeight + 1 && p.scrollWidth <= p.clientWidth + 1")
    banner = bob.locator(".phase-banner").bounding_box()
    header = bob.locator(".bh").bounding_box()
    assert header["height"] + banner["height"] <= 0.2 * 844, (header, banner)
    # a narrow screen is offered the list to vote from; Fit's 16-px stickies are not the way
    offer = bob.locator("#list-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Vote from the list")
    bob.screenshot(path=str(output_dir / "frictions-phone-vote-390.png"))
    offer.click()
    listview = bob.locator("#listview")
    expect(listview).to_be_visible()
    expect(offer).to_be_hidden()
    row = listview.locator("tr", has_text="Waiting 3 weeks")
    row.locator("button", has_text="+ Dot").click()
    expect(row.locator(".lv-dots")).to_have_text("1 dot yours")
    bob.screenshot(path=str(output_dir / "frictions-phone-list-390.png"))
    bob.locator("#listview .lv-close").click()
    expect(listview).to_be_hidden()
    # the offer stays one tap away, and a wide screen is not offered it
    expect(offer).to_be_visible()
    expect(fac.locator("#list-offer")).to_be_hidden()

    # 11: following someone, the list view's header is below the banner, not under it
    bob.locator("button.avatar", has_text="Follow Fran").click()
    expect(bob.locator("#follow-banner")).to_be_visible()
    bob.click("#list-open")
    expect(listview).to_be_visible()
    head = bob.locator(".lv-head").bounding_box()
    assert not overlap(bob.locator("#follow-banner").bounding_box(), head), head
    bob.screenshot(path=str(output_dir / "frictions-phone-follow-list-390.png"))
    ana = pages.guest("Ana")
    ana.locator("button.avatar", has_text="Follow Fran").click()
    ana.click("#list-open")
    expect(ana.locator("#listview")).to_be_visible()
    assert not overlap(ana.locator("#follow-banner").bounding_box(), ana.locator(".lv-head").bounding_box())
    ana.screenshot(path=str(output_dir / "frictions-follow-list-1440.png"))


def test_a_person_who_asked_for_less_motion_gets_a_steady_board(pages):
    """prefers-reduced-motion: the pulsing "reconnecting" dot shows steady, fades and pops end at once;
    without the preference the dot pulses as before."""
    still = pages.facilitator(reduced_motion="reduce")
    moving = pages.guest("Ana", reduced_motion="no-preference")
    for page in (still, moving):
        page.evaluate("document.querySelector('.conn').dataset.status = 'reconnecting'")
    dot = "getComputedStyle(document.querySelector('.conn-dot'))"
    assert still.evaluate(f"{dot}.animationIterationCount") == "1"
    assert float(still.evaluate(f"{dot}.animationDuration").rstrip("s")) < 0.001
    assert moving.evaluate(f"{dot}.animationIterationCount") == "infinite"
    for page in (still, moving):
        page.evaluate("document.querySelector('.conn').dataset.status = 'connected'")
