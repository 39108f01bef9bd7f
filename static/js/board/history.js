// Undo and redo of my own changes, the way multiplayer whiteboards define it (TECH_NOTES, "Multiplayer
// undo"): local only (others' changes never enter my stacks), per field and as inverse operations
// sent like any other op (validated, versioned, broadcast), never snapshots. An entry whose field
// someone else changed since, or whose sticky is gone, is skipped for that field; an entry nothing of
// which can be taken back any more is never passed over silently: undo stops there and says who
// changed (or deleted) it (issue 23 item 9; the next undo goes on to the change before); the redo of an
// undo is computed when the undo happens, so undo n then redo n restores the board exactly; a new
// edit clears redo; one gesture (a drag, a multi-move, a paste, a tidy) is one entry.
// Votes, phases, the timer, the reveal and the lock are not undoable (they are room decisions).

export const FIELDS = ["text", "x", "y", "duration_minutes", "link_to", "kind"];
const LIMIT = 200;
const MERGE_MS = 700; // repeated key moves of the same stickies within this time are one step

/** What an entry is about, for the live region: “its text” for one sticky, “3 stickies” for more. */
function subject(steps, state) {
  const ids = [...new Set(steps.map((s) => s.id))];
  if (ids.length !== 1) return `${ids.length} stickies`;
  const text = state.sticky(ids[0])?.text ?? steps[0].sticky?.text ?? "";
  if (!text) return "a sticky";
  return `“${text.length > 60 ? `${text.slice(0, 59)}…` : text}”`;
}

const same = (a, b) => (typeof a === "number" && typeof b === "number") ? Math.abs(a - b) < 1e-6 : (a ?? null) === (b ?? null);
const pick = (s, names) => Object.fromEntries(names.map((n) => [n, s[n] ?? null]));

/**
 * A step is one of
 *   {kind: "update", id, before: {field: value}, after: {field: value}}
 *   {kind: "create", id, sticky}  (undo: delete it; `sticky` as it was left)
 *   {kind: "delete", id, sticky}  (undo: restore it)
 * An entry is {label, steps, tag?, at}.
 */
export function createHistory({ state, sendMany, onChange = () => {} }) {
  const undoStack = [];
  const redoStack = [];
  // steps waiting for their op's record: the server's values (rounded, cleaned, or a restored
  // sticky as it was stored) replace what this client sent, so "changed since" compares like with like
  const awaiting = new Map(); // op id -> step
  // who last changed each field of a sticky (and who deleted it): an undo that cannot be done says who
  const changedBy = new Map(); // sticky id -> {field: participant id, deleted: participant id}
  state.subscribe((change) => {
    const rec = change.record;
    if (rec?.sticky?.id && rec.by != null) {
      const by = changedBy.get(rec.sticky.id) || {};
      for (const field of FIELDS) if (field in rec.sticky) by[field] = rec.by;
      if (rec.sticky.deleted) by.deleted = rec.by;
      changedBy.set(rec.sticky.id, by);
    }
    const waiting = rec && awaiting.get(rec.id);
    if (!waiting || !rec.sticky) return;
    awaiting.delete(rec.id);
    const { step, sent } = waiting;
    if (step.kind === "update") {
      // unless a later key move merged into this step since (its `after` is newer than this record)
      for (const field of Object.keys(step.after)) {
        if (field in rec.sticky && step.after[field] === sent[field]) step.after[field] = rec.sticky[field];
      }
    } else {
      step.sticky = { ...step.sticky, ...rec.sticky };
    }
  });

  /** Remember which step an op sent for it belongs to (ops and steps in the same order). */
  function track(ops, steps) {
    ops.forEach((op, i) => {
      const step = steps[i];
      if (op.id && step && step.kind !== "delete") awaiting.set(op.id, { step, sent: step.kind === "update" ? { ...step.after } : null });
    });
    if (awaiting.size > 2000) awaiting.delete(awaiting.keys().next().value); // refused ops never answer
  }

  function record(entry) {
    if (!entry.steps.length) return;
    const top = undoStack[undoStack.length - 1];
    const now = Date.now();
    if (entry.tag && top && top.tag === entry.tag && now - top.at < MERGE_MS && mergeable(top, entry)) {
      for (const step of entry.steps) {
        const mine = top.steps.find((t) => t.id === step.id);
        Object.assign(mine.after, step.after);
      }
      top.at = now;
    } else {
      undoStack.push({ ...entry, at: now });
      if (undoStack.length > LIMIT) undoStack.shift();
    }
    redoStack.length = 0;
    onChange();
  }

  function mergeable(a, b) {
    return a.steps.length === b.steps.length && b.steps.every((s) => s.kind === "update"
      && a.steps.some((t) => t.kind === "update" && t.id === s.id));
  }

  /** The ops that take an entry back, as the board is now, and the entry that would redo them. */
  function invert(entry) {
    const ops = [];
    const steps = [];
    const owners = []; // the step each op belongs to, in op order
    let skipped = 0;
    const others = new Set(); // who changed or deleted what this entry would take back
    const blame = (id, field) => {
      const by = changedBy.get(id)?.[field];
      if (by != null && by !== state.me?.id) others.add(by);
    };
    for (const step of [...entry.steps].reverse()) {
      const now = state.sticky(step.id);
      if (step.kind === "update") {
        if (!now) { skipped += 1; blame(step.id, "deleted"); continue; }
        const changes = {}, before = {}, after = {};
        for (const [field, value] of Object.entries(step.after)) {
          if (!same(now[field], value)) { skipped += 1; blame(step.id, field); continue; } // someone changed it since
          changes[field] = step.before[field];
          before[field] = value;
          after[field] = step.before[field];
        }
        if (!Object.keys(changes).length) continue;
        ops.push({ type: "sticky.update", sticky_id: step.id, changes });
        steps.push({ kind: "update", id: step.id, before, after });
        owners.push(steps[steps.length - 1]);
      } else if (step.kind === "create") {
        // take back a sticky I added, unless someone changed it since (then it is theirs too)
        if (!now || !FIELDS.every((f) => same(now[f], step.sticky[f]))) {
          skipped += 1;
          if (!now) blame(step.id, "deleted");
          else for (const f of FIELDS) if (!same(now[f], step.sticky[f])) blame(step.id, f);
          continue;
        }
        ops.push({ type: "sticky.delete", sticky_id: step.id });
        steps.push({ kind: "delete", id: step.id, sticky: { ...now, pending: false } });
        owners.push(steps[steps.length - 1]);
      } else if (step.kind === "delete") {
        if (now) { skipped += 1; continue; } // back already
        const op = { type: "sticky.restore", sticky_id: step.id };
        Object.defineProperty(op, "local", { value: step.sticky, enumerable: false }); // shown until the record
        ops.push(op);
        steps.push({ kind: "create", id: step.id, sticky: { ...step.sticky } });
        owners.push(steps[steps.length - 1]);
      }
    }
    return { ops, owners, entry: { label: entry.label, steps: steps.reverse() }, skipped, others };
  }

  const nameOf = (id) => state.participants?.find((p) => p.id === id)?.name || "someone";

  function run(from, to) {
    if (!from.length) return null;
    const entry = from.pop();
    const { ops, owners, entry: back, skipped, others } = invert(entry);
    if (!ops.length) {
      // nothing of it can be taken back (changed or deleted by someone else since): stop here and
      // say so, never jump to an older, unrelated change (the entry is spent: the next undo goes on)
      onChange();
      const whole = entry.steps.length === 1 && !state.sticky(entry.steps[0].id);
      return { label: null, blocked: entry.label, about: subject(entry.steps, state),
        by: [...others].map(nameOf).join(" and ") || "someone else", deleted: whole };
    }
    const about = subject(back.steps, state); // before the ops: an undone add is gone after them
    sendMany(ops);
    track(ops, owners);
    to.push({ ...back, at: 0 });
    onChange();
    return { label: entry.label, about, skipped };
  }

  return {
    track,
    record,
    undo: () => run(undoStack, redoStack),
    redo: () => run(redoStack, undoStack),
    get canUndo() { return undoStack.length > 0; },
    get canRedo() { return redoStack.length > 0; },
    /** Steps for the changes about to be sent (before = the sticky as it is now). */
    updateStep(id, changes) {
      const s = state.sticky(id);
      return s ? { kind: "update", id, before: pick(s, Object.keys(changes)), after: { ...changes } } : null;
    },
  };
}
