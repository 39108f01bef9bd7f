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
  let runningIn = null; // [timer_ends_at, the phase] while this page saw the timer run
  let minuteSaid = null;

  dismissEl?.addEventListener("click", () => { dismissed = state.workshop()?.timer_ends_at || null; tick(); });

  function tick() {
    const w = state.workshop();
    const ends = w && w.timer_ends_at ? Date.parse(w.timer_ends_at) : NaN;
    const left = Number.isFinite(ends) ? Math.max(0, Math.round((ends - state.now()) / 1000)) : 0;
    // the phase the timer ran in, as this page saw it run (or, for a page that only saw it done, the
    // phase when it first saw it done): a page whose ticks were held back until after the phase had
    // changed took the new phase for the one the timer ended in, and kept "Time's up" in it
    if (left > 0) runningIn = [w.timer_ends_at, state.phase().key];
    const endedIn = runningIn && runningIn[0] === w.timer_ends_at ? runningIn[1] : phaseAtEnd;
    if (Number.isFinite(ends) && left === 0 && endedIn && endedIn !== state.phase().key) dismissed = w.timer_ends_at;
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
