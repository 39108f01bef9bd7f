// The board by keyboard alone: one sticky at a time is in the tab order (a roving tabindex, in
// timeline order: stage by stage, then column by column, top to bottom); arrows move the focus, Alt (or
// Ctrl/Cmd) + arrows move the focused or selected stickies (with Shift, ← → into the previous / next
// stage); Enter edits; N adds a sticky of the palette's kind below the focus (where it covers no
// other); K picks the next kind; Delete removes; V places a dot, Shift+V takes one back; Ctrl+Z /
// Ctrl+Shift+Z / Ctrl+Y undo and redo; Ctrl+C/X/V/D copy, cut, paste, duplicate; Ctrl+A selects all;
// Ctrl+F searches; ? shows all of this.
import { el } from "./format.js";
import { freeSpot, stageMoves } from "./tidy.js";

export const KEYS = [
  ["Tab", "Into the board, then to the next control"],
  ["← → ↑ ↓", "Move the focus from sticky to sticky (timeline order; ↑ ↓ within a stage)"],
  ["Home / End", "First / last sticky on the timeline"],
  ["Alt + arrows (or Ctrl + arrows)", "Move the focused or selected stickies a little"],
  ["Shift + Alt + ← / →", "Move them into the previous / next stage (to a free place there)"],
  ["Shift + Alt + ↑ / ↓", "Move them further up / down"],
  ["Enter", "Edit the focused sticky's text (Esc cancels, Enter saves)"],
  ["N", "Add a sticky of the palette's kind below the focus (at the nearest free place)"],
  ["K / Shift+K", "Pick the next / previous kind in the palette"],
  ["Alt+K / Shift+Alt+K", "Change the focused sticky into the next / previous kind (its text, place, dots and links stay)"],
  ["Shift + arrows", "Add the next sticky to the selection"],
  ["Delete", "Delete the focused or selected stickies (Ctrl+Z brings them back)"],
  ["V / Shift+V", "Place a dot / take a dot back (vote phase)"],
  ["Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y", "Undo / redo your own changes (not votes, phases, the timer, the reveal or the lock)"],
  ["Ctrl+C, Ctrl+X, Ctrl+V, Ctrl+D", "Copy, cut, paste (also on another board of this discovery), duplicate"],
  ["Ctrl+A", "Select every sticky"],
  ["Ctrl+F", "Search the board (Enter: next match, Shift+Enter: previous)"],
  ["+ / − / 0 / 1", "Zoom in / out / fit the timeline / readable view"],
  ["L", "Switch between the board and the list view"],
  ["Space + drag", "Pan"],
  ["?", "This help"],
];

export function createKeyboard({ state, renderer, viewport, geometry, palette, actions, editor, selection, history,
  toast, announce, gestures, dom, link, hooks }) {
  const { viewportEl, stickyLayer, helpDialog } = dom;
  let current = null; // the sticky in the tab order

  const typing = (t) => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));

  /** Every visible sticky in timeline order: stage by stage; in a stage, column by column (a column is
   * a sticky's width and a gap: stickies stacked under one another are read together, top first, even
   * when a hand placed them a few pixels apart; a walkthrough heard a lane's lower stickies before the
   * event at the top because it stood 5 px further right). */
  const COLUMN_PX = 148; // tidy.js: a square sticky (136) and the gap (12)
  function column(s) {
    const stage = geometry.stageAt(s.x);
    return Math.floor((s.x * geometry.W - stage * (geometry.W / geometry.stages)) / COLUMN_PX);
  }
  function ordered() {
    const list = state.stickyList().map((s) => ({ s, stage: geometry.stageAt(s.x), col: column(s) }));
    list.sort((a, b) => (a.stage - b.stage) || (a.col - b.col) || (a.s.y - b.s.y) || (a.s.x - b.s.x));
    return list.map((e) => e.s);
  }

  let quiet = false; // focusing a sticky without selecting it (the focus given back, a link target)

  function setCurrent(id, { focus = true, select = true } = {}) {
    if (current && current !== id) { const old = renderer.element(current); if (old) old.tabIndex = -1; }
    current = id;
    const node = id && renderer.element(id);
    viewportEl.tabIndex = node ? -1 : 0; // with no sticky to focus, the board itself takes the keys
    if (!node) return;
    node.tabIndex = 0;
    if (focus) {
      quiet = !select;
      node.focus({ preventScroll: true });
      quiet = false;
      reveal(id);
    }
  }

  /** Bring a sticky into view if it is outside it. */
  function reveal(id) {
    const node = renderer.node(id);
    if (!node) return;
    const r = node.body.getBoundingClientRect();
    const v = viewportEl.getBoundingClientRect();
    if (r.left < v.left + 230 || r.right > v.right - 20 || r.top < v.top + 10 || r.bottom > v.bottom - 60) {
      const s = state.sticky(id);
      if (s) viewport.centreOn(...geometry.toWorld(s.x, s.y));
    }
  }

  // a sticky focused by Tab or a click becomes the current one
  stickyLayer.addEventListener("focusin", (e) => {
    const id = renderer.idFrom(e.target);
    if (!id || e.target !== renderer.element(id)) return;
    if (current !== id) setCurrent(id, { focus: false });
    if (!quiet && !selection.pointerFocus && !renderer.isSelected(id)) selection.select(id);
  });

  function step(delta) {
    const list = ordered();
    if (!list.length) { toast("No stickies yet: press N to add one.", "info"); return; }
    let i = list.findIndex((s) => s.id === current);
    if (delta === "first") i = 0;
    else if (delta === "last") i = list.length - 1;
    else i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + delta));
    return list[i].id;
  }

  /** The nearest sticky above (-1) or below (+1) in the same stage. */
  function vertical(dir) {
    const s = state.sticky(current);
    if (!s) return step(0);
    const stage = geometry.stageAt(s.x);
    let best = null, bestD = Infinity;
    for (const t of ordered()) {
      if (t.id === s.id || geometry.stageAt(t.x) !== stage || Math.sign(t.y - s.y) !== dir) continue;
      const d = Math.abs(t.y - s.y) * 3 + Math.abs(t.x - s.x);
      if (d < bestD) { best = t; bestD = d; }
    }
    return best ? best.id : null;
  }

  function targets() {
    const sel = selection.ids();
    if (current && sel.includes(current)) return sel;
    return current && state.sticky(current) ? [current] : sel;
  }

  function moveBy(dx, dy) {
    const ids = targets();
    if (!ids.length) return;
    if (actions.move(ids.map((id) => { const s = state.sticky(id); return { id, x: s.x + dx, y: s.y + dy }; }),
      { label: "move", tag: `keys:${ids.join(",")}` })) sayStage(ids[0]);
  }

  /** Shift+Alt+← →: into the previous / next stage in one press (small steps took ~19 to cross one),
   * at the same place there or the nearest free one: no sticky lands on another. */
  function moveStage(by) {
    const ids = targets();
    const s = ids.length && state.sticky(ids[0]);
    if (!s) return;
    const stage = geometry.stageAt(s.x) + by;
    if (stage < 0 || stage >= geometry.stages) { actions.refuse(`Already in the ${by < 0 ? "first" : "last"} stage.`); return; }
    const moves = stageMoves(state.stickyList(), state.kinds, geometry, ids, by);
    if (!moves.length) { actions.refuse(`No free place is left in stage ${stageName(stage)}.`); return; }
    if (actions.move(moves, { label: "move" })) sayStage(moves[0].id);
  }

  const stageName = (i) => state.config.discovery.stages[i] || "";
  function sayStage(id) {
    const s = state.sticky(id);
    if (s) announce(`Moved to stage ${stageName(geometry.stageAt(s.x))}`, true);
  }

  /** Choosing a link's target (after "Link to…"): arrows move the focus only (the source stays
   * selected), Enter or Space takes the focused sticky. True when the key was one of these. */
  function chooseLink(e, arrow) {
    if (arrow) {
      e.preventDefault();
      const next = arrow[0] ? step(arrow[0]) : vertical(arrow[1]);
      if (next) setCurrent(next, { select: false });
      return true;
    }
    if (e.key !== "Enter" && e.key !== " ") return false;
    e.preventDefault();
    if (!current || current === link.source) actions.refuse("Go to the sticky to link to with the arrows, then press Enter. Esc cancels.");
    else link.finish(current);
    return true;
  }

  /** N: a new sticky at the next free place below the focused one (down its column to the end of the
   * lane, then the stage's next column, then the next lane: the wall grows), or in the middle of the
   * view, where it covers nothing. */
  function addAtFocus() {
    const kind = palette.selectedKind;
    if (!kind || !state.canAdd(kind)) { toast(state.readOnlyReason() || "This phase does not take new stickies.", "info"); return; }
    const s = current && state.sticky(current);
    let x, y;
    if (s) [x, y] = [s.x, s.y];
    else {
      const r = viewportEl.getBoundingClientRect();
      const [bx, by] = viewport.toBoard(r.left + r.width / 2, r.top + r.height / 2);
      [x, y] = [geometry.clampX(bx), geometry.clampY(by)];
    }
    const spot = freeSpot(state.stickyList(), state.kinds, geometry, { kind, x, y, after: !!s });
    if (spot) [x, y] = spot;
    else toast("No free place is left in this stage: the new sticky goes over another one.", "info");
    viewport.show(...geometry.toWorld(x, y));
    // a note added at a sticky is about it: attached, as "+ Note" on the sticky's bar does
    editor.open({ draft: { kind, x, y, link_to: state.attachesTo(kind, s) ? s.id : null } });
  }

  function cycleKind(dir) {
    const keys = [...state.kinds.keys()].filter((k) => state.canAdd(k));
    if (!keys.length) { toast("This phase does not take new stickies.", "info"); return; }
    const i = keys.indexOf(palette.selectedKind);
    const next = keys[(i + dir + keys.length) % keys.length];
    palette.select(next);
    announce(`New stickies: ${state.kinds.get(next).label}`, true);
  }

  function recolour(dir) {
    const id = current && state.sticky(current) ? current : renderer.selected;
    const s = id && state.sticky(id);
    if (!s) return;
    const keys = [...state.kinds.keys()].filter((k) => k === s.kind || state.canAdd(k));
    if (keys.length < 2) { toast("This phase takes no other kind of sticky.", "info"); return; }
    const i = keys.indexOf(s.kind);
    actions.changeKind(id, keys[(i + dir + keys.length) % keys.length]); // it says what it became, or why not
  }

  /** V / Shift+V: what happened and how many dots are left ("Dot placed, 2 of 5 left"). */
  function vote(id, delta) {
    if (!actions.vote(id, delta)) return; // it said why
    const budget = state.workshop()?.vote_budget ?? 0;
    announce(`${delta > 0 ? "Dot placed" : "Dot taken back"}, ${state.dotsLeft()} of ${budget} left`, true);
  }

  function undoRedo(redo) {
    if (editor.isOpen) return;
    // refused before the stacks are touched: the server would refuse the ops, and the step would be
    // spent ("Undone" said, then nothing left to redo)
    const reason = state.readOnlyReason();
    if (reason) { actions.refuse(reason); return; }
    const done = redo ? history.redo() : history.undo();
    if (!done) { toast(redo ? "Nothing to redo." : "Nothing to undo (votes, phases, the timer, the reveal and the lock are not undone).", "info"); return; }
    if (!done.label) { // the last change cannot be taken back: say why, and stop there
      const verb = redo ? "redone" : "undone";
      const said = `Not ${verb}: your ${done.blocked} of ${done.about} was ${done.deleted ? "deleted" : "changed"} by `
        + `${done.by} since. ${redo ? "Redo" : "Undo"} again for the change before it.`;
      announce(said, true);
      toast(said, "info");
      return;
    }
    const skipped = done.skipped ? ` (${done.skipped} skipped: changed or deleted by someone else since)` : "";
    const said = `${redo ? "Redone" : "Undone"}: ${done.label} of ${done.about}${skipped}`;
    announce(said, true);
    if (skipped) toast(said, "info");
  }

  // Letters typed on the board with no editor open: a person writing words ("Waiting 3 weeks") must not
  // fire the one-letter keys inside them (the "n" of "Waiting" opened an editor that got "g 3 weeks").
  // A letter that comes right after letters that are no key of the board is taken as typing and ignored;
  // after a few, a hint says how to write a sticky.
  const TYPING_MS = 800;
  let looseAt = -Infinity, looseRun = 0, hintedAt = -Infinity;
  function noteLoose() {
    const now = performance.now();
    looseRun = now - looseAt < TYPING_MS ? looseRun + 1 : 1;
    looseAt = now;
    if (looseRun === 4 && now - hintedAt > 30_000) {
      hintedAt = now;
      toast("Typing? Press N or double-click the board first: letters typed on the board itself go nowhere.", "info");
    }
  }

  window.addEventListener("keydown", (e) => {
    if (typing(e.target) || e.defaultPrevented) return;
    if (e.target.closest?.("dialog, .listview, .search")) return; // their own keys
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    // plain keys belong to the focused control (Enter and Space on a button); the board's own keys
    // work when the focus is on the board (a sticky, the board itself) or nowhere in particular
    const t = e.target;
    const onBoard = t === window || t === document.body || t === document.documentElement || viewportEl.contains(t);
    if (!onBoard && !(mod && !e.altKey)) return;
    if (mod && key === "z") { e.preventDefault(); undoRedo(e.shiftKey); return; }
    if (mod && key === "y") { e.preventDefault(); undoRedo(true); return; }
    if (mod && key === "f") { e.preventDefault(); hooks.search(); return; }
    if (mod && key === "c") { if (selection.ids().length) { e.preventDefault(); selection.copy(); } return; }
    if (mod && key === "x") { if (selection.ids().length) { e.preventDefault(); selection.copy({ cut: true }); } return; }
    if (mod && key === "v") { e.preventDefault(); selection.paste(gestures.pointer); return; }
    if (mod && key === "d") { e.preventDefault(); selection.duplicate(); return; }
    if (mod && key === "a") { e.preventDefault(); selection.all(); return; }
    const arrow = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (arrow && (e.altKey || mod)) {
      e.preventDefault();
      if (e.shiftKey && arrow[0]) { moveStage(arrow[0]); return; }
      const k = e.shiftKey ? 4 : 1;
      moveBy(arrow[0] * 0.01 * k, arrow[1] * 0.03 * k);
      return;
    }
    // Alt+K / Shift+Alt+K: the focused sticky becomes the next / previous kind the phase takes (issue 26);
    // e.code, since Alt+K types another letter on some layouts
    if (e.altKey && !mod && e.code === "KeyK") { e.preventDefault(); recolour(e.shiftKey ? -1 : 1); return; }
    if (mod || e.altKey) return;
    if (link.active && chooseLink(e, arrow)) return;
    if (arrow) {
      e.preventDefault();
      const next = arrow[0] ? step(arrow[0]) : vertical(arrow[1]);
      if (!next) return;
      if (e.shiftKey) { setCurrent(next); selection.select(next, { add: true }); }
      else { selection.select(next); setCurrent(next); }
      return;
    }
    if (e.key === "Home" || e.key === "End") {
      const next = step(e.key === "Home" ? "first" : "last");
      if (next) { e.preventDefault(); selection.select(next); setCurrent(next); }
      return;
    }
    if (e.key === " ") { gestures.setSpace(true); e.preventDefault(); return; }
    if (e.key === "Escape") { link.cancel(); selection.select(null); return; }
    if (e.key.length === 1 && e.key !== " " && performance.now() - looseAt < TYPING_MS) { noteLoose(); return; }
    if (e.key === "?") { e.preventDefault(); showHelp(); return; }
    if (key === "l") { e.preventDefault(); hooks.listView(); return; }
    if (e.key === "Delete" || e.key === "Backspace") {
      const ids = targets();
      if (ids.length) { e.preventDefault(); const list = ordered(); const after = list.findIndex((s) => s.id === ids[0]);
        if (actions.remove(ids)) { const rest = list.filter((s) => !ids.includes(s.id)); const next = rest[Math.min(after, rest.length - 1)];
          if (next) requestAnimationFrame(() => { selection.select(next.id); setCurrent(next.id); }); } }
      return;
    }
    if (e.key === "Enter") {
      const id = current && state.sticky(current) ? current : renderer.selected;
      const s = id && state.sticky(id);
      if (!s) return;
      e.preventDefault();
      if (state.canEdit(s)) editor.open({ id });
      else editor.read(id); // the whole text, read only, and why (issue 26)
      return;
    }
    if (key === "v") {
      const id = current && state.sticky(current) ? current : renderer.selected;
      if (id) { e.preventDefault(); vote(id, e.shiftKey ? -1 : 1); }
      return;
    }
    if (key === "n") { e.preventDefault(); addAtFocus(); return; }
    if (key === "k") { e.preventDefault(); cycleKind(e.shiftKey ? -1 : 1); return; }
    if (e.key === "+" || e.key === "=") viewport.zoomBy(1.2);
    else if (e.key === "-" || e.key === "_") viewport.zoomBy(1 / 1.2);
    else if (e.key === "0") viewport.fit();
    else if (e.key === "1") viewport.home();
    else if (e.key.length === 1 && e.key !== " ") noteLoose();  // no key of the board: typing, perhaps
  });
  window.addEventListener("keyup", (e) => { if (e.key === " ") gestures.setSpace(false); });
  window.addEventListener("blur", () => gestures.setSpace(false));

  // ---- help ------------------------------------------------------------------------------------------
  function showHelp() {
    if (!helpDialog.dataset.built) {
      helpDialog.dataset.built = "1";
      const table = helpDialog.querySelector(".help-keys");
      for (const [k, what] of KEYS) {
        const tr = el("tr");
        const th = el("th", null);
        th.scope = "row";
        th.append(el("kbd", null, k));
        tr.append(th, el("td", null, what));
        table.append(tr);
      }
    }
    helpDialog.showModal();
    // showModal focuses the first control, Close, at the bottom of a long list, and scrolls there: the
    // heading takes the focus instead, so the list is read from its top (Tab still reaches Close)
    const title = helpDialog.querySelector("h2");
    title.tabIndex = -1;
    title.focus();
    helpDialog.scrollTop = 0;
  }

  return {
    /** After each frame: keep exactly one sticky in the tab order. */
    sync() {
      if (current && renderer.element(current)) { if (renderer.element(current).tabIndex !== 0) setCurrent(current, { focus: false }); return; }
      const had = current && document.activeElement === document.body;
      const first = ordered()[0];
      setCurrent(first ? first.id : null, { focus: false });
      if (had && first && !editor.isOpen) renderer.element(first.id)?.focus({ preventScroll: true });
    },
    setCurrent,
    /** The focus fell to the page (an editor closed): back to the selected sticky, else the one in the
     * tab order, else the board itself, never left on the page's body. */
    restoreFocus() {
      const id = [renderer.selected, current, ordered()[0]?.id].find((x) => x && renderer.element(x));
      if (id) setCurrent(id, { select: false });
      else viewportEl.focus({ preventScroll: true });
    },
    get current() { return current; },
    showHelp,
    ordered,
  };
}
