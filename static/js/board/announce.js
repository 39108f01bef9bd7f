// What a screen reader hears without looking: others' changes, the phase, the timer, my own actions'
// outcomes. One polite live region, throttled: messages that arrive together are read together
// ("Ana added an event: Ticket raised; Ben moved 3 stickies"), at most one announcement every 2 s.

const GAP_MS = 2000;
const MAX_PARTS = 3;

export function createAnnouncer({ regionEl, state }) {
  const queue = [];
  let timer = 0;
  let lastAt = 0;

  function flush() {
    timer = 0;
    if (!queue.length) return;
    const parts = queue.splice(0);
    const shown = parts.slice(0, MAX_PARTS);
    if (parts.length > MAX_PARTS) shown.push(`and ${parts.length - MAX_PARTS} more changes`);
    regionEl.textContent = shown.join("; ");
    lastAt = Date.now();
  }

  /** Say something; `now` skips the wait (the reply to my own key press). */
  function announce(message, now = false) {
    if (!message) return;
    if (now) { regionEl.textContent = ""; requestAnimationFrame(() => { regionEl.textContent = message; }); lastAt = Date.now(); return; }
    // the same kind of change from the same person in one window is counted, not repeated
    queue.push(message);
    if (!timer) timer = setTimeout(flush, Math.max(250, GAP_MS - (Date.now() - lastAt)));
  }

  const nameOf = (id) => state.participants.find((p) => p.id === id)?.name || "Someone";
  const kindLabel = (key) => (state.kinds.get(key)?.label || "sticky").toLowerCase();
  const moved = new Map(); // person -> count in this window
  // A reveal is followed by the revealer's page moving apart the stickies that lay on one another
  // (main.js): those moves are the reveal's, not a person moving someone's sticky (a walkthrough heard
  // "Ada moved ‘Bea secret’" though nobody had).
  const REVEAL_TIDY_MS = 3000;
  let revealTidy = { by: null, until: 0, count: 0 };

  /** A record from the server (someone else's: mine I know). */
  function record(rec) {
    if (!rec || rec.by === state.me.id || rec.type === "hidden") return;
    const who = nameOf(rec.by);
    switch (rec.type) {
      case "sticky.create": announce(`${who} added ${/^[aeiou]/.test(kindLabel(rec.sticky?.kind)) ? "an" : "a"} ${kindLabel(rec.sticky?.kind)}: ${rec.sticky?.text || ""}`); break;
      case "sticky.restore": announce(`${who} brought back: ${rec.sticky?.text || "a sticky"}`); break;
      case "sticky.delete": announce(`${who} deleted a sticky`); break;
      case "sticky.update": {
        const s = state.sticky(rec.sticky?.id);
        if ("text" in (rec.sticky || {})) announce(`${who} changed a sticky to: ${rec.sticky.text}`);
        else if (("x" in (rec.sticky || {}) || "y" in (rec.sticky || {}))
                 && rec.by === revealTidy.by && Date.now() < revealTidy.until) {
          if (revealTidy.count++ === 0) setTimeout(() => {
            const n = revealTidy.count;
            announce(`${n} revealed ${n === 1 ? "sticky that lay on another was" : "stickies that lay on others were"} moved apart`);
            revealTidy = { by: null, until: 0, count: 0 };
          }, GAP_MS);
        } else if ("x" in (rec.sticky || {}) || "y" in (rec.sticky || {})) {
          const n = (moved.get(who) || 0) + 1;
          moved.set(who, n);
          if (n === 1) { announce(`${who} moved ${s ? `“${s.text}”` : "a sticky"}`); setTimeout(() => {
            const total = moved.get(who); moved.delete(who);
            if (total > 1) announce(`${who} moved ${total - 1} more`);
          }, GAP_MS); }
        }
        break;
      }
      case "vote.add": case "vote.remove": break; // dots are silent (the count is on each sticky)
      case "phase.set": { const p = state.phase(); announce(`Phase ${state.phaseIndex() + 1} of ${state.phases.length}: ${p.label}. ${p.instruction}`, true); break; }
      case "timer.start": announce(`Timer started: ${Math.round((rec.workshop?.timer_seconds || 0) / 60)} minutes`); break;
      case "timer.stop": announce("Timer stopped"); break;
      case "board.lock": announce(rec.workshop?.locked ? "The facilitator locked the board" : "The board is unlocked"); break;
      case "private.reveal":
        announce(`Private stickies revealed: ${(rec.revealed || []).length}`);
        revealTidy = { by: rec.by, until: Date.now() + REVEAL_TIDY_MS, count: 0 };
        break;
      case "vote.hide": announce(rec.workshop?.hide_votes ? "Votes are hidden until the vote ends" : "Votes are shown: every dot is visible"); break;
      case "private.set": announce(rec.workshop?.private_writing ? "Private writing is on" : "Private writing is off"); break;
      case "workshop.close": announce("The workshop is closed"); break;
      default: break;
    }
  }

  return { announce, record };
}
