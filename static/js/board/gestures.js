// Pointer input on the board: pan (a plain drag on the empty board, the middle button, Space+drag),
// pinch and wheel zoom, select (click; Shift/Ctrl/Cmd-click adds or removes; Shift+drag on the empty
// board draws a box), drag the selection (one message, one undo step), double-click (or double-tap)
// to edit one's sticky or add one of the palette's kind, drag a kind from the palette, vote.
import { el } from "./format.js";
import { freeSpot } from "./tidy.js";

const DRAG_THRESHOLD = 4;
const DOUBLE_TAP_MS = 350;

export function createGestures({ state, renderer, viewport, geometry, palette, actions, editor, selection, toast,
  cursor, dom, link }) {
  const { viewportEl, paletteEl } = dom;
  let spaceDown = false;
  let gesture = null; // {type: "pan"|"drag"|"box"|"palette"|"pinch", ...}
  const touches = new Map();
  let lastTap = null; // {id, at, x, y}: a touch double-tap edits / adds like a double-click
  let pointer = null; // the last pointer position over the board (a paste lands there)
  let pressed = null; // the sticky under the last press (a double-click's target, whatever captures the pointer)
  const kindOf = (key) => state.kinds.get(key);
  const stickyAt = (target) => renderer.idFrom(target);
  const nameOf = (id) => state.participants.find((p) => p.id === id)?.name || "Someone";

  // Someone else deletes a sticky I am dragging: it leaves my drag at once, and I am told who did it
  // (it used to vanish with no word, issue 23 item 11); the rest of the drag goes on.
  state.subscribe((change) => {
    const rec = change.record;
    const id = rec?.sticky?.deleted ? rec.sticky.id : null;
    if (!id || gesture?.type !== "drag" || !gesture.origins.has(id) || rec.by === state.me?.id) return;
    const text = gesture.texts.get(id) || "";
    gesture.origins.delete(id);
    gesture.last?.delete(id);
    renderer.clearPreview(id);
    const about = text ? `“${text.length > 60 ? `${text.slice(0, 59)}…` : text}”` : "a sticky";
    toast(`${nameOf(rec.by)} deleted ${about} while you were moving it.`, "info");
  });

  function boardPoint(e) {
    const [x, y] = viewport.toBoard(e.clientX, e.clientY);
    return [geometry.clampX(x), geometry.clampY(y)];
  }
  /** On the wall: its stages, down to the lanes it has grown to (a sticky dragged, added with N or
   * tidied below them grows it). */
  function insideBoard(e) {
    const [x, y] = viewport.toBoard(e.clientX, e.clientY);
    return x >= -0.02 && x <= 1.02 && y >= -0.05 && y <= geometry.rows + 0.05;
  }

  viewportEl.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".editor")) return;
    if (e.pointerType === "touch") {
      touches.set(e.pointerId, [e.clientX, e.clientY]);
      if (touches.size === 2) { startPinch(); return; }
    }
    if (e.button === 2) return; // handled by contextmenu
    const id = stickyAt(e.target);
    pressed = id;
    if (spaceDown || e.button === 1 || !id) {
      if (!id && e.shiftKey && e.button === 0 && !spaceDown) { startBox(e); return; }
      if (!id && !(e.ctrlKey || e.metaKey)) selection.select(null);
      startPan(e);
      return;
    }
    e.preventDefault();
    const s = state.sticky(id);
    if (link.active) { link.finish(id); return; }
    if (e.target.closest(".sticky-del")) { actions.remove([id]); return; }
    if (e.target.closest(".sticky-unvote")) { actions.vote(id, -1); return; }
    selection.pointerFocus = true; // the click decides the selection, not the focus it moves
    renderer.element(id)?.focus({ preventScroll: true });
    selection.pointerFocus = false;
    if (state.isVoting() && state.isVotable(s)) {
      selection.select(id);
      actions.vote(id, e.altKey ? -1 : +1);
      return;
    }
    if (e.shiftKey || e.ctrlKey || e.metaKey) { selection.select(id, { toggle: true }); return; }
    if (!renderer.isSelected(id)) selection.select(id);
    if (!state.canMove(s) || state.phase().voting) return;
    const moving = selection.ids().filter((x) => state.canMove(state.sticky(x)));
    gesture = { type: "drag", id, ids: moving, pointerId: e.pointerId, startX: e.clientX, startY: e.clientY,
      origins: new Map(moving.map((x) => { const t = state.sticky(x); return [x, [t.x, t.y]]; })),
      texts: new Map(moving.map((x) => [x, state.sticky(x).text || ""])),
      grab: viewport.toBoard(e.clientX, e.clientY), moved: false };
    viewportEl.setPointerCapture(e.pointerId);
  });

  viewportEl.addEventListener("contextmenu", (e) => {
    const id = stickyAt(e.target);
    if (!id) return;
    e.preventDefault();
    if (state.isVoting() && state.isVotable(state.sticky(id))) actions.vote(id, -1);
  });

  function startPan(e) {
    gesture = { type: "pan", pointerId: e.pointerId, x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY };
    viewportEl.setPointerCapture(e.pointerId);
    viewportEl.classList.add("panning");
  }

  function startBox(e) {
    const box = el("div", "select-box");
    box.hidden = true;
    viewportEl.append(box);
    gesture = { type: "box", pointerId: e.pointerId, x: e.clientX, y: e.clientY, box,
      before: e.ctrlKey || e.metaKey ? selection.ids() : [] };
    viewportEl.setPointerCapture(e.pointerId);
  }

  function startPinch() {
    const [a, b] = [...touches.values()];
    gesture = { type: "pinch", dist: Math.hypot(a[0] - b[0], a[1] - b[1]), mid: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
  }

  viewportEl.addEventListener("pointermove", (e) => {
    if (insideBoard(e)) { const [x, y] = boardPoint(e); cursor(x, y); pointer = { x, y, at: performance.now() }; }
    if (e.pointerType === "touch" && touches.has(e.pointerId)) touches.set(e.pointerId, [e.clientX, e.clientY]);
    if (!gesture) return;
    if (gesture.type === "pinch" && touches.size === 2) {
      const [a, b] = [...touches.values()];
      const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
      const mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      viewport.panBy(mid[0] - gesture.mid[0], mid[1] - gesture.mid[1]);
      if (gesture.dist > 0) viewport.zoomAt(mid[0], mid[1], dist / gesture.dist);
      gesture.dist = dist; gesture.mid = mid;
      return;
    }
    if (e.pointerId !== gesture.pointerId) return;
    if (gesture.type === "pan") {
      viewport.panBy(e.clientX - gesture.x, e.clientY - gesture.y);
      gesture.x = e.clientX; gesture.y = e.clientY;
    } else if (gesture.type === "box") {
      const r = viewportEl.getBoundingClientRect();
      const [x1, x2] = [Math.min(gesture.x, e.clientX), Math.max(gesture.x, e.clientX)];
      const [y1, y2] = [Math.min(gesture.y, e.clientY), Math.max(gesture.y, e.clientY)];
      Object.assign(gesture.box.style, { left: `${x1 - r.left}px`, top: `${y1 - r.top}px`, width: `${x2 - x1}px`, height: `${y2 - y1}px` });
      gesture.box.hidden = false;
      gesture.rect = [x1, y1, x2, y2];
    } else if (gesture.type === "drag") {
      if (!gesture.moved && Math.hypot(e.clientX - gesture.startX, e.clientY - gesture.startY) < DRAG_THRESHOLD) return;
      if (!gesture.moved) { gesture.moved = true; selection.setHidden(true); }
      const [bx, by] = viewport.toBoard(e.clientX, e.clientY);
      const dx = bx - gesture.grab[0], dy = by - gesture.grab[1];
      gesture.last = new Map();
      for (const [id, [ox, oy]] of gesture.origins) {
        const x = geometry.clampX(ox + dx), y = geometry.clampY(oy + dy);
        gesture.last.set(id, [x, y]);
        renderer.preview(id, x, y);
        renderer.element(id)?.classList.add("dragging");
      }
    }
  });

  function endGesture(e) {
    if (e.pointerType === "touch") touches.delete(e.pointerId);
    if (!gesture) { doubleTap(e); return; }
    if (gesture.type === "pinch") { if (touches.size < 2) gesture = null; return; }
    if (e.pointerId !== gesture.pointerId) return;
    const g = gesture;
    gesture = null;
    viewportEl.classList.remove("panning");
    if (g.type === "box") {
      g.box.remove();
      if (g.rect && e.type !== "pointercancel") {
        const [x1, y1, x2, y2] = g.rect;
        const inside = [];
        for (const id of renderer.ids()) {
          const r = renderer.node(id).body.getBoundingClientRect();
          if (r.right >= x1 && r.left <= x2 && r.bottom >= y1 && r.top <= y2) inside.push(id);
        }
        selection.selectMany([...new Set([...g.before, ...inside])]);
      }
      return;
    }
    if (g.type === "drag") {
      for (const id of g.origins.keys()) renderer.element(id)?.classList.remove("dragging");
      if (g.moved && g.last?.size && e.type !== "pointercancel") {
        // the pending ops take over from the previews in the same frame: no flicker back
        actions.move([...g.last].map(([id, [x, y]]) => ({ id, x, y })), { label: g.last.size > 1 ? "move stickies" : "move" });
      }
      for (const id of g.origins.keys()) renderer.clearPreview(id);
      selection.setHidden(false);
      if (!g.moved) doubleTap(e);
      return;
    }
    if (g.type !== "pan") return;
    const still = Math.hypot(e.clientX - g.startX, e.clientY - g.startY) < DRAG_THRESHOLD;
    // choosing a sticky to link to: panning looks for it (the link stays); a click on the empty board cancels
    if (link.active) { if (still && e.type !== "pointercancel") { link.cancel(); toast("Link cancelled.", "info"); } return; }
    if (Math.hypot(e.clientX - g.x, e.clientY - g.y) < DRAG_THRESHOLD) doubleTap(e);
  }
  viewportEl.addEventListener("pointerup", endGesture);
  viewportEl.addEventListener("pointercancel", endGesture);

  function doubleTap(e) {
    if (e.pointerType !== "touch" || e.type !== "pointerup") return;
    const now = performance.now();
    const id = pressed;
    if (lastTap && now - lastTap.at < DOUBLE_TAP_MS && lastTap.id === id
        && Math.hypot(e.clientX - lastTap.x, e.clientY - lastTap.y) < 24) {
      lastTap = null;
      activate(id, e);
      return;
    }
    lastTap = { id, at: now, x: e.clientX, y: e.clientY };
  }

  viewportEl.addEventListener("dblclick", (e) => {
    if (e.target.closest(".editor")) return;
    if (e.sourceCapabilities?.firesTouchEvents) return; // a touch double-tap is handled on pointerup
    // the press captured the pointer (for a drag), which retargets the dblclick to the viewport: the
    // sticky is the one under the press, whatever kind is picked in the palette
    activate(pressed || stickyAt(document.elementFromPoint(e.clientX, e.clientY)), e);
  });

  /** A double-click or double-tap: edit the sticky, or add one of the palette's kind. */
  function activate(id, e) {
    if (id && state.sticky(id)) {
      const s = state.sticky(id);
      if (state.phase().voting && state.isVotable(s)) return;
      if (state.canEdit(s)) editor.open({ id });
      else editor.read(id); // the whole text, read only, and why (issue 26)
      return;
    }
    const kind = palette.selectedKind;
    if (!insideBoard(e)) {
      toast("Stickies go on the timeline: double-click inside it (the stages' columns).", "info");
      return;
    }
    if (!kind || !state.canAdd(kind)) {
      toast(state.readOnlyReason() || "This phase does not take new stickies.", "info");
      return;
    }
    // at the click if nothing is in the way, else at the nearest free place to it (a click just beside
    // a sticky made one on top of it, issue 23 item 10)
    const [cx, cy] = boardPoint(e);
    const [x, y] = freeSpot(state.stickyList(), state.kinds, geometry, { kind, x: cx, y: cy }) || [cx, cy];
    editor.open({ draft: { kind, x, y } });
  }

  viewportEl.addEventListener("wheel", (e) => {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1;
    const dy = e.deltaY * unit;
    if (e.shiftKey && !e.ctrlKey) { viewport.panBy(-dy, 0); return; }
    viewport.zoomAt(e.clientX, e.clientY, Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.0015)));
  }, { passive: false });

  // ---- palette: click to pick, drag onto the board to create ------------------------------------
  paletteEl.addEventListener("pointerdown", (e) => {
    const kind = palette.kindFrom(e.target);
    if (!kind || e.button !== 0) return;
    e.preventDefault();
    palette.select(kind);
    const ghost = el("div", `palette-ghost k-${kind} shape-${kindOf(kind).shape}`);
    ghost.style.setProperty("--sticky", kindOf(kind).colour);
    ghost.textContent = kindOf(kind).label;
    ghost.hidden = true;
    document.body.append(ghost);
    gesture = { type: "palette", kind, ghost, pointerId: e.pointerId, startX: e.clientX, startY: e.clientY };
    paletteEl.setPointerCapture(e.pointerId);
  });
  paletteEl.addEventListener("pointermove", (e) => {
    if (!gesture || gesture.type !== "palette" || e.pointerId !== gesture.pointerId) return;
    if (Math.hypot(e.clientX - gesture.startX, e.clientY - gesture.startY) < DRAG_THRESHOLD) return;
    gesture.ghost.hidden = false;
    gesture.ghost.style.transform = `translate(${e.clientX}px, ${e.clientY}px) scale(${Math.max(0.5, viewport.scale)})`;
  });
  const endPalette = (e) => {
    if (!gesture || gesture.type !== "palette" || e.pointerId !== gesture.pointerId) return;
    const g = gesture;
    gesture = null;
    g.ghost.remove();
    if (e.type === "pointercancel" || g.ghost.hidden) return;
    const r = viewportEl.getBoundingClientRect();
    const over = document.elementFromPoint(e.clientX, e.clientY);
    const onBoard = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom
      && !paletteEl.contains(over) && insideBoard(e);
    if (!onBoard) return;
    const [x, y] = boardPoint(e);
    editor.open({ draft: { kind: g.kind, x, y } });
  };
  paletteEl.addEventListener("pointerup", endPalette);
  paletteEl.addEventListener("pointercancel", endPalette);

  return {
    get dragging() { return gesture?.type === "drag" && gesture.moved; },
    setSpace(on) { spaceDown = on; viewportEl.classList.toggle("space-pan", on); },
    /** The last pointer position over the board in the last minute, for a paste, or null. */
    get pointer() { return pointer && performance.now() - pointer.at < 60000 ? [pointer.x, pointer.y] : null; },
  };
}
