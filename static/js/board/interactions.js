// Input on the board: pan and zoom, select, drag (one sticky.update on drop), create (palette drag or
// double-click) with an in-place editor, edit, delete, link, vote. Works on the local state; every
// change goes out through `send(op)`.
import { el, formatDuration, parseDuration } from "./format.js";

const DRAG_THRESHOLD = 4;

export function createInteractions({ state, renderer, viewport, geometry, palette, send, toast, dom, cursor }) {
  const { viewportEl, stickyLayer, selectionBar, paletteEl } = dom;
  let spaceDown = false;
  let gesture = null; // {type: "pan"|"drag"|"palette"|"pinch", ...}
  const touches = new Map();
  let editor = null; // the open editor
  let linkSource = null;

  // ---- helpers ---------------------------------------------------------------------------------
  const kindOf = (key) => state.kinds.get(key);
  const stickyAt = (target) => renderer.idFrom(target);

  function boardPoint(e) {
    const [x, y] = viewport.toBoard(e.clientX, e.clientY);
    return [geometry.clamp(x), geometry.clamp(y)];
  }

  function insideBoard(e) {
    const [x, y] = viewport.toBoard(e.clientX, e.clientY);
    return x >= -0.02 && x <= 1.02 && y >= -0.05 && y <= 1.05;
  }

  function select(id) {
    if (renderer.selected === id) return;
    renderer.setSelected(id);
    updateSelectionBar();
  }

  // ---- pointer on the board ----------------------------------------------------------------------
  viewportEl.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".editor")) return;
    if (e.pointerType === "touch") {
      touches.set(e.pointerId, [e.clientX, e.clientY]);
      if (touches.size === 2) { startPinch(); return; }
    }
    if (e.button === 2) return; // handled by contextmenu
    const id = stickyAt(e.target);
    if (spaceDown || e.button === 1 || !id) {
      if (!id) {
        if (linkSource) { cancelLink(); }
        select(null);
      }
      startPan(e);
      return;
    }
    e.preventDefault();
    const s = state.sticky(id);
    if (linkSource) { finishLink(id); return; }
    if (e.target.closest(".sticky-del")) { remove(id); return; }
    if (e.target.closest(".sticky-unvote")) { vote(id, -1); return; }
    if (state.isVoting() && state.isVotable(s)) {
      select(id);
      vote(id, e.altKey ? -1 : +1);
      return;
    }
    select(id);
    if (state.canEdit(s) && !state.phase().voting) {
      gesture = { type: "drag", id, pointerId: e.pointerId, startX: e.clientX, startY: e.clientY,
        origin: [s.x, s.y], grab: viewport.toBoard(e.clientX, e.clientY), moved: false };
      viewportEl.setPointerCapture(e.pointerId);
    }
  });

  viewportEl.addEventListener("contextmenu", (e) => {
    const id = stickyAt(e.target);
    if (!id) return;
    e.preventDefault();
    if (state.isVoting() && state.isVotable(state.sticky(id))) vote(id, -1);
  });

  function startPan(e) {
    gesture = { type: "pan", pointerId: e.pointerId, x: e.clientX, y: e.clientY };
    viewportEl.setPointerCapture(e.pointerId);
    viewportEl.classList.add("panning");
  }

  function startPinch() {
    const [a, b] = [...touches.values()];
    gesture = { type: "pinch", dist: Math.hypot(a[0] - b[0], a[1] - b[1]), mid: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
  }

  viewportEl.addEventListener("pointermove", (e) => {
    if (insideBoard(e)) { const [x, y] = boardPoint(e); cursor(x, y); }
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
    } else if (gesture.type === "drag") {
      if (!gesture.moved && Math.hypot(e.clientX - gesture.startX, e.clientY - gesture.startY) < DRAG_THRESHOLD) return;
      gesture.moved = true;
      const [bx, by] = viewport.toBoard(e.clientX, e.clientY);
      const x = geometry.clamp(gesture.origin[0] + bx - gesture.grab[0]);
      const y = geometry.clamp(gesture.origin[1] + by - gesture.grab[1]);
      gesture.last = [x, y];
      renderer.preview(gesture.id, x, y);
      renderer.element(gesture.id)?.classList.add("dragging");
      selectionBar.hidden = true;
    }
  });

  function endGesture(e) {
    if (e.pointerType === "touch") touches.delete(e.pointerId);
    if (!gesture) return;
    if (gesture.type === "pinch") { if (touches.size < 2) gesture = null; return; }
    if (e.pointerId !== gesture.pointerId) return;
    const g = gesture;
    gesture = null;
    viewportEl.classList.remove("panning");
    if (g.type === "drag") {
      renderer.element(g.id)?.classList.remove("dragging");
      if (g.moved && g.last && e.type !== "pointercancel") {
        const [x, y] = g.last.map((v) => Math.round(v * 10000) / 10000);
        // the pending op takes over from the preview in the same frame: no flicker back
        send({ type: "sticky.update", sticky_id: g.id, changes: { x, y } });
      }
      renderer.clearPreview(g.id);
      updateSelectionBar();
    }
  }
  viewportEl.addEventListener("pointerup", endGesture);
  viewportEl.addEventListener("pointercancel", endGesture);

  viewportEl.addEventListener("dblclick", (e) => {
    if (e.target.closest(".editor")) return;
    // a press on a sticky captures the pointer (for a drag), which retargets the click and the
    // dblclick to the viewport: find the sticky under the pointer
    const id = stickyAt(e.target) || stickyAt(document.elementFromPoint(e.clientX, e.clientY));
    if (id) {
      const s = state.sticky(id);
      if (state.canEdit(s) && !state.phase().voting) openEditor({ id });
      return;
    }
    const kind = palette.selectedKind;
    if (!insideBoard(e)) return;
    if (!kind || !state.canAdd(kind)) {
      const reason = state.readOnlyReason();
      toast(reason || "This phase does not take new stickies.", "info");
      return;
    }
    const [x, y] = boardPoint(e);
    openEditor({ draft: { kind, x, y } });
  });

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
    openEditor({ draft: { kind: g.kind, x, y } });
  };
  paletteEl.addEventListener("pointerup", endPalette);
  paletteEl.addEventListener("pointercancel", endPalette);

  // ---- keyboard --------------------------------------------------------------------------------
  const typing = (t) => t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  window.addEventListener("keydown", (e) => {
    if (typing(e.target)) return;
    if (e.key === " ") { spaceDown = true; viewportEl.classList.add("space-pan"); e.preventDefault(); return; }
    if (e.key === "Escape") { cancelLink(); select(null); return; }
    const id = renderer.selected;
    if ((e.key === "Delete" || e.key === "Backspace") && id) { e.preventDefault(); remove(id); return; }
    if (e.key === "Enter" && id) {
      const s = state.sticky(id);
      if (state.canEdit(s)) { e.preventDefault(); openEditor({ id }); }
      return;
    }
    if (e.key === "+" || e.key === "=") viewport.zoomBy(1.2);
    else if (e.key === "-" || e.key === "_") viewport.zoomBy(1 / 1.2);
    else if (e.key === "0") viewport.fit();
  });
  window.addEventListener("keyup", (e) => {
    if (e.key === " ") { spaceDown = false; viewportEl.classList.remove("space-pan"); }
  });
  window.addEventListener("blur", () => { spaceDown = false; viewportEl.classList.remove("space-pan"); });

  // ---- actions ---------------------------------------------------------------------------------
  function remove(id) {
    const s = state.sticky(id);
    if (!s) return;
    if (!state.canEdit(s)) {
      toast(state.readOnlyReason() || "You can only delete your own stickies.", "info");
      return;
    }
    if (renderer.selected === id) select(null);
    send({ type: "sticky.delete", sticky_id: id });
  }

  function vote(id, delta) {
    const s = state.sticky(id);
    if (!state.isVoting()) { toast(state.readOnlyReason() || "Voting opens in the Vote phase.", "info"); return; }
    if (!state.isVotable(s)) { toast("Dots go on pain points and opportunities.", "info"); return; }
    if (delta > 0) {
      const budget = state.workshop()?.vote_budget ?? 0;
      if (state.votesUsed() >= budget) { toast(`You have placed all ${budget} of your dots. Take one back to move it.`, "info"); return; }
      send({ type: "vote.add", sticky_id: id });
    } else {
      if (!state.myVotes(id)) { toast("You have no dot on this sticky.", "info"); return; }
      send({ type: "vote.remove", sticky_id: id });
    }
  }

  function startLink(id) {
    linkSource = id;
    renderer.setLinkMode(true);
    renderer.element(id)?.classList.add("link-source");
    toast("Click the sticky to link to. Esc cancels.", "info");
    updateSelectionBar();
  }

  function finishLink(target) {
    const source = linkSource;
    cancelLink();
    if (!source || source === target) return;
    send({ type: "sticky.update", sticky_id: source, changes: { link_to: target } });
    select(source);
  }

  function cancelLink() {
    if (!linkSource) return;
    renderer.element(linkSource)?.classList.remove("link-source");
    linkSource = null;
    renderer.setLinkMode(false);
    updateSelectionBar();
  }

  // ---- the in-place editor ------------------------------------------------------------------------
  function openEditor({ id, draft, focusDuration = false }) {
    closeEditor(true);
    const existing = id ? state.sticky(id) : null;
    const kind = kindOf(existing ? existing.kind : draft.kind);
    let host, draftEl = null;
    if (existing) {
      host = renderer.node(id)?.body;
      if (!host) return;
      renderer.setEditing(id);
      renderer.raise(id);
    } else {
      draftEl = el("div", `sticky draft editing k-${kind.key} shape-${kind.shape}`);
      const [px, py] = geometry.toWorld(draft.x, draft.y);
      draftEl.style.left = `${px}px`; // like every sticky (render.js): no transform of its own
      draftEl.style.top = `${py}px`;
      draftEl.style.zIndex = "100000";
      host = el("div", "sticky-body");
      host.style.setProperty("--sticky", kind.colour);
      draftEl.append(host);
      stickyLayer.append(draftEl);
    }
    const form = el("div", "editor");
    const area = el("textarea", "editor-text");
    area.maxLength = 2000;
    area.rows = 3;
    area.placeholder = kind.key === "event" ? "Something happened…" : `${kind.label}…`;
    area.setAttribute("aria-label", `${kind.label} text`);
    area.value = existing ? existing.text || "" : "";
    form.append(area);
    let durInput = null;
    if (kind.hasDuration) {
      const row = el("label", "editor-duration");
      row.append(el("span", "clock"));
      durInput = el("input", "editor-duration-input");
      durInput.type = "text";
      durInput.placeholder = "3d, 2w, 45m, 4h";
      durInput.setAttribute("aria-label", "Duration");
      durInput.value = existing && existing.duration_minutes != null ? formatDuration(existing.duration_minutes).replace(" ", "") : "";
      row.append(durInput);
      form.append(row);
    }
    const hint = el("div", "editor-hint", "Enter to save · Shift+Enter new line · Esc to cancel");
    form.append(hint);
    host.append(form);

    editor = { id, draft, draftEl, form, area, durInput, closed: false };
    const onKey = (e) => {
      e.stopPropagation();
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); commit(); }
      else if (e.key === "Escape") { e.preventDefault(); closeEditor(false); }
    };
    area.addEventListener("keydown", onKey);
    durInput?.addEventListener("keydown", onKey);
    durInput?.addEventListener("input", () => durInput.classList.remove("invalid"));
    form.addEventListener("focusout", (e) => {
      if (e.relatedTarget && form.contains(e.relatedTarget)) return;
      setTimeout(() => { if (editor && editor.form === form && !form.contains(document.activeElement)) commit(); }, 0);
    });
    form.addEventListener("pointerdown", (e) => e.stopPropagation());
    form.addEventListener("dblclick", (e) => e.stopPropagation());
    (focusDuration && durInput ? durInput : area).focus();
    if (!focusDuration) area.setSelectionRange(area.value.length, area.value.length);
    selectionBar.hidden = true;
  }

  function commit() {
    if (!editor || editor.closed) return;
    const ed = editor;
    const text = ed.area.value.replace(/\s+$/, "").replace(/^\s+/, "");
    let duration;
    if (ed.durInput) {
      const raw = ed.durInput.value.trim();
      duration = raw ? parseDuration(raw) : null;
      if (raw && duration == null) {
        ed.durInput.classList.add("invalid");
        toast("Write a duration like 3d, 2w, 45m or 4h.", "error");
        ed.durInput.focus();
        return;
      }
    }
    if (ed.draft) {
      closeEditor(false);
      if (!text) return;
      const sticky = { id: crypto.randomUUID(), kind: ed.draft.kind, text, x: round(ed.draft.x), y: round(ed.draft.y) };
      if (ed.durInput && duration != null) sticky.duration_minutes = duration;
      if (ed.draft.link_to) sticky.link_to = ed.draft.link_to;
      send({ type: "sticky.create", sticky });
      requestAnimationFrame(() => select(sticky.id));
      return;
    }
    const s = state.sticky(ed.id);
    closeEditor(false);
    if (!s) return;
    const changes = {};
    if (text && text !== s.text) changes.text = text;
    if (!text && s.text) toast("A sticky needs some text, so it keeps its old one. To remove it, press Delete.", "info");
    if (ed.durInput && duration !== undefined && duration !== s.duration_minutes) changes.duration_minutes = duration;
    if (Object.keys(changes).length) send({ type: "sticky.update", sticky_id: ed.id, changes });
  }

  function closeEditor() {
    if (!editor) return;
    const ed = editor;
    ed.closed = true;
    editor = null;
    ed.form.remove();
    ed.draftEl?.remove();
    if (ed.id) renderer.setEditing(null);
    updateSelectionBar();
  }

  const round = (v) => Math.round(v * 10000) / 10000;

  // ---- the selection bar (floating above the selected sticky) -----------------------------------
  const buttons = {};
  function button(key, label, title, onClick) {
    const b = el("button", `sel-btn sel-${key}`, label);
    b.type = "button";
    b.title = title;
    b.addEventListener("pointerdown", (e) => e.stopPropagation());
    b.addEventListener("click", (e) => { e.stopPropagation(); onClick(); });
    buttons[key] = b;
    selectionBar.append(b);
  }
  button("edit", "Edit", "Edit the text (Enter)", () => renderer.selected && openEditor({ id: renderer.selected }));
  button("duration", "Duration", "How long this part takes", () => renderer.selected && openEditor({ id: renderer.selected, focusDuration: true }));
  button("link", "Link to…", "Link this sticky to another one (then click the target)", () => renderer.selected && startLink(renderer.selected));
  button("unlink", "Unlink", "Remove the link", () => {
    const id = renderer.selected;
    if (id) send({ type: "sticky.update", sticky_id: id, changes: { link_to: null } });
  });
  button("note", "+ Note", "Attach a deep-dive note to this sticky", () => {
    const s = state.sticky(renderer.selected);
    if (!s) return;
    openEditor({ draft: { kind: "note", x: geometry.clamp(s.x + 0.035), y: geometry.clamp(s.y + 0.14), link_to: s.id } });
  });
  button("vote", "+ Dot", "Place one of your dots", () => renderer.selected && vote(renderer.selected, +1));
  button("unvote", "− Dot", "Take one of your dots back", () => renderer.selected && vote(renderer.selected, -1));
  button("delete", "Delete", "Delete this sticky (Delete key)", () => renderer.selected && remove(renderer.selected));

  function updateSelectionBar() {
    const id = renderer.selected;
    const s = id ? state.sticky(id) : null;
    const node = id ? renderer.element(id) : null;
    if (!s || !node || editor || gesture?.type === "drag" || linkSource) { selectionBar.hidden = true; return; }
    const editable = state.canEdit(s);
    const voting = state.isVoting() && state.isVotable(s);
    const kind = kindOf(s.kind);
    const show = {
      edit: editable && !voting,
      duration: editable && !voting && !!kind?.hasDuration,
      link: editable && !voting && s.kind !== "event",
      unlink: editable && !voting && !!s.link_to,
      note: state.me.facilitator && !state.readOnlyReason() && s.kind !== "note" && !voting,
      vote: voting,
      unvote: voting && state.myVotes(id) > 0,
      delete: editable && !voting,
    };
    let any = false;
    for (const [key, b] of Object.entries(buttons)) { b.hidden = !show[key]; any = any || show[key]; }
    if (!any) { selectionBar.hidden = true; return; }
    selectionBar.hidden = false;
    const r = node.querySelector(".sticky-body").getBoundingClientRect();
    const host = selectionBar.offsetParent?.getBoundingClientRect() || { left: 0, top: 0 };
    const barW = selectionBar.offsetWidth;
    const left = Math.max(8, r.left + r.width / 2 - barW / 2 - host.left);
    const top = Math.max(8, r.top - host.top - selectionBar.offsetHeight - 10);
    selectionBar.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  renderer.onFrame((ids) => {
    if (!renderer.selected) return;
    if (!state.sticky(renderer.selected)) { renderer.setSelected(null); }
    updateSelectionBar();
  });
  viewport.onChange(() => updateSelectionBar());

  return {
    refresh() {
      // a phase or lock change may end editing rights
      if (editor) {
        const allowed = editor.draft ? state.canAdd(editor.draft.kind) : state.canEdit(state.sticky(editor.id));
        if (!allowed) { closeEditor(false); toast(state.readOnlyReason() || "This phase does not take that kind of sticky any more.", "info"); }
      }
      if (linkSource && state.readOnlyReason()) cancelLink();
      updateSelectionBar();
    },
    openEditor,
    select,
  };
}
