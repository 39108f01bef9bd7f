// The palette, which is also the legend: every kind with its colour and shape is always on screen;
// the kinds the current phase allows can be picked (click) or dragged onto the board.
import { el } from "./format.js";

export function createPalette(container, state) {
  const items = new Map();
  let selectedKind = null;
  const listeners = new Set();

  const title = el("div", "palette-title", "Sticky kinds");
  const list = el("div", "palette-list");
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Sticky kinds");
  const help = el("p", "palette-help");
  container.replaceChildren(title, list, help);

  for (const kind of state.config.kinds) {
    const item = el("button", `palette-item k-${kind.key} shape-${kind.shape}`);
    item.type = "button";
    item.dataset.kind = kind.key;
    item.setAttribute("role", "option");
    item.title = kind.hint;
    const swatch = el("span", "swatch");
    swatch.style.setProperty("--sticky", kind.colour);
    const label = el("span", "palette-label");
    label.append(el("span", "palette-name", kind.label), el("span", "palette-hint", kind.hint));
    item.append(swatch, label);
    item.addEventListener("click", () => { if (!item.disabled) select(kind.key); });
    list.append(item);
    items.set(kind.key, item);
  }

  function select(key) {
    selectedKind = key;
    for (const [k, item] of items) {
      item.classList.toggle("selected", k === key);
      item.setAttribute("aria-selected", String(k === key));
    }
    for (const fn of listeners) fn(key);
  }

  function refresh() {
    const phase = state.phase();
    const reason = state.readOnlyReason();
    let firstAllowed = null;
    for (const [key, item] of items) {
      const inPhase = phase.kinds.includes(key);
      const allowed = state.canAdd(key);
      item.disabled = !allowed;
      item.classList.toggle("in-phase", inPhase);
      item.classList.toggle("off-phase", !inPhase);
      if (allowed && (firstAllowed == null || (inPhase && !phase.kinds.includes(firstAllowed)))) firstAllowed = key;
    }
    if (!selectedKind || !state.canAdd(selectedKind) || (!phase.kinds.includes(selectedKind) && firstAllowed
        && phase.kinds.includes(firstAllowed))) {
      select(firstAllowed);
    }
    if (reason) help.textContent = "Read-only right now.";
    else if (phase.voting) help.textContent = "Voting: click a pink or green sticky to place a dot.";
    else if (firstAllowed) help.textContent = "Drag a kind onto the board, or double-click the board.";
    else help.textContent = "No new stickies in this phase.";
    container.classList.toggle("disabled", !firstAllowed);
  }

  return {
    get selectedKind() { return selectedKind; },
    onSelect(fn) { listeners.add(fn); },
    refresh,
    select,
    kindFrom(target) {
      const item = target && target.closest ? target.closest(".palette-item") : null;
      return item && !item.disabled ? item.dataset.kind : null;
    },
  };
}
