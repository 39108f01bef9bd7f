// The facilitator's control bar: phases, timer, private writing and reveal, lock, vote budget and
// blind voting,
// closing, the join link. Only built when config.me.facilitator is true; every control sends an op.
import { el } from "./format.js";

export function createFacilitatorBar({ state, container, send, toast, confirmDialog, joinUrl, onTidy, onSummon, tools }) {
  container.hidden = false;
  container.replaceChildren();

  // ---- phases --------------------------------------------------------------------------------
  const stepper = el("ol", "stepper");
  stepper.setAttribute("aria-label", "Phases");
  const steps = state.phases.map((phase, i) => {
    const li = el("li", "step");
    const b = el("button", "step-btn");
    b.type = "button";
    b.dataset.phase = phase.key;
    b.append(el("span", "step-num", String(i + 1)), el("span", "step-label", phase.label));
    b.title = phase.instruction;
    b.addEventListener("click", () => {
      if (state.workshop()?.phase === phase.key) return;
      send({ type: "phase.set", phase: phase.key });
    });
    li.append(b);
    stepper.append(li);
    return { phase, li, b };
  });

  // ---- timer ----------------------------------------------------------------------------------
  const timerGroup = group("Timer");
  const minutes = el("input", "num-input");
  minutes.type = "number"; minutes.min = "1"; minutes.max = "120"; minutes.step = "1"; minutes.value = "5";
  minutes.setAttribute("aria-label", "Timer minutes");
  const minLabel = el("span", "unit", "min");
  const start = action("Start", "primary-ghost", () => {
    const m = Number(minutes.value);
    if (!Number.isInteger(m) || m < 1 || m > 120) { toast("Set the timer in whole minutes, from 1 to 120.", "error"); return; }
    send({ type: "timer.start", seconds: Math.round(m * 60) });
  });
  start.dataset.action = "timer-start";
  steady(start, "Start", "Restart");
  const plus = action("+1 min", "", () => {
    const w = state.workshop();
    const left = w?.timer_ends_at ? Math.max(0, Math.round((Date.parse(w.timer_ends_at) - state.now()) / 1000)) : 0;
    send({ type: "timer.start", seconds: Math.min(7200, left + 60) });
  });
  plus.dataset.action = "timer-plus";
  plus.title = "One more minute on the running timer";
  steady(plus, "+1 min");
  const stop = action("Stop", "", () => send({ type: "timer.stop" }));
  stop.dataset.action = "timer-stop";
  steady(stop, "Stop", "Clear");
  minutes.addEventListener("keydown", (e) => { if (e.key === "Enter") start.click(); });
  timerGroup.body.append(minutes, minLabel, start, plus, stop);

  // ---- private writing ------------------------------------------------------------------------
  const privGroup = group("Private writing");
  const privToggle = toggle("Off", () => send({ type: "private.set", on: !state.workshop()?.private_writing }));
  privToggle.dataset.action = "private";
  steady(privToggle, "Off", "On");
  const reveal = action("Reveal", "primary-ghost", () => send({ type: "private.reveal" }));
  reveal.dataset.action = "reveal";
  reveal.title = "Make every private sticky visible to everyone";
  steady(reveal, "Reveal 9");
  privGroup.body.append(privToggle, reveal);

  // ---- lock -----------------------------------------------------------------------------------
  const lockGroup = group("Board");
  const lock = toggle("Unlocked", () => send({ type: "board.lock", locked: !state.workshop()?.locked }));
  lock.dataset.action = "lock";
  steady(lock, "Unlocked", "Read-only");
  lockGroup.body.append(lock);

  // ---- votes ----------------------------------------------------------------------------------
  const voteGroup = group("Dots each");
  const budget = el("input", "num-input");
  budget.type = "number"; budget.min = "0"; budget.max = "50"; budget.step = "1";
  budget.setAttribute("aria-label", "Vote budget (dots per participant)");
  budget.addEventListener("change", () => {
    const n = Number(budget.value);
    if (!Number.isInteger(n) || n < 0 || n > 50) { toast("The vote budget is 0 to 50 dots.", "error"); refresh(); return; }
    if (n !== state.workshop()?.vote_budget) send({ type: "vote.budget", budget: n });
  });
  voteGroup.body.append(budget);
  // blind voting: each person sees only their own dots until the room leaves the vote phase
  const hideGroup = group("Hide votes");
  const hideVotes = toggle("Off", () => send({ type: "vote.hide", on: !state.workshop()?.hide_votes }));
  hideVotes.dataset.action = "hide-votes";
  hideGroup.body.append(hideVotes);

  // ---- join link, close -----------------------------------------------------------------------
  const joinGroup = group("Join link");
  const link = el("input", "join-link");
  link.readOnly = true;
  link.value = joinUrl;
  link.setAttribute("aria-label", "Join link");
  link.addEventListener("focus", () => link.select());
  const copy = action("Copy", "", async () => {
    try { await navigator.clipboard.writeText(joinUrl); }
    catch { link.select(); document.execCommand?.("copy"); }
    copy.textContent = "Copied ✓";
    setTimeout(() => { copy.textContent = "Copy"; }, 1600);
  });
  copy.dataset.action = "copy-link";
  steady(copy, "Copied ✓");
  joinGroup.body.append(link, copy);

  const close = action("Close workshop", "danger-ghost", async () => {
    const ok = await confirmDialog({
      title: "Close this workshop?",
      body: "The board becomes read-only for everyone and the join link stops admitting people. Its stickies go into the discovery's backlog.",
      confirm: "Close workshop",
    });
    if (ok) send({ type: "workshop.close" });
  });
  close.dataset.action = "close";

  // on the board's toolbar (they act on the board, not on the room's settings)
  const summon = el("button", "zbtn wide", "Bring everyone here");
  summon.type = "button";
  summon.addEventListener("click", () => onSummon());
  summon.dataset.action = "summon";
  summon.title = "Everyone's view jumps to yours and follows it until they pan or zoom";
  const tidy = el("button", "zbtn wide", "Tidy");
  tidy.type = "button";
  tidy.addEventListener("click", () => onTidy());
  tidy.dataset.action = "tidy";
  tidy.title = "Lay out overlapping stickies, each within its stage (Ctrl+Z undoes it)";
  tools.prepend(summon, tidy);

  // who is typing (a draft or an edit open): worth a moment before moving the room on
  const typing = el("span", "typing-note");
  typing.setAttribute("role", "status");
  typing.dataset.role = "typing";

  const controls = el("div", "fbar-controls");
  controls.append(timerGroup.root, privGroup.root, lockGroup.root, voteGroup.root, hideGroup.root, joinGroup.root, close);
  container.append(stepper, typing, controls);

  function group(label) {
    const root = el("div", "fgroup");
    const body = el("div", "fgroup-body");
    root.append(el("span", "fgroup-label", label), body);
    return { root, body };
  }
  function action(label, cls, onClick) {
    const b = el("button", `fbtn ${cls}`.trim(), label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  /** The bar keeps its layout whatever a button says (Start / Restart, Stop / Clear, …): a button is as
   * wide as the widest of its labels (board.css draws them hidden, zero high, under its text). */
  function steady(button, a, b = a) {
    button.dataset.a = a;
    button.dataset.b = b;
  }
  function toggle(label, onClick) {
    const b = action(label, "toggle", onClick);
    b.setAttribute("aria-pressed", "false");
    return b;
  }

  function refresh() {
    const w = state.workshop();
    if (!w) return;
    const current = state.phaseIndex();
    const closed = w.status === "closed";
    for (const [i, s] of steps.entries()) {
      s.li.classList.toggle("done", i < current);
      s.li.classList.toggle("current", i === current);
      if (i === current) s.b.setAttribute("aria-current", "step"); else s.b.removeAttribute("aria-current");
      s.b.disabled = closed;
    }
    // as the countdown rounds it (timer.js): "Time's up" and "Clear" together
    const running = !!w.timer_ends_at && Math.round((Date.parse(w.timer_ends_at) - state.now()) / 1000) > 0;
    // a timer that ended can be cleared for everyone ("Time's up" goes away). The buttons stay in their
    // places, disabled while there is nothing to stop or lengthen: starting the timer moves nothing.
    stop.textContent = running || !w.timer_ends_at ? "Stop" : "Clear";
    start.textContent = running ? "Restart" : "Start";
    privToggle.textContent = w.private_writing ? "On" : "Off";
    const waiting = state.hiddenCount;
    reveal.textContent = waiting ? `Reveal ${waiting}` : "Reveal";
    reveal.title = waiting
      ? `${waiting} private ${waiting === 1 ? "sticky is" : "stickies are"} waiting: make them visible to everyone`
      : "Make every private sticky visible to everyone (none is waiting)";
    privToggle.setAttribute("aria-pressed", String(!!w.private_writing));
    // in a read-only phase (wrap-up) the board is read-only whatever the lock says: say that instead
    const phaseReadOnly = !!state.phase().readonly;
    lock.textContent = phaseReadOnly ? "Read-only" : w.locked ? "Locked" : "Unlocked";
    lock.title = phaseReadOnly ? `${state.phase().label}: nobody can change the board in this phase; go back a step to edit`
      : w.locked ? "Only facilitators can change the board: unlock it for everyone" : "Everyone can change the board: lock it";
    lock.setAttribute("aria-pressed", String(!!w.locked || phaseReadOnly));
    if (document.activeElement !== budget) budget.value = String(w.vote_budget ?? 0);
    hideVotes.textContent = w.hide_votes ? "On" : "Off";
    hideVotes.setAttribute("aria-pressed", String(!!w.hide_votes));
    hideVotes.title = w.hide_votes
      ? "Votes are hidden until the vote ends: each person sees only their own dots (click to show every dot)"
      : "Everyone sees every dot as it is placed (click to hide votes until the vote ends)";
    for (const b of [start, plus, stop, minutes, privToggle, reveal, lock, budget, hideVotes, tidy, close]) b.disabled = closed;
    if (!running) plus.disabled = true;
    if (!w.timer_ends_at) stop.disabled = true;
    for (const b of [privToggle, lock, tidy]) if (phaseReadOnly) b.disabled = true; // nothing to write or tidy
    close.textContent = closed ? "Closed" : "Close workshop";
  }

  return {
    refresh,
    /** How many others have a sticky open in an editor. */
    typing(n) {
      const text = n ? `${n} ${n === 1 ? "person is" : "people are"} typing` : "";
      if (typing.textContent !== text) typing.textContent = text;
      typing.hidden = !n;
    },
  };
}
