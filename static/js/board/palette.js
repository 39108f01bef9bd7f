// The palette, which is also the legend: every kind with its colour and shape, on screen unless folded;
// the kinds the current phase allows can be picked (click) or dragged onto the board. It folds to a
// small button (its toggle, anywhere); on a phone it is folded while the phase takes no new sticky of
// mine (the vote, the wrap-up), so the board has the width, until the person unfolds it.
import { el } from "./format.js";

const PHONE = "(max-width: 640px)";
const OFF_PHASE_TAG = "Facilitator only now";
const OFF_PHASE_NOTE = "Not part of this phase: only facilitators can add it now.";

export function createPalette(container, state) {
  const items = new Map();
  let selectedKind = null;
  const listeners = new Set();
  const foldListeners = new Set();
  let chosenFold = null; // the person's own fold or unfold, kept until what the phase offers changes
  let offers = null;     // whether the phase takes a new sticky of mine, when the palette last refreshed
  const phone = matchMedia(PHONE);

  const head = el("div", "palette-head");
  const title = el("div", "palette-title", "Sticky kinds");
  const toggle = el("button", "palette-toggle");
  toggle.type = "button";
  toggle.setAttribute("aria-controls", "palette-body");
  toggle.setAttribute("aria-label", "Sticky kinds");
  const chips = el("span", "palette-chips");
  chips.setAttribute("aria-hidden", "true");
  for (const kind of state.config.kinds.slice(0, 4)) {
    const chip = el("span", "palette-chip");
    chip.style.setProperty("--sticky", kind.colour);
    chips.append(chip);
  }
  toggle.append(chips, el("span", "palette-chevron"));
  toggle.addEventListener("click", () => { chosenFold = !folded(); applyFold(); });
  head.append(title, toggle);
  const body = el("div", "palette-body");
  body.id = "palette-body";
  const list = el("div", "palette-list");
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Sticky kinds");
  const help = el("p", "palette-help");
  body.append(list, help);
  container.replaceChildren(head, body);

  for (const kind of state.config.kinds) {
    const item = el("button", `palette-item k-${kind.key} shape-${kind.shape}`);
    item.type = "button";
    item.dataset.kind = kind.key;
    item.setAttribute("role", "option");
    item.title = kind.hint;
    const swatch = el("span", "swatch");
    swatch.style.setProperty("--sticky", kind.colour);
    const label = el("span", "palette-label");
    // a kind outside the phase that the facilitator may still add says so instead of its hint
    // (the hint stays in the tooltip)
    const tag = el("span", "palette-tag", OFF_PHASE_TAG);
    label.append(el("span", "palette-name", kind.label), tag, el("span", "palette-hint", kind.hint));
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
      const hint = state.kinds.get(key)?.hint || "";
      item.title = !inPhase && allowed ? `${hint}\n${OFF_PHASE_NOTE}` : hint;
      if (allowed && (firstAllowed == null || (inPhase && !phase.kinds.includes(firstAllowed)))) firstAllowed = key;
    }
    if (!selectedKind || !state.canAdd(selectedKind) || (!phase.kinds.includes(selectedKind) && firstAllowed
        && phase.kinds.includes(firstAllowed))) {
      select(firstAllowed);
    }
    if (reason) help.textContent = "Read-only right now.";
    else if (phase.voting) help.textContent = "Voting: click a pink or green sticky to place a dot, or focus it and press V (Shift+V takes it back).";
    else if (firstAllowed) help.textContent = "Drag a kind onto the board, or double-click the board.";
    else help.textContent = "No new stickies in this phase.";
    container.classList.toggle("disabled", !firstAllowed);
    document.body.classList.toggle("nothing-to-add", !firstAllowed); // e.g. hides "Double-tap … to add" in Set-up
    if (offers !== !!firstAllowed) { offers = !!firstAllowed; chosenFold = null; }
    applyFold();
  }

  function folded() { return chosenFold ?? (phone.matches && !offers); }

  function applyFold() {
    const on = folded();
    if (container.classList.contains("folded") === on && toggle.getAttribute("aria-expanded") === String(!on)) return;
    container.classList.toggle("folded", on);
    body.hidden = on;
    toggle.setAttribute("aria-expanded", String(!on));
    toggle.title = on ? "Show the sticky kinds" : "Fold the sticky kinds away";
    for (const fn of foldListeners) fn(on);
  }
  phone.addEventListener("change", () => applyFold());

  return {
    get selectedKind() { return selectedKind; },
    onSelect(fn) { listeners.add(fn); },
    /** The palette folded or unfolded (it covers less or more of the board). */
    onFold(fn) { foldListeners.add(fn); },
    refresh,
    select,
    kindFrom(target) {
      const item = target && target.closest ? target.closest(".palette-item") : null;
      return item && !item.disabled ? item.dataset.kind : null;
    },
  };
}
