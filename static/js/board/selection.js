// What is selected and what can be done with it: the floating bar over the selection (never in the
// vote phase, where it would cover the stickies people click to vote), copy, cut, paste and
// duplicate (Ctrl+C/X/V/D) through a clipboard in localStorage shared by every board of the
// discovery, select all, delete.
import { el } from "./format.js";
import { freeOffset, freeSpot } from "./tidy.js";

const CLIPBOARD = (discoveryId) => `storming.clipboard.${discoveryId}`;

export function createSelection({ state, renderer, viewport, geometry, actions, editor, toast, selectionBar, startLink,
  onPlaced }) {
  const kindOf = (key) => state.kinds.get(key);
  let hidden = false; // while a drag or a link is in progress

  function ids() { return renderer.selection.filter((id) => state.sticky(id)); }

  function select(id, { add = false, toggle = false } = {}) {
    if (id == null) { renderer.setSelection([]); update(); return; }
    let next = renderer.selection;
    if (toggle) next = next.includes(id) ? next.filter((x) => x !== id) : [...next, id];
    else if (add) next = next.includes(id) ? [...next.filter((x) => x !== id), id] : [...next, id];
    else next = [id];
    renderer.setSelection(next);
    update();
  }

  function selectMany(list) { renderer.setSelection(list); update(); }

  // ---- clipboard ----------------------------------------------------------------------------------
  function copy({ cut = false } = {}) {
    const list = ids().map((id) => state.sticky(id));
    if (!list.length) { toast("Select stickies to copy first.", "info"); return; }
    const cx = list.reduce((a, s) => a + s.x, 0) / list.length;
    const cy = list.reduce((a, s) => a + s.y, 0) / list.length;
    const data = {
      workshop: state.config.workshopId, at: Date.now(),
      stickies: list.map((s) => ({ id: s.id, kind: s.kind, text: s.text, dx: s.x - cx, dy: s.y - cy,
        duration_minutes: s.duration_minutes ?? null, link_to: s.link_to ?? null })),
    };
    try { localStorage.setItem(CLIPBOARD(state.config.discoveryId), JSON.stringify(data)); }
    catch { toast("This browser keeps no clipboard for the board.", "error"); return; }
    if (cut) actions.remove(list.map((s) => s.id));
    else toast(`Copied ${list.length === 1 ? "a sticky" : `${list.length} stickies`}: paste with Ctrl+V here or on another board of this discovery.`, "info");
  }

  function clipboard() {
    try { return JSON.parse(localStorage.getItem(CLIPBOARD(state.config.discoveryId)) || "null"); } catch { return null; }
  }

  /** New stickies from a list around (x, y): kinds this phase takes, links kept inside the group. The
   * group lands where it covers no sticky: there, or moved down together to the nearest such place. */
  function place(items, x, y, label) {
    const fresh = new Map(items.map((s) => [s.id, crypto.randomUUID()]));
    const skipped = new Map();
    const out = [];
    const wanted = items.filter((s) => state.canAdd(s.kind))
      .map((s) => ({ kind: s.kind, x: geometry.clampX(x + s.dx), y: geometry.clampY(y + s.dy) }));
    const down = freeOffset(state.stickyList(), state.kinds, geometry, wanted) ?? 0;
    for (const s of items) {
      if (!state.canAdd(s.kind)) { skipped.set(s.kind, (skipped.get(s.kind) || 0) + 1); continue; }
      const sticky = { id: fresh.get(s.id), kind: s.kind, text: s.text,
        x: geometry.clampX(x + s.dx), y: geometry.clampY(y + s.dy + down) };
      if (s.duration_minutes != null && kindOf(s.kind)?.hasDuration) sticky.duration_minutes = s.duration_minutes;
      out.push({ sticky, link: s.link_to });
    }
    const made = new Set(out.map((o) => o.sticky.id));
    for (const o of out) {
      const target = fresh.get(o.link);
      if (target && made.has(target)) o.sticky.link_to = target;
    }
    // links inside the group first: a link's target must exist before the sticky that points at it
    out.sort((a, b) => (a.sticky.link_to ? 1 : 0) - (b.sticky.link_to ? 1 : 0));
    if (skipped.size) {
      const what = [...skipped].map(([k, n]) => `${n} ${kindOf(k).label.toLowerCase()}`).join(", ");
      toast(state.readOnlyReason() || `Not pasted: ${what} (the ${state.phase().label} phase does not take them).`, "info");
    }
    if (!out.length) return;
    const created = actions.create(out.map((o) => o.sticky), label);
    viewport.show(...geometry.toWorld(out[0].sticky.x, out[0].sticky.y));
    onPlaced(created); // selected, and the keyboard's focus on one of them
  }

  function paste(at) {
    const data = clipboard();
    if (!data?.stickies?.length) { toast("Nothing to paste: copy stickies first (Ctrl+C).", "info"); return; }
    const [x, y] = at || viewCentre();
    place(data.stickies, x, y, "paste");
  }

  function duplicate() {
    const list = ids().map((id) => state.sticky(id));
    if (!list.length) return;
    const cx = list.reduce((a, s) => a + s.x, 0) / list.length;
    const cy = list.reduce((a, s) => a + s.y, 0) / list.length;
    const items = list.map((s) => ({ id: s.id, kind: s.kind, text: s.text, dx: s.x - cx, dy: s.y - cy,
      duration_minutes: s.duration_minutes, link_to: s.link_to }));
    place(items, cx, cy, "duplicate"); // just below the originals (place() moves it off them)
  }

  function viewCentre() {
    const r = viewport.element.getBoundingClientRect();
    const [x, y] = viewport.toBoard(r.left + r.width / 2, r.top + r.height / 2);
    return [geometry.clampX(x), geometry.clampY(y)];
  }

  // ---- the floating bar ---------------------------------------------------------------------------
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
  const count = el("span", "sel-count");
  selectionBar.append(count);
  button("edit", "Edit", "Edit the text (Enter)", () => renderer.selected && editor.open({ id: renderer.selected }));
  button("duration", "Duration", "How long this part takes", () => renderer.selected && editor.open({ id: renderer.selected, focusDuration: true }));
  button("link", "Link to…", "Link this sticky to another one (then click the target)", () => renderer.selected && startLink(renderer.selected));
  button("unlink", "Unlink", "Remove the link", () => renderer.selected && actions.update(renderer.selected, { link_to: null }, "unlink"));
  button("note", "+ Note", "Attach a deep-dive note to this sticky", () => {
    const s = state.sticky(renderer.selected);
    if (!s) return;
    // just below the sticky, or the nearest free place to it: a note never covers another sticky
    const want = { kind: "note", x: geometry.clampX(s.x + 0.035), y: geometry.clampY(s.y + 0.14) };
    const [x, y] = freeSpot(state.stickyList(), state.kinds, geometry, want) || [want.x, want.y];
    editor.open({ draft: { kind: "note", x, y, link_to: s.id } });
  });
  // The kind, changed in place as Miro or FigJam recolour (issue 26): text, place, votes and links stay.
  const kindLabel = el("label", "sel-kind");
  const kindSelect = el("select", "sel-kind-select");
  kindSelect.setAttribute("aria-label", "Kind of this sticky");
  kindSelect.title = "Change this sticky's kind: its text, place, dots and links stay";
  kindLabel.append(kindSelect);
  kindLabel.addEventListener("pointerdown", (e) => e.stopPropagation());
  kindSelect.addEventListener("keydown", (e) => e.stopPropagation());
  kindSelect.addEventListener("change", () => {
    const s = state.sticky(renderer.selected);
    if (s && kindSelect.value !== s.kind && actions.changeKind(s.id, kindSelect.value)) {
      toast(`Now a ${kindOf(kindSelect.value).label.toLowerCase()} sticky (Ctrl+Z takes it back).`, "info");
    }
  });
  buttons.kind = kindLabel;
  selectionBar.append(kindLabel);
  button("read", "Read", "Read the whole text (Enter)", () => renderer.selected && editor.read(renderer.selected));
  button("duplicate", "Duplicate", "Duplicate (Ctrl+D)", duplicate);
  button("copy", "Copy", "Copy, to paste here or on another board of this discovery (Ctrl+C)", () => copy());
  button("delete", "Delete", "Delete (Delete key; Ctrl+Z brings it back)", () => actions.remove(ids()));

  function kindChoices(s) {
    kindSelect.replaceChildren();
    for (const kind of state.kinds.values()) {
      if (kind.key !== s.kind && !state.canAdd(kind.key)) continue;
      const o = el("option", null, kind.label);
      o.value = kind.key;
      o.selected = kind.key === s.kind;
      kindSelect.append(o);
    }
    return kindSelect.options.length > 1;
  }

  function update() {
    const list = ids();
    const id = renderer.selected;
    const s = id ? state.sticky(id) : null;
    const node = id ? renderer.element(id) : null;
    // in the vote phase nothing floats over the board: a click is a dot, Shift+V or "−" takes it back
    if (!s || !node || editor.isOpen || editor.reading || hidden || state.phase().voting) { selectionBar.hidden = true; return; }
    const many = list.length > 1;
    const editable = state.canEdit(s);
    const writable = !state.readOnlyReason();
    const kind = kindOf(s.kind);
    const show = {
      edit: editable && !many,
      duration: editable && !many && !!kind?.hasDuration,
      link: editable && !many && s.kind !== "event",
      unlink: editable && !many && !!s.link_to,
      // a note about this sticky: whoever may add a note now (everyone in the deep-dive, issue 26)
      note: state.canAdd("note") && !many && s.kind !== "note",
      kind: editable && !many && kindChoices(s),
      read: !editable && !many && !!s.text,
      duplicate: writable && list.some((x) => state.canAdd(state.sticky(x)?.kind)),
      copy: true,
      delete: writable && list.some((x) => state.canEdit(state.sticky(x))),
    };
    for (const [key, b] of Object.entries(buttons)) b.hidden = !show[key];
    count.hidden = !many;
    count.textContent = many ? `${list.length} selected` : "";
    selectionBar.hidden = false;
    // above the selection's top edge
    let top = Infinity, left = Infinity, right = -Infinity;
    for (const x of list) {
      const r = renderer.node(x)?.body.getBoundingClientRect();
      if (!r) continue;
      top = Math.min(top, r.top); left = Math.min(left, r.left); right = Math.max(right, r.right);
    }
    const host = selectionBar.offsetParent?.getBoundingClientRect() || { left: 0, top: 0 };
    const barW = selectionBar.offsetWidth;
    const x = Math.max(8, (left + right) / 2 - barW / 2 - host.left);
    const y = Math.max(8, top - host.top - selectionBar.offsetHeight - 10);
    selectionBar.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
  }

  return {
    select, selectMany, ids, update, copy, paste, duplicate,
    pointerFocus: false,
    setHidden(on) { hidden = on; update(); },
    all() { selectMany([...state.stickyIds()].filter((id) => state.sticky(id))); },
  };
}
