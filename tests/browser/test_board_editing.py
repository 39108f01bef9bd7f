"""Small things a person does on the board that must not surprise them: resizing the window while
zoomed in, clearing a sticky's text."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_resize_keeps_the_zoom_and_the_point_in_the_middle_once_the_person_has_zoomed(pages, ui):
    fac = pages.facilitator(viewport={"width": 1280, "height": 800})
    ui.wait_ready(fac)
    fitted = fac.evaluate("() => window.__board.viewport.scale")

    for _ in range(3):
        fac.click("[data-zoom='in']")
    zoomed = fac.evaluate("() => window.__board.viewport.scale")
    assert zoomed == pytest.approx(fitted * 1.2 ** 3, rel=0.01)

    def centre() -> list[float]:
        return fac.evaluate("() => { const r = document.querySelector('#viewport').getBoundingClientRect();"
                            " return window.__board.viewport.toBoard(r.left + r.width / 2, r.top + r.height / 2); }")

    before = centre()
    fac.set_viewport_size({"width": 1100, "height": 600})  # a smaller window; on a phone, the keyboard
    fac.wait_for_timeout(300)
    assert fac.evaluate("() => window.__board.viewport.scale") == pytest.approx(zoomed)
    assert centre() == pytest.approx(before, abs=0.005)
    expect(fac.locator("#zoom-level")).to_have_text(f"{round(zoomed * 100)}%")

    # "Fit" hands the view back: the next resize fits the whole timeline to the new window again
    fac.click("[data-zoom='fit']")
    fac.set_viewport_size({"width": 1280, "height": 800})
    fac.wait_for_timeout(300)
    refitted = fac.evaluate("() => window.__board.viewport.scale")
    fac.click("[data-zoom='fit']")
    assert fac.evaluate("() => window.__board.viewport.scale") == pytest.approx(refitted, rel=0.01)
    assert refitted < fitted  # the board opens closer than Fit: readable (tests/browser/test_board_fluent.py)


def test_clearing_a_stickys_text_keeps_the_old_text_and_says_how_to_remove_it(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ui.add_sticky_by_hand(fac, "event", "Ticket raised", 0.3, 0.4)
    sticky = ui.sticky(fac, "Ticket raised")
    sticky.dblclick()  # a double-click on a sticky edits it (it does not start a new one)
    expect(fac.locator(".sticky.draft")).to_have_count(0)
    editor = fac.locator(".editor-text")
    expect(editor).to_have_value("Ticket raised")
    editor.fill("")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    expect(fac.locator(".toast").last).to_contain_text("press Delete")
    expect(ui.sticky(fac, "Ticket raised")).to_be_visible()
    # the server refuses an empty text from a client that does not check (and keeps the sticky's)
    result = fac.evaluate("""async () => {
        const s = [...window.__board.state.stickiesServer.values()].find(s => s.text === 'Ticket raised');
        return await new Promise((resolve) => window.__board.socket.timeout(5000).emit('ops',
            {ops: [{id: crypto.randomUUID(), type: 'sticky.update', sticky_id: s.id, changes: {text: ''}}]},
            (err, ack) => resolve(err ? String(err) : ack.results[0])));
    }""")
    assert result["ok"] is False and result["error"]["code"] == "empty_text"


def test_the_facilitator_sees_how_many_private_stickies_wait_for_the_reveal(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    fac.click("[data-action='private']")
    fac.wait_for_function("() => window.__board.state.workshopServer.private_writing === true")
    ana = pages.guest("Ana")
    ben = pages.guest("Ben")
    reveal = fac.locator("[data-action='reveal']")
    expect(reveal).to_have_text("Reveal")
    ui.add_sticky_by_hand(ana, "event", "Ticket raised", 0.2, 0.3)
    ui.add_sticky_by_hand(ben, "event", "Access granted", 0.5, 0.3)
    expect(reveal).to_have_text("Reveal 2")
    expect(ui.sticky(fac, "Ticket raised")).to_have_count(0)  # private until the reveal
    # a guest who reloads (a fresh snapshot) is counted in too, and a deleted one is counted out
    ben.reload()
    ui.wait_ready(ben)
    ben_sticky = ben.evaluate("() => [...window.__board.state.stickiesServer.values()].find(s => s.text === 'Access granted').id")
    ben.evaluate("(id) => window.__board.send({type: 'sticky.delete', sticky_id: id})", ben_sticky)
    expect(reveal).to_have_text("Reveal 1")
    fac.reload()
    ui.wait_ready(fac)
    expect(fac.locator("[data-action='reveal']")).to_have_text("Reveal 1")
    fac.click("[data-action='reveal']")
    expect(ui.sticky(fac, "Ticket raised")).to_be_visible()
    expect(fac.locator("[data-action='reveal']")).to_have_text("Reveal")


def test_a_double_click_beside_the_timeline_says_where_stickies_go(pages, ui):
    fac = pages.facilitator(viewport={"width": 1280, "height": 800})
    ui.wait_ready(fac)
    fac.click("[data-zoom='fit']")
    fac.click(".palette-item[data-kind='event']")
    # far below the timeline (board y 1.4): nothing is added, and the page says why
    fac.evaluate("() => { const b = window.__board; const [px, py] = b.geometry.toWorld(0.5, 1.0);"
                 " b.viewport.centreOn(px, py); }")
    fac.wait_for_timeout(100)
    x, y = ui.board_point(fac, 0.5, 1.4)
    fac.mouse.dblclick(x, y)
    expect(fac.locator(".toast").last).to_contain_text("Stickies go on the timeline")
    expect(fac.locator(".sticky.draft")).to_have_count(0)


def test_a_time_sticky_takes_the_duration_its_text_names(pages, ui):
    """A facilitator wrote "Security review 2d" on a time sticky and it showed "?": the duration
    field was left empty, as people do. An empty field now takes the text's duration; a typed one wins."""
    fac = pages.facilitator()
    ui.set_phase(fac, "context")
    ui.add_sticky_by_hand(fac, "time", "Security review 2d", 0.3, 0.6)
    ui.add_sticky_by_hand(fac, "time", "Waiting for CAB, 1 week", 0.5, 0.6, duration="3d")
    ui.add_sticky_by_hand(fac, "time", "Hand-over to ops", 0.7, 0.6)
    durations = fac.evaluate("() => Object.fromEntries([...window.__board.state.stickiesServer.values()]"
                             ".map(s => [s.text, s.duration_minutes]))")
    assert durations == {"Security review 2d": 2 * 1440, "Waiting for CAB, 1 week": 3 * 1440, "Hand-over to ops": None}
    expect(ui.sticky(fac, "Security review 2d").locator(".sticky-duration")).to_have_text("2 d")


def test_the_list_view_and_a_note_place_stickies_as_the_canvas_does(pages, ui):
    """A second walkthrough: "PSP onboarding 3 weeks" added from the list view (a phone's way) showed
    "?", and "+ Note" covered half of the sticky below the one it was for."""
    fac = pages.facilitator()
    ui.set_phase(fac, "context")
    fac.click("#list-open")
    form = fac.locator("form.lv-add")
    form.get_by_label("Kind").select_option("time")
    form.get_by_label("Text of the new sticky").fill("PSP onboarding 3 weeks")
    form.get_by_role("button", name="Add").click()
    ui.wait_settled(fac)
    durations = fac.evaluate("() => [...window.__board.state.stickiesServer.values()].map(s => s.duration_minutes)")
    assert durations == [3 * 10080]
    fac.click(".lv-close")
    # a note for a sticky with another one right where the note would go
    anchor = ui.add_sticky(fac, "event", "Sandbox access granted", 0.3, 0.3)
    ui.add_sticky(fac, "time", "Sprint wait 3 weeks", 0.3 + 0.035, 0.3 + 0.14, duration_minutes=30240)
    ui.wait_settled(fac)
    ui.sticky(fac, "Sandbox access granted").click()
    fac.click("button.sel-note")
    fac.keyboard.type("Only 2 security reviewers for 14 teams")
    fac.keyboard.press("Enter")
    ui.wait_settled(fac)
    boxes = fac.evaluate("""() => [...document.querySelectorAll('.sticky:not(.draft)')].map((el) => {
        const r = el.getBoundingClientRect(); return [el.textContent.slice(0, 20), r.left, r.top, r.right, r.bottom]; })""")
    note = next(b for b in boxes if b[0].startswith("Only 2"))
    for other in boxes:
        if other is not note:
            apart = note[3] <= other[1] or other[3] <= note[1] or note[4] <= other[2] or other[4] <= note[2]
            assert apart, (note, other)
    linked = fac.evaluate("(id) => [...window.__board.state.stickiesServer.values()].find(s => s.kind === 'note').link_to",
                          anchor)
    assert linked == anchor


def test_stickies_written_privately_at_one_spot_are_moved_apart_when_revealed(pages, ui):
    """A second walkthrough: after the reveal, "CAB meets only on Thursdays" sat wholly under another
    pain point, written privately at the same place by someone else."""
    fac = pages.facilitator()
    ui.set_phase(fac, "pain")
    fac.click("[data-action='private']")
    fac.wait_for_function("() => window.__board.state.workshopServer.private_writing === true")
    ana, ben = pages.guest("Ana"), pages.guest("Ben")
    ana.evaluate("() => window.__board.send({type: 'sticky.create', sticky: {id: crypto.randomUUID(), kind: 'pain',"
                 " text: 'Change tickets need 5 approvals', x: 0.42, y: 0.4}})")
    ben.evaluate("() => window.__board.send({type: 'sticky.create', sticky: {id: crypto.randomUUID(), kind: 'pain',"
                 " text: 'CAB meets only on Thursdays', x: 0.421, y: 0.405}})")
    expect(fac.locator("[data-action='reveal']")).to_have_text("Reveal 2")
    # what a screen reader hears on Ana's page: the reveal's own moves, not "Fran moved ‘CAB…’"
    ana.evaluate("""() => { window.__heard = []; const live = document.getElementById('live');
        new MutationObserver(() => window.__heard.push(live.textContent)).observe(live, {childList: true, subtree: true,
                                                                                  characterData: true}); }""")
    fac.click("[data-action='reveal']")
    expect(fac.locator(".toast").last).to_contain_text("that landed on others moved apart")
    ana.wait_for_function("() => window.__heard.some((t) => /revealed stick.* moved apart/.test(t))")
    assert not any("moved “" in t for t in ana.evaluate("() => window.__heard")), ana.evaluate("() => window.__heard")
    ui.wait_settled(fac)
    for page in (fac, ana):
        ui.wait_settled(page)
        page.wait_for_function("() => [...window.__board.state.stickiesServer.values()].length === 2")
        a, b = page.evaluate("""() => [...document.querySelectorAll('.sticky:not(.draft)')].map((el) => {
            const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)  # apart, for everyone
    fac.keyboard.press("Control+z")  # one step undoes it, as any Tidy
    ui.wait_settled(fac)
    spots = sorted(fac.evaluate("() => [...window.__board.state.stickiesServer.values()].map(s => [s.x, s.y])"))
    assert spots == [[0.42, 0.4], [0.421, 0.405]]
