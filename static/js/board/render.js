// Stickies and their links: one keyed element per sticky, updated in place, positioned by left/top,
// batched in requestAnimationFrame. Never re-renders the whole board for one change.
// (Not by transform: no per-sticky transform node for the compositor to layerize, 2,000 times over; a
// left/top move of an absolutely positioned sticky is a cheap, local layout.)
import { dotsText, el, formatDuration } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_DOTS = 12;

export function createRenderer({ state, geometry, stickyLayer, linkLayer, stages = [] }) {
  const nodes = new Map(); // sticky id -> {root, body, text, dur, author, flag, dots, unvote, del, last}
  const lines = new Map(); // source sticky id -> svg line
  const linkedFrom = new Map(); // target id -> Set(source ids)
  const dirty = new Set();
  const previews = new Map(); // sticky id -> [x, y] while dragging
  const afterFrame = new Set();
  let frame = 0;
  let everything = false;
  let selected = null; // the primary selection (the last one picked; the floating bar's)
  const selection = new Set(); // every selected sticky (Shift/Ctrl-click, a box)
  let editing = null;
  let linkMode = false;
  let zTop = 1;

  linkLayer.setAttribute("width", String(geometry.W)); // its height follows the wall's lanes (main.js)

  function schedule() { if (!frame) frame = requestAnimationFrame(flush); }

  function mark(id) { dirty.add(id); schedule(); }
  function markAll() { everything = true; schedule(); }

  function flush() {
    frame = 0;
    if (everything) {
      everything = false;
      for (const id of state.stickyIds()) dirty.add(id);
      for (const id of nodes.keys()) dirty.add(id);
    }
    const ids = [...dirty];
    dirty.clear();
    const linkDirty = new Set();
    for (const id of ids) {
      update(id);
      linkDirty.add(id);
      const from = linkedFrom.get(id);
      if (from) for (const s of from) linkDirty.add(s);
    }
    for (const id of linkDirty) updateLink(id);
    for (const fn of afterFrame) fn(ids);
  }

  function build(id, s) {
    const kind = state.kinds.get(s.kind) || state.kinds.get("note");
    const root = el("div", `sticky k-${kind.key} shape-${kind.shape}`);
    root.dataset.id = id;
    root.dataset.kind = kind.key;
    // keyboard and screen reader: one sticky at a time is in the tab order (keyboard.js moves it)
    root.tabIndex = -1;
    root.setAttribute("role", "group");
    root.setAttribute("aria-roledescription", "sticky");
    const body = el("div", "sticky-body");
    body.style.setProperty("--sticky", kind.colour);
    const dur = el("div", "sticky-duration");
    const text = el("div", "sticky-text");
    const foot = el("div", "sticky-foot");
    const author = el("span", "sticky-author");
    const flag = el("span", "sticky-flag");
    foot.append(author, flag);
    const dots = el("div", "sticky-dots");
    const del = el("button", "sticky-del", "×");
    del.type = "button";
    del.title = "Delete this sticky";
    del.setAttribute("aria-label", "Delete sticky");
    del.tabIndex = -1; // the keyboard has the Delete key (the focus stays on the sticky)
    const unvote = el("button", "sticky-unvote", "−");
    unvote.type = "button";
    unvote.title = "Take one of your dots back";
    unvote.setAttribute("aria-label", "Remove my dot");
    unvote.tabIndex = -1; // Shift+V
    if (kind.hasDuration) body.append(dur);
    body.append(text, foot, dots, del, unvote);
    root.append(body);
    stickyLayer.append(root);
    const node = { root, body, text, dur, author, flag, dots, del, unvote, last: {} };
    nodes.set(id, node);
    return node;
  }

  function update(id) {
    const s = state.sticky(id);
    let node = nodes.get(id);
    if (!s) {
      if (node) { node.root.remove(); nodes.delete(id); }
      if (selection.delete(id) && selected === id) selected = [...selection].pop() || null;
      setLink(id, null);
      return;
    }
    if (!node) { node = build(id, s); if (selection.has(id)) node.root.classList.add("selected"); }
    const last = node.last;
    if (s.kind !== node.root.dataset.kind) recolour(node, s); // a kind changed in place (issue 26)
    const [x, y] = previews.get(id) || [s.x, s.y];
    if (x !== last.x || y !== last.y) {
      const [px, py] = geometry.toWorld(x, y);
      node.root.style.left = `${px}px`;
      node.root.style.top = `${py}px`;
      last.x = x; last.y = y;
    }
    if (s.text !== last.text) {
      node.text.textContent = s.text;
      const n = (s.text || "").length;
      node.root.classList.toggle("long", n > 60);
      node.root.classList.toggle("very-long", n > 160);
      node.root.classList.toggle("empty", !n);
      // a long text is cut on the sticky: the whole of it on hover (and opened read-only, editor.js)
      if (n > 60) node.root.title = s.text; else node.root.removeAttribute("title");
      last.text = s.text;
    }
    if (s.duration_minutes !== last.duration) {
      node.dur.textContent = s.duration_minutes == null ? "?" : formatDuration(s.duration_minutes);
      last.duration = s.duration_minutes;
    }
    if (s.author_name !== last.author) {
      node.author.textContent = s.author_name || "";
      last.author = s.author_name;
    }
    const flag = s.private ? "private" : s.pending ? "saving" : "";
    if (flag !== last.flag) {
      node.flag.textContent = flag === "private" ? "only you" : flag === "saving" ? "saving…" : "";
      node.root.classList.toggle("is-private", !!s.private);
      node.root.classList.toggle("is-pending", flag === "saving");
      last.flag = flag;
    }
    const votes = s.votes || 0; // my own dots only while votes are hidden (state.sticky)
    const mine = state.myVotes(id);
    const hidden = state.votesHidden();
    if (votes !== last.votes || mine !== last.mine || hidden !== last.hidden) {
      renderDots(node.dots, votes, mine, hidden);
      node.root.classList.toggle("has-votes", votes > 0);
      node.root.classList.toggle("my-vote", mine > 0);
      last.votes = votes; last.mine = mine; last.hidden = hidden;
    }
    const editable = state.canEdit(s);
    if (editable !== last.editable) { node.root.classList.toggle("editable", editable); last.editable = editable; }
    const votable = state.isVotable(s);
    if (votable !== last.votable) { node.root.classList.toggle("votable", votable); last.votable = votable; }
    const label = describe(s, votes, mine, x, hidden);
    if (label !== last.label) { node.root.setAttribute("aria-label", label); last.label = label; }
    setLink(id, s.link_to && state.sticky(s.link_to) ? s.link_to : null);
  }

  /** The sticky's kind changed: its colour, shape and duration field follow, in the same element (the
   * keyboard's focus and the selection stay on it). */
  function recolour(node, s) {
    const kind = state.kinds.get(s.kind) || state.kinds.get("note");
    const old = node.root.dataset.kind;
    const oldKind = state.kinds.get(old);
    node.root.classList.remove(`k-${old}`, `shape-${oldKind?.shape}`);
    node.root.classList.add(`k-${kind.key}`, `shape-${kind.shape}`);
    node.root.dataset.kind = kind.key;
    node.body.style.setProperty("--sticky", kind.colour);
    if (kind.hasDuration && !node.dur.isConnected) { node.body.prepend(node.dur); node.last.duration = undefined; }
    if (!kind.hasDuration) node.dur.remove();
    node.last.label = null;
  }

  /** What a screen reader says for a sticky: kind, text, stage, author, dots. */
  function describe(s, votes, mine, x, hidden) {
    const kind = state.kinds.get(s.kind);
    const parts = [`${kind?.label || s.kind}: ${s.text || "(empty)"}`];
    if (s.duration_minutes != null) parts.push(`takes ${formatDuration(s.duration_minutes)}`);
    if (stages.length) parts.push(`stage ${stages[geometry.stageAt(x)]}`);
    parts.push(s.author_id === state.me.id ? "by you" : `by ${s.author_name || "someone"}`);
    const dots = dotsText(votes, mine, hidden);
    if (dots) parts.push(dots);
    if (s.private) parts.push("only you see it");
    if (s.link_to) { const t = state.sticky(s.link_to); if (t) parts.push(`linked to ${t.text}`); }
    return parts.join(". ");
  }

  function renderDots(container, votes, mine, hidden) {
    container.replaceChildren();
    if (!votes) return;
    const shown = Math.min(votes, MAX_DOTS);
    for (let i = 0; i < shown; i += 1) container.append(el("span", i < mine ? "dot mine" : "dot"));
    if (votes > MAX_DOTS) container.append(el("span", "dot-more", `+${votes - MAX_DOTS}`));
    container.title = dotsText(votes, mine, hidden);
  }

  // ---- links -------------------------------------------------------------------------------------
  function setLink(id, target) {
    const node = nodes.get(id);
    const prev = node?.last.link ?? lines.get(id)?.dataset.target ?? null;
    if (prev === target && (target == null || lines.has(id))) return;
    if (prev != null) linkedFrom.get(prev)?.delete(id);
    if (target == null) {
      lines.get(id)?.remove();
      lines.delete(id);
      if (node) node.last.link = null;
      return;
    }
    let line = lines.get(id);
    if (!line) {
      line = document.createElementNS(SVG, "line");
      line.setAttribute("class", "link");
      linkLayer.append(line);
      lines.set(id, line);
    }
    line.dataset.target = target;
    if (!linkedFrom.has(target)) linkedFrom.set(target, new Set());
    linkedFrom.get(target).add(id);
    if (node) node.last.link = target;
    updateLink(id);
  }

  function position(id) {
    const p = previews.get(id);
    if (p) return p;
    const s = state.sticky(id);
    return s ? [s.x, s.y] : null;
  }

  function updateLink(id) {
    const line = lines.get(id);
    if (!line) return;
    const a = position(id), b = position(line.dataset.target);
    if (!a) return;
    if (!b) { setLink(id, null); return; } // the target is gone
    const [x1, y1] = geometry.toWorld(a[0], a[1]);
    const [x2, y2] = geometry.toWorld(b[0], b[1]);
    line.setAttribute("x1", x1.toFixed(1)); line.setAttribute("y1", y1.toFixed(1));
    line.setAttribute("x2", x2.toFixed(1)); line.setAttribute("y2", y2.toFixed(1));
    const kind = state.sticky(id)?.kind;
    line.setAttribute("class", `link link-${kind || "x"}`);
  }

  // ---- selection, previews -------------------------------------------------------------------------
  function setSelected(id) { setSelection(id ? [id] : []); }

  /** Select exactly these stickies (the last one is the primary). */
  function setSelection(ids) {
    for (const old of selection) if (!ids.includes(old)) nodes.get(old)?.root.classList.remove("selected");
    selection.clear();
    for (const id of ids) {
      if (!nodes.has(id) && !state.sticky(id)) continue;
      selection.add(id);
      nodes.get(id)?.root.classList.add("selected");
    }
    selected = ids.length && selection.has(ids[ids.length - 1]) ? ids[ids.length - 1] : null;
    if (selected) raise(selected);
    for (const fn of afterFrame) fn([]);
  }

  function raise(id) {
    const node = nodes.get(id);
    if (node) node.root.style.zIndex = String(++zTop);
  }

  function setEditing(id) {
    if (editing && nodes.get(editing)) nodes.get(editing).root.classList.remove("editing");
    editing = id;
    if (id && nodes.get(id)) nodes.get(id).root.classList.add("editing");
  }

  function setLinkMode(on) {
    linkMode = on;
    stickyLayer.classList.toggle("link-mode", on);
  }

  return {
    mark,
    markAll,
    onFrame(fn) { afterFrame.add(fn); },
    node: (id) => nodes.get(id),
    element: (id) => nodes.get(id)?.root || null,
    get selected() { return selected; },
    get selection() { return [...selection]; },
    isSelected: (id) => selection.has(id),
    setSelection,
    get linkMode() { return linkMode; },
    setSelected,
    setEditing,
    setLinkMode,
    raise,
    preview(id, x, y) { previews.set(id, [x, y]); mark(id); },
    clearPreview(id) { previews.delete(id); mark(id); },
    /** The sticky id for an event target inside a sticky element, or null. */
    idFrom(target) {
      const root = target && target.closest ? target.closest(".sticky") : null;
      return root && root.dataset.id && nodes.has(root.dataset.id) ? root.dataset.id : null;
    },
    count: () => nodes.size,
    ids: () => nodes.keys(),
    /** Toggle a class on a sticky's element (search matches, the keyboard's focus). */
    toggleClass(id, cls, on) { nodes.get(id)?.root.classList.toggle(cls, on); },
  };
}
