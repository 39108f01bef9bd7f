// The countdown everyone sees: derived from the workshop's timer_ends_at and the server's clock.
// "Time's up" stays until someone dismisses it (for themselves; the facilitator's Clear does it for
// everyone) or the room moves to another phase.

export function createTimer(state, timerEl, { announce = () => {}, onDone = () => {} } = {}) {
  const valueEl = timerEl.querySelector(".timer-value");
  const dismissEl = timerEl.querySelector(".timer-dismiss");
  let interval = 0;
  let lastText = null;
  let dismissed = null; // the timer_ends_at whose "Time's up" was put away
  let doneAt = null;
  let phaseAtEnd = null;
  let minuteSaid = null;

  dismissEl?.addEventListener("click", () => { dismissed = state.workshop()?.timer_ends_at || null; tick(); });

  function tick() {
    const w = state.workshop();
    const ends = w && w.timer_ends_at ? Date.parse(w.timer_ends_at) : NaN;
    const left = Number.isFinite(ends) ? Math.max(0, Math.round((ends - state.now()) / 1000)) : 0;
    if (Number.isFinite(ends) && left === 0 && phaseAtEnd && phaseAtEnd !== state.phase().key) dismissed = w.timer_ends_at;
    if (!Number.isFinite(ends) || (left === 0 && dismissed === w.timer_ends_at)) {
      timerEl.hidden = true;
      timerEl.classList.remove("running", "ending", "done");
      clearInterval(interval); interval = 0; lastText = null;
      return;
    }
    const m = Math.floor(left / 60), s = left % 60;
    const text = left > 0 ? `${m}:${String(s).padStart(2, "0")}` : "Time’s up";
    if (text !== lastText) { valueEl.textContent = text; lastText = text; }
    timerEl.hidden = false;
    timerEl.classList.toggle("running", left > 0);
    timerEl.classList.toggle("ending", left > 0 && left <= 30);
    timerEl.classList.toggle("done", left === 0);
    if (dismissEl) dismissEl.hidden = left > 0;
    timerEl.setAttribute("aria-label", left > 0 ? `${m} minutes ${s} seconds left` : "Time is up");
    if (left === 0 && doneAt !== w.timer_ends_at) { doneAt = w.timer_ends_at; phaseAtEnd = state.phase().key; announce("Time's up", true); onDone(); }
    if (left > 0) phaseAtEnd = null;
    if (left === 60 && minuteSaid !== w.timer_ends_at) { minuteSaid = w.timer_ends_at; announce("One minute left"); }
  }

  return {
    refresh() {
      tick();
      if (!timerEl.hidden && !interval) interval = setInterval(tick, 250);
    },
  };
}
