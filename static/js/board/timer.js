// The countdown everyone sees: derived from the workshop's timer_ends_at and the server's clock.

export function createTimer(state, timerEl) {
  const valueEl = timerEl.querySelector(".timer-value");
  let interval = 0;
  let lastText = null;

  function tick() {
    const w = state.workshop();
    const ends = w && w.timer_ends_at ? Date.parse(w.timer_ends_at) : NaN;
    if (!Number.isFinite(ends)) {
      timerEl.hidden = true;
      timerEl.classList.remove("running", "ending", "done");
      clearInterval(interval); interval = 0; lastText = null;
      return;
    }
    const left = Math.max(0, Math.round((ends - state.now()) / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    const text = left > 0 ? `${m}:${String(s).padStart(2, "0")}` : "Time’s up";
    if (text !== lastText) { valueEl.textContent = text; lastText = text; }
    timerEl.hidden = false;
    timerEl.classList.toggle("running", left > 0);
    timerEl.classList.toggle("ending", left > 0 && left <= 30);
    timerEl.classList.toggle("done", left === 0);
    timerEl.setAttribute("aria-label", left > 0 ? `${m} minutes ${s} seconds left` : "Time is up");
  }

  return {
    refresh() {
      tick();
      if (!timerEl.hidden && !interval) interval = setInterval(tick, 250);
    },
  };
}
