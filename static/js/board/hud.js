// What frames the board: the phase and its instruction, why the board is read-only, the dots left,
// the connection indicator, toasts and the confirm dialog.
import { el } from "./format.js";

export function createHud({ state, dom }) {
  const { phaseStepEl, phaseLabelEl, instructionEl, readonlyEl, dotsEl, connEl, toastsEl, dialogEl, fatalEl } = dom;
  let lastPhase = null;
  // On a phone the instruction is cut to a line or two: a tap shows all of it (a walkthrough read
  // "Put everythin…" with no way to read the rest), another tap folds it again.
  instructionEl.addEventListener("click", () => instructionEl.classList.toggle("expanded"));

  function refresh() {
    const w = state.workshop();
    const phase = state.phase();
    const i = state.phaseIndex();
    phaseStepEl.textContent = `Step ${i + 1} of ${state.phases.length}`;
    phaseLabelEl.textContent = phase.label;
    if (instructionEl.textContent !== phase.instruction) {
      instructionEl.textContent = instructionEl.title = phase.instruction;
      instructionEl.classList.remove("expanded");
    }
    document.body.dataset.phase = phase.key;
    if (lastPhase && lastPhase !== phase.key) {
      instructionEl.parentElement.classList.remove("flash-in");
      void instructionEl.parentElement.offsetWidth; // restart the animation
      instructionEl.parentElement.classList.add("flash-in");
    }
    lastPhase = phase.key;

    const reason = state.loaded ? state.readOnlyReason() : null;
    pruneToasts();
    readonlyEl.hidden = !reason;
    readonlyEl.textContent = reason || "";
    readonlyEl.title = reason || ""; // one line on a phone (board.css): the whole of it on hover
    document.body.classList.toggle("read-only", !!reason);

    const notes = [];
    if (w?.private_writing && !reason) notes.push(state.me.facilitator
      ? "Private writing is on: guests only see their own new stickies until you reveal them."
      : "Private writing: only you see your new stickies until the facilitator reveals them.");
    const voters = phase.voting && w && !reason ? votersText() : "";
    if (state.votesHidden() && !reason) notes.push(state.me.facilitator
      ? `Votes are hidden: each person sees only their own dots until the vote ends. ${placedText(state.votesPlaced())} so far${voters ? `; ${voters}` : ""}.`
      : "Votes are hidden: you see only your own dots until the vote ends.");
    else if (voters && state.me.facilitator) notes.push(`${voters[0].toUpperCase()}${voters.slice(1)}.`);
    everyoneDone(phase.voting && w && !reason);
    const privateNote = dom.privateEl;
    privateNote.hidden = !notes.length;
    privateNote.textContent = privateNote.title = notes.join(" ");

    if (phase.voting && w) {
      const budget = w.vote_budget ?? 0;
      const left = state.dotsLeft();
      dotsEl.hidden = false;
      dotsEl.replaceChildren();
      const pips = el("span", "dots-pips");
      for (let k = 0; k < Math.min(budget, 20); k += 1) pips.append(el("span", k < left ? "pip" : "pip used"));
      dotsEl.append(pips, el("span", "dots-text", `dots left: ${left} of ${budget}`));
      dotsEl.classList.toggle("spent", left === 0);
    } else {
      dotsEl.hidden = true;
    }
  }

  function placedText(n) { return `${n} dot${n === 1 ? "" : "s"} placed`; }

  /** Who is here and has placed every dot: "3 of 5 here have placed all their dots". */
  function here() { return state.participants.filter((p) => p.online); }
  function votersText() {
    const people = here();
    if (!people.length || !(state.workshop()?.vote_budget > 0)) return "";
    const done = people.filter((p) => state.doneVoting(p.id)).length;
    if (done === people.length) return people.length === 1 ? "you have placed all your dots" : `all ${people.length} here have placed all their dots`;
    return `${done} of ${people.length} here ${done === 1 ? "has" : "have"} placed all their dots`;
  }

  // The facilitator hears it once when the last person here places their last dot (not again until
  // someone takes one back or someone new arrives and votes).
  let allDone = false;
  function everyoneDone(voting) {
    const people = here();
    const now = !!voting && people.length > 1 && people.every((p) => state.doneVoting(p.id));
    if (now && !allDone && state.me.facilitator) toast(`Everyone here (${people.length}) has placed all their dots.`, "info");
    allDone = now;
  }

  function connection({ status, unsent }) {
    const labels = { connecting: "Connecting…", syncing: "Syncing…", connected: "Connected",
      reconnecting: "Reconnecting…", offline: "Offline" };
    let text = labels[status] || status;
    if (unsent && status !== "connected") text += ` · ${unsent} unsent change${unsent === 1 ? "" : "s"}`;
    else if (unsent) text += " · saving…";
    connEl.dataset.status = status;
    connEl.querySelector(".conn-text").textContent = text;
    connEl.title = status === "connected" ? "Every change you see has been saved." : "Your changes are kept and sent when the connection is back.";
  }

  // The same message again while it is still shown (a refused "+ Dot" clicked four times) does not
  // stack a copy: the shown one stays longer and counts the repeats.
  // A toast says something about now, so it goes when that stops being true: one that says why the
  // board is read-only ("The facilitator has locked the board") goes when that reason does (refresh),
  // and `{ sticky: true }` keeps one up until the returned handle's dismiss() (the link hint while a
  // target is being chosen).
  const shownToasts = new Map(); // "kind|message" -> {t, timer, repeats, valid}
  function removeToast(key, entry) {
    clearTimeout(entry.timer);
    if (shownToasts.get(key) === entry) shownToasts.delete(key);
    if (entry.t.classList.contains("leaving")) return;
    entry.t.classList.add("leaving");
    setTimeout(() => entry.t.remove(), 400);
  }
  function toast(message, kind = "error", { sticky = false } = {}) {
    const key = `${kind}|${message}`;
    const ms = kind === "error" ? 5000 : 3000;
    const leave = (entry) => (sticky ? 0 : setTimeout(() => removeToast(key, entry), ms));
    let entry = shownToasts.get(key);
    if (entry && entry.t.isConnected) {
      clearTimeout(entry.timer);
      entry.repeats += 1;
      entry.t.textContent = `${message} (×${entry.repeats})`;
    } else {
      const t = el("div", `toast toast-${kind}`, message);
      t.setAttribute("role", kind === "error" ? "alert" : "status");
      toastsEl.append(t);
      while (toastsEl.children.length > 4) toastsEl.firstElementChild.remove();
      const reason = state.loaded ? state.readOnlyReason() : null;
      entry = { t, repeats: 1, timer: 0, valid: reason && message === reason ? () => state.readOnlyReason() === reason : null };
      shownToasts.set(key, entry);
    }
    entry.timer = leave(entry);
    const shown = entry;
    return { dismiss: () => removeToast(key, shown) };
  }

  /** A toast whose reason has gone (the board unlocked, the phase moved on) leaves at once. */
  function pruneToasts() {
    for (const [key, entry] of [...shownToasts]) if (entry.valid && !entry.valid()) removeToast(key, entry);
  }

  function confirmDialog({ title, body, confirm }) {
    return new Promise((resolve) => {
      dialogEl.querySelector(".dialog-title").textContent = title;
      dialogEl.querySelector(".dialog-body").textContent = body;
      const ok = dialogEl.querySelector(".dialog-confirm");
      ok.textContent = confirm;
      const done = () => { dialogEl.removeEventListener("close", done); resolve(dialogEl.returnValue === "confirm"); };
      dialogEl.returnValue = "";
      dialogEl.addEventListener("close", done);
      dialogEl.showModal();
    });
  }

  function fatal(message, code) {
    fatalEl.hidden = false;
    fatalEl.querySelector(".fatal-text").textContent = message;
    if (code === "board_deleted") { // nothing to join again: the way home instead
      fatalEl.querySelector("h2").textContent = "This board was deleted";
      const link = fatalEl.querySelector("a");
      link.textContent = "Go to the home page";
      link.href = "/";
    }
    fatalEl.querySelector("a")?.focus();
  }

  return { refresh, connection, toast, confirmDialog, fatal };
}
