"""The board as people expect a whiteboard to behave (issue 14): undo and redo in multiplayer, moving
anyone's sticky, several stickies at once, copy and paste across the discovery's boards, follow and
summon, search, readable at the default view, Tidy. Two or more browser contexts where others are
involved."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SERVER = "() => Object.fromEntries([...window.__board.state.stickiesServer.values()].map(s => [s.id, [s.text, s.x, s.y]]))"


def server_sticky(page, text: str) -> dict:
    return page.evaluate("(t) => [...window.__board.state.stickiesServer.values()].find(s => s.text === t) || null", text)


def centre_of(page, text: str) -> tuple[float, float]:
    box = page.locator(".sticky", has=page.locator(".sticky-text", has_text=text)).locator(".sticky-body").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page, start, end, steps=8, modifiers=()):
    for key in modifiers:
        page.keyboard.down(key)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()
    for key in modifiers:
        page.keyboard.up(key)


def record_ops_messages(page) -> None:
    page.evaluate("""() => { const s = window.__board.socket; const emit = s.emit.bind(s); window.__sent = [];
        s.emit = (event, ...args) => { if (event === 'ops') window.__sent.push(args[0].ops.map(o => o.type)); return emit(event, ...args); }; }""")


def test_undo_and_redo_are_mine_per_field_skip_what_others_changed_and_restore_exactly(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ui.add_sticky_by_hand(ana, "event", "Ticket raised", 0.2, 0.3)
    sticky = ui.sticky(ana, "Ticket raised")
    sticky.click()
    ana.keyboard.press("Enter")
    ana.locator(".editor-text").fill("Ticket raised in Jira")
    ana.keyboard.press("Enter")
    ui.wait_settled(ana)
    # the facilitator moves Ana's sticky meanwhile: Ana's undo takes back her text, not their move
    sid = server_sticky(ana, "Ticket raised in Jira")["id"]
    fac.evaluate("(id) => window.__board.send({type: 'sticky.update', sticky_id: id, changes: {x: 0.5, y: 0.6}})", sid)
    ana.wait_for_function("(id) => window.__board.state.stickiesServer.get(id).x === 0.5", arg=sid)
    ana.keyboard.press("Control+z")
    ui.wait_settled(ana)
    s = server_sticky(ana, "Ticket raised")
    assert s and (s["x"], s["y"]) == (0.5, 0.6)
    ana.keyboard.press("Control+Shift+z")
    ui.wait_settled(ana)
    assert server_sticky(ana, "Ticket raised in Jira")["x"] == 0.5
    # an entry whose field someone else changed since is skipped: the facilitator rewrites the text
    fac.evaluate("(id) => window.__board.send({type: 'sticky.update', sticky_id: id, changes: {text: 'Ticket raised (ServiceNow)'}})", sid)
    ana.wait_for_function("(id) => window.__board.state.stickiesServer.get(id).text.includes('ServiceNow')", arg=sid)
    ana.keyboard.press("Control+z")  # her edit of the text: skipped; then her creation: changed since, skipped
    ui.wait_settled(ana)
    assert server_sticky(ana, "Ticket raised (ServiceNow)") is not None

    # undo n times then redo n times restores the board exactly; one drag is one step
    ui.add_sticky_by_hand(ana, "event", "Access granted", 0.3, 0.5)
    ui.add_sticky_by_hand(ana, "event", "Laptop arrives", 0.45, 0.5)
    drag(ana, centre_of(ana, "Access granted"), (centre_of(ana, "Access granted")[0] + 120, centre_of(ana, "Access granted")[1] + 40))
    ui.wait_settled(ana)
    ui.sticky(ana, "Laptop arrives").click()
    ana.keyboard.press("Delete")  # no confirmation: undo brings it back
    ui.wait_settled(ana)
    expect(ana.locator("#confirm-dialog")).not_to_be_visible()
    expect(ui.sticky(ana, "Laptop arrives")).to_have_count(0)
    after = ana.evaluate(SERVER)
    for _ in range(4):
        ana.keyboard.press("Control+z")
        ui.wait_settled(ana)
    assert list(ana.evaluate(SERVER).values()) == [["Ticket raised (ServiceNow)", 0.5, 0.6]]
    for _ in range(4):
        ana.keyboard.press("Control+y")
        ui.wait_settled(ana)
    assert ana.evaluate(SERVER) == after
    expect(ui.sticky(fac, "Laptop arrives")).to_have_count(0)
    # the facilitator's screen agrees (an undo is an op like any other), and a new edit clears redo
    ana.keyboard.press("Control+z")  # the delete: "Laptop arrives" is back, for everyone
    expect(ui.sticky(fac, "Laptop arrives")).to_be_visible()
    ui.add_sticky_by_hand(ana, "event", "Onboarding call", 0.6, 0.3)
    before_redo = ana.evaluate(SERVER)
    ana.keyboard.press("Control+y")
    expect(ana.locator(".toast").last).to_contain_text("Nothing to redo")
    assert ana.evaluate(SERVER) == before_redo
    # votes are not undoable, and the UI says so
    assert "Votes, phases, the timer, the reveal and the lock are not undone" in ana.locator("#undo").get_attribute("title")


def test_anyone_moves_any_sticky_and_only_its_author_or_the_facilitator_edits_its_text(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana")
    ben = pages.guest("Ben")
    ui.add_sticky_by_hand(ana, "event", "Budget approved", 0.3, 0.3)
    expect(ui.sticky(ben, "Budget approved")).to_be_visible()
    start = centre_of(ben, "Budget approved")
    drag(ben, start, (start[0] + 160, start[1] + 60))
    ui.wait_settled(ben)
    moved = server_sticky(ben, "Budget approved")
    assert moved["x"] > 0.32
    ana.wait_for_function("(x) => [...window.__board.state.stickiesServer.values()][0].x === x", arg=moved["x"])
    # Ben cannot change its text: it opens read-only, and says who can (issue 26: it was a toast)
    ui.sticky(ben, "Budget approved").dblclick()
    expect(ben.locator(".editor-text")).to_have_count(0)
    expect(ben.locator(".sticky-reader .reader-why")).to_contain_text("Only Ana")
    expect(ben.locator(".sticky-reader .reader-why")).to_contain_text("anyone can move it")


def test_several_stickies_move_together_in_one_message_and_paste_onto_another_board_of_the_discovery(pages, ui, output_dir):
    fac = pages.facilitator(viewport={"width": 1440, "height": 900})
    ui.set_phase(fac, "map")
    for text, x in (("Repo created", 0.30), ("Pipeline green", 0.36), ("Staging deploy", 0.42)):
        ui.add_sticky(fac, "event", text, x, 0.35)
    ui.wait_settled(fac)
    expect(ui.sticky(fac, "Staging deploy")).to_be_visible()
    ui.sticky(fac, "Repo created").click()
    ui.sticky(fac, "Pipeline green").click(modifiers=["Shift"])
    assert fac.evaluate("() => window.__board.renderer.selection.length") == 2
    expect(fac.locator(".sel-count")).to_have_text("2 selected")
    record_ops_messages(fac)
    before = {t: server_sticky(fac, t) for t in ("Repo created", "Pipeline green", "Staging deploy")}
    start = centre_of(fac, "Pipeline green")
    drag(fac, start, (start[0] + 90, start[1] + 120))
    ui.wait_settled(fac)
    assert fac.evaluate("() => window.__sent") == [["sticky.update", "sticky.update"]]  # one message
    after = {t: server_sticky(fac, t) for t in before}
    for t in ("Repo created", "Pipeline green"):
        assert after[t]["y"] > before[t]["y"] + 0.05
    assert after["Staging deploy"]["y"] == before["Staging deploy"]["y"]
    fac.keyboard.press("Control+z")  # the multi-move is one step
    ui.wait_settled(fac)
    assert all(server_sticky(fac, t)["y"] == before[t]["y"] for t in before)

    # Shift+drag on the empty board draws a box; a plain drag on it pans
    a, c = centre_of(fac, "Repo created"), centre_of(fac, "Staging deploy")
    drag(fac, (a[0] - 110, a[1] - 110), (c[0] + 110, c[1] + 110), modifiers=["Shift"])
    assert fac.evaluate("() => window.__board.renderer.selection.length") == 3
    fac.screenshot(path=str(output_dir / "board-multiselect-3.png"))
    fac.keyboard.press("Control+c")
    view = fac.evaluate("() => window.__board.viewport.view()")
    drag(fac, (a[0] - 40, a[1] + 150), (a[0] + 60, a[1] + 120))
    fac.wait_for_timeout(100)  # the view moves on the next frame
    assert fac.evaluate("() => window.__board.viewport.view()") != view
    assert fac.evaluate("() => window.__board.renderer.selection.length") == 0

    # Ctrl+D duplicates here; Ctrl+V pastes on another board of the same discovery
    ui.sticky(fac, "Repo created").click()
    fac.keyboard.press("Control+d")
    expect(ui.sticky(fac, "Repo created")).to_have_count(2)
    ui.wait_settled(fac)
    from tests.browser.conftest import SetUp
    setup = SetUp(pages.server.url)
    setup.http = pages.workshop.http
    other = setup.workshop(pages.workshop.discovery_id, team="Billing")
    billing = fac.context.new_page()
    billing.goto(other.board_url)
    ui.wait_ready(billing)
    billing.click(".step-btn[data-phase='map']")
    ui.wait_settled(billing)
    billing.locator("#viewport").focus()
    billing.keyboard.press("Control+v")
    ui.wait_settled(billing)
    for text in ("Repo created", "Pipeline green", "Staging deploy"):
        expect(ui.sticky(billing, text)).to_have_count(1)
    assert billing.evaluate("() => window.__board.renderer.selection.length") == 3
    billing.keyboard.press("Delete")  # a multi-delete, without confirmation
    ui.wait_settled(billing)
    assert billing.evaluate("() => window.__board.state.stickiesServer.size") == 0
    billing.close()


def test_follow_someone_and_the_facilitator_brings_everyone_to_their_view(pages, ui, output_dir):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ui.add_sticky(fac, "event", "Go-live", 0.85, 0.3)
    ana = pages.guest("Ana")
    ana.locator("button.avatar", has_text="Follow Fran").click()
    expect(ana.locator("#follow-banner")).to_be_visible()
    expect(ana.locator("#follow-banner")).to_contain_text("Following Fran")
    fac.evaluate("() => { const [px, py] = window.__board.geometry.toWorld(0.85, 0.3); window.__board.viewport.centreOn(px, py); }")
    fac.wait_for_timeout(400)
    target = fac.evaluate("() => window.__board.viewport.view()")
    ana.wait_for_function("(t) => Math.abs(window.__board.viewport.view().x - t.x) < 0.01", arg=target)
    ana.screenshot(path=str(output_dir / "board-following.png"))
    # Ana's own pan ends it
    ana.mouse.move(700, 600)
    ana.mouse.down()
    ana.mouse.move(600, 500, steps=5)
    ana.mouse.up()
    expect(ana.locator("#follow-banner")).to_be_hidden()
    fac.evaluate("() => window.__board.viewport.zoomBy(1.5)")
    fac.wait_for_timeout(300)
    assert abs(ana.evaluate("() => window.__board.viewport.view().zoom") - fac.evaluate("() => window.__board.viewport.view().zoom")) > 0.05
    # "Bring everyone here"
    fac.click("[data-action='summon']")
    target = fac.evaluate("() => window.__board.viewport.view()")
    ana.wait_for_function("(t) => Math.abs(window.__board.viewport.view().zoom - t.zoom) < 0.01", arg=target)
    expect(ana.locator("#follow-banner")).to_contain_text("brought everyone here")


def test_search_highlights_the_matches_and_steps_through_them(pages, ui):
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    ui.add_sticky(fac, "event", "Wait for the firewall ticket", 0.1, 0.3)
    ui.add_sticky(fac, "event", "Deploy to staging", 0.5, 0.3)
    ui.add_sticky(fac, "pain", "Firewall rules take weeks", 0.9, 0.6)
    ui.wait_settled(fac)
    fac.locator("#viewport").click(position={"x": 600, "y": 500})
    fac.keyboard.press("Control+f")
    expect(fac.locator(".search-input")).to_be_focused()
    fac.keyboard.type("firewall")
    expect(fac.locator(".sticky.search-match")).to_have_count(2)
    expect(fac.locator(".search-count")).to_have_text("1 of 2")
    expect(fac.locator(".sticky.search-current .sticky-text")).to_have_text("Wait for the firewall ticket")
    fac.keyboard.press("Enter")
    expect(fac.locator(".search-count")).to_have_text("2 of 2")
    # brought into view (the view glides there: wait for it rather than read it mid-way)
    fac.wait_for_function("""() => {
        const c = document.querySelector('.sticky.search-current .sticky-body').getBoundingClientRect();
        const v = document.querySelector('#viewport').getBoundingClientRect();
        const x = c.x + c.width / 2, y = c.y + c.height / 2;
        return v.x < x && x < v.x + v.width && v.y < y && y < v.y + v.height;
    }""", timeout=5000)
    fac.keyboard.press("Escape")
    expect(fac.locator(".sticky.search-match")).to_have_count(0)


def test_readable_at_the_default_view_and_the_facilitator_tidies_overlaps_within_their_stage(pages, ui):
    size = {"width": 1280, "height": 800}
    fac = pages.facilitator(viewport=size)
    ui.set_phase(fac, "map")
    ana = pages.guest("Ana", viewport=size)
    ui.add_sticky(fac, "event", "Kick-off", 0.05, 0.2)
    ui.wait_settled(fac)
    for page in (fac, ana):
        expect(ui.sticky(page, "Kick-off")).to_be_visible()
        px = page.evaluate("""() => { const t = document.querySelector('.sticky .sticky-text');
            const a = document.querySelector('.sticky .sticky-author');
            const k = window.__board.viewport.scale;
            return [parseFloat(getComputedStyle(t).fontSize) * k, parseFloat(getComputedStyle(a).fontSize) * k]; }""")
        assert px[0] >= 11 and px[1] >= 9.5, px
        board = page.locator(".board-area").bounding_box()
        assert board["height"] >= 0.75 * size["height"], board
    # Tidy: four stickies piled up in stage 2 are laid out, none leaves the stage; Ctrl+Z puts them back
    for i in range(4):
        ui.add_sticky(fac, "event", f"Pile {i}", 0.25 + i * 0.004, 0.4 + i * 0.01)
    ui.wait_settled(fac)
    before = {s["text"]: s for s in fac.evaluate("() => [...window.__board.state.stickiesServer.values()]")}
    fac.click("[data-action='tidy']")
    ui.wait_settled(fac)
    boxes = fac.evaluate("""() => [...document.querySelectorAll('.sticky')].filter(e => e.textContent.includes('Pile'))
        .map(e => { const r = e.querySelector('.sticky-body').getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })""")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    stage = fac.evaluate("() => [...window.__board.state.stickiesServer.values()].filter(s => s.text.startsWith('Pile')).map(s => window.__board.geometry.stageAt(s.x))")
    assert set(stage) == {1}
    assert server_sticky(fac, "Kick-off")["x"] == before["Kick-off"]["x"]  # nothing overlapped it: not moved
    fac.keyboard.press("Control+z")
    ui.wait_settled(fac)
    for i in range(4):
        s = server_sticky(fac, f"Pile {i}")
        assert (s["x"], s["y"]) == (before[f"Pile {i}"]["x"], before[f"Pile {i}"]["y"])


FUZZ_STEP = """([seed, kind]) => {
  // one random action of this person, through the board's own verbs (the ones keys and gestures use)
  const b = window.__board, st = b.state, act = b.interactions.actions, h = b.interactions.history;
  let r = seed;
  const rnd = () => { r = (r * 1103515245 + 12345) % 2147483648; return r / 2147483648; };
  const ids = [...st.stickyIds()].filter((id) => st.sticky(id));
  const mine = ids.filter((id) => st.sticky(id).author_id === st.me.id);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  if (kind < 0.25 || !ids.length) {
    act.create([{ id: crypto.randomUUID(), kind: 'event', text: 'S' + Math.floor(rnd() * 1000), x: rnd(), y: rnd() }]);
  } else if (kind < 0.45) {
    const some = ids.filter(() => rnd() < 0.4).slice(0, 4);
    act.move((some.length ? some : [pick(ids)]).map((id) => ({ id, x: rnd(), y: rnd() })));
  } else if (kind < 0.55 && mine.length) {
    act.update(pick(mine), { text: 'T' + Math.floor(rnd() * 1000) });
  } else if (kind < 0.62 && mine.length) {
    act.remove([pick(mine)]);
  } else if (kind < 0.85) {
    h.undo();
  } else {
    h.redo();
  }
}"""

DOC = ("() => JSON.stringify([...window.__board.state.stickiesServer.values()].map(s => [s.id, s.text, s.x, s.y, s.deleted || false])"
       ".sort((a, b) => a[0] < b[0] ? -1 : 1))")


def caught_up(people) -> None:
    """Every page has every record the server committed so far (each one's own acks are in)."""
    last = max(page.evaluate("() => window.__board.state.lastSeq") for page in people)
    for page in people:
        page.wait_for_function("(n) => window.__board.state.lastSeq >= n", arg=last)


def test_seeded_fuzz_three_people_undo_and_redo_with_a_disconnect_and_end_with_the_same_board(pages, ui):
    import random
    rng = random.Random(int(__import__("os").environ.get("FUZZ_SEED", "1414")))
    fac = pages.facilitator()
    ui.set_phase(fac, "map")
    people = [fac, pages.guest("Ana"), pages.guest("Ben")]
    for step in range(60):
        page = rng.choice(people)
        if step == 25:  # one person drops off for a moment: their changes wait in the outbox
            people[1].evaluate("() => window.__board.socket.disconnect()")
        if step == 35:
            people[1].evaluate("() => window.__board.socket.connect()")
        page.evaluate(FUZZ_STEP, [rng.randrange(1, 2 ** 30), rng.random()])
        if rng.random() < 0.3:
            page.wait_for_timeout(rng.choice([0, 20, 60]))
    people[1].evaluate("() => window.__board.socket.connected || window.__board.socket.connect()")
    for page in people:
        ui.wait_ready(page)
        ui.wait_settled(page)
    caught_up(people)  # every broadcast has arrived everywhere
    docs = {page.evaluate(DOC) for page in people}
    assert len(docs) == 1, "the three boards differ"
    # undo n then redo n, with nothing between, gives the same board back: each person in turn makes
    # five changes of their own while the others wait, undoes them and redoes them
    for page in people:
        caught_up(people)
        for _ in range(5):
            page.evaluate(FUZZ_STEP, [rng.randrange(1, 2 ** 30), rng.random() * 0.62])
        ui.wait_settled(page)
        caught_up(people)
        before = page.evaluate(DOC)
        n = page.evaluate("""() => { const h = window.__board.interactions.history; let n = 0;
            while (n < 5 && h.canUndo) { const done = h.undo(); if (!done || !done.label) break; n += 1; } return n; }""")
        assert n == 5
        ui.wait_settled(page)
        page.evaluate("(n) => { const h = window.__board.interactions.history; for (let i = 0; i < n; i += 1) h.redo(); }", n)
        ui.wait_settled(page)
        after = page.evaluate(DOC)
        if after != before:
            import json
            a, b = {tuple(x) for x in json.loads(after)}, {tuple(x) for x in json.loads(before)}
            raise AssertionError(f"undo {n} then redo {n} changed the board: now {sorted(a - b)}, before {sorted(b - a)}")
    caught_up(people)
    assert len({page.evaluate(DOC) for page in people}) == 1
