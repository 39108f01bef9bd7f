// Search the board (Ctrl+F inside it): matching stickies are highlighted, Enter / Shift+Enter (or the
// arrows) step through them, each one brought to the middle of the view and focused; Esc closes.
import { el } from "./format.js";

export function createSearch({ state, renderer, viewport, geometry, host, onShow }) {
  const box = el("div", "search");
  box.setAttribute("role", "search");
  box.hidden = true;
  const input = el("input", "search-input");
  input.type = "search";
  input.placeholder = "Search the board";
  input.setAttribute("aria-label", "Search the board's stickies");
  const count = el("span", "search-count");
  count.setAttribute("aria-live", "polite");
  const prev = el("button", "search-btn", "↑");
  prev.type = "button"; prev.setAttribute("aria-label", "Previous match"); prev.title = "Previous match (Shift+Enter)";
  const next = el("button", "search-btn", "↓");
  next.type = "button"; next.setAttribute("aria-label", "Next match"); next.title = "Next match (Enter)";
  const close = el("button", "search-btn", "×");
  close.type = "button"; close.setAttribute("aria-label", "Close the search"); close.title = "Close (Esc)";
  box.append(input, count, prev, next, close);
  host.append(box);

  let matches = [];
  let index = -1;

  function clear() { for (const id of matches) { renderer.toggleClass(id, "search-match", false); renderer.toggleClass(id, "search-current", false); } }

  function find() {
    clear();
    const q = input.value.trim().toLowerCase();
    matches = [];
    if (q) {
      const list = [];
      for (const id of state.stickyIds()) {
        const s = state.sticky(id);
        if (s && `${s.text} ${s.author_name || ""}`.toLowerCase().includes(q)) list.push(s);
      }
      list.sort((a, b) => (geometry.stageAt(a.x) - geometry.stageAt(b.x)) || (a.x - b.x) || (a.y - b.y));
      matches = list.map((s) => s.id);
    }
    for (const id of matches) renderer.toggleClass(id, "search-match", true);
    index = -1;
    show(matches.length ? 0 : -1);
  }

  function show(i) {
    if (index >= 0 && matches[index]) renderer.toggleClass(matches[index], "search-current", false);
    index = i;
    if (i < 0) { count.textContent = input.value.trim() ? "No match" : ""; return; }
    const id = matches[i];
    renderer.toggleClass(id, "search-current", true);
    count.textContent = `${i + 1} of ${matches.length}`;
    const s = state.sticky(id);
    if (s) viewport.centreOn(...geometry.toWorld(s.x, s.y));
    onShow(id);
  }

  function stepBy(d) { if (matches.length) show((index + d + matches.length) % matches.length); }

  input.addEventListener("input", find);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === "ArrowDown") { e.preventDefault(); stepBy(e.shiftKey ? -1 : 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); stepBy(-1); }
    else if (e.key === "Escape") { e.preventDefault(); hide(); }
    else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "f") { e.preventDefault(); input.select(); }
  });
  prev.addEventListener("click", () => stepBy(-1));
  next.addEventListener("click", () => stepBy(1));
  close.addEventListener("click", () => hide());

  function hide() {
    clear();
    matches = [];
    box.hidden = true;
    const id = renderer.selected;
    if (id) renderer.element(id)?.focus({ preventScroll: true });
  }

  return {
    open() { box.hidden = false; input.focus(); input.select(); if (input.value) find(); },
    hide,
    get open_() { return !box.hidden; },
  };
}
