// Runs static/js/board/timer.js's createTimer under Node on a script of steps read from stdin (JSON):
// each step sets the clock (ms), the phase and the timer's end, then refreshes the timer or lets its
// interval tick, and records whether the timer shows and its text. Used by tests/test_board_timer.py.
import { readFileSync } from "node:fs";
import { createTimer } from "./timer.js";

const steps = JSON.parse(readFileSync(0, "utf8"));
const classes = new Set();
const el = (extra = {}) => ({ hidden: false, textContent: "", addEventListener() {}, ...extra });
const value = el(), dismiss = el();
const timerEl = el({
  querySelector: (sel) => (sel === ".timer-value" ? value : dismiss),
  classList: { remove: (...names) => names.forEach((n) => classes.delete(n)),
               toggle: (n, on) => (on ? classes.add(n) : classes.delete(n)) },
  setAttribute() {},
});
const world = { now: 0, phase: "map", ends: null };
const state = {
  workshop: () => ({ timer_ends_at: world.ends == null ? null : new Date(world.ends).toISOString() }),
  now: () => world.now,
  phase: () => ({ key: world.phase }),
};
globalThis.setInterval = () => 1;  // ticks are the script's refreshes
globalThis.clearInterval = () => {};
const timer = createTimer(state, timerEl);
const out = [];
for (const step of steps) {
  Object.assign(world, step);
  timer.refresh();
  out.push({ shown: !timerEl.hidden, text: value.textContent, done: classes.has("done") });
}
process.stdout.write(JSON.stringify(out) + "\n");
