// The board's verbs: each sends its ops (several at once in one `ops` message) and records one undo
// step for them (history.js). Rights are checked here only to say why something cannot be done;
// the server decides.

import { durationIn } from "./format.js";

export function createActions({ state, geometry, send, sendMany, history, toast, announce = () => {} }) {
  const round = (v) => Math.round(v * 10000) / 10000;

  /** Why something cannot be done: on screen and in the live region, the same words (the person may be
   * listening, not looking). False, for the verbs that answer whether they did it. */
  function refuse(message) {
    toast(message, "info");
    announce(message, true);
    return false;
  }

  function notAuthor(s, what) {
    const who = s.author_id === state.me.id ? "you" : (s.author_name || "its author");
    return `Only ${who} (who wrote it) or a facilitator can ${what}; anyone can move it.`;
  }

  function create(stickies, label = "add") {
    const ops = [];
    const steps = [];
    for (const sticky of stickies) {
      const full = { link_to: null, duration_minutes: null, ...sticky, x: round(sticky.x), y: round(sticky.y) };
      const wire = { id: full.id, kind: full.kind, text: full.text, x: full.x, y: full.y };
      if (full.duration_minutes != null) wire.duration_minutes = full.duration_minutes;
      if (full.link_to) wire.link_to = full.link_to;
      ops.push({ type: "sticky.create", sticky: wire });
      steps.push({ kind: "create", id: full.id, sticky: { ...full, author_id: state.me.id, author_name: state.me.name } });
    }
    if (!ops.length) return [];
    sendMany(ops);
    history.track(ops, steps);
    history.record({ label, steps });
    return stickies.map((s) => s.id);
  }

  /** Change a sticky's text, duration or link (author or facilitator). */
  function update(id, changes, label = "edit") {
    const s = state.sticky(id);
    if (!s) return false;
    if (!state.canEdit(s)) { toast(state.readOnlyReason() || notAuthor(s, "change its text"), "info"); return false; }
    const step = history.updateStep(id, changes);
    const op = { type: "sticky.update", sticky_id: id, changes };
    send(op);
    history.track([op], [step]);
    history.record({ label, steps: [step] });
    return true;
  }

  /** A sticky becomes another kind in place (issue 26), one undo step: a time sticky takes the duration
   * its text names; a kind without a duration drops it (sent, so that an undo brings it back). */
  function changeKind(id, key) {
    const s = state.sticky(id);
    const to = state.kinds.get(key);
    if (!s || !to || s.kind === key) return false;
    if (!state.canEdit(s)) return refuse(state.readOnlyReason() || notAuthor(s, "change its kind"));
    if (!state.canAdd(key)) return refuse(`The ${state.phase().label} phase does not take ${to.label.toLowerCase()} stickies.`);
    const changes = { kind: key };
    if (to.hasDuration && s.duration_minutes == null) {
      const named = durationIn(s.text);
      if (named != null) changes.duration_minutes = named;
    }
    if (!to.hasDuration && s.duration_minutes != null) changes.duration_minutes = null;
    if (!update(id, changes, "kind")) return false;
    announce(`Now a ${to.label.toLowerCase()} sticky.`);
    return true;
  }

  /** Move stickies: [{id, x, y}], one message and one undo step. `tag` merges quick repeats (keys).
   * Whether anything moved. */
  function move(moves, { label = "move", tag = null } = {}) {
    const reason = state.readOnlyReason();
    if (reason) { toast(reason, "info"); return false; }
    const ops = [];
    const steps = [];
    for (const { id, x, y } of moves) {
      const s = state.sticky(id);
      if (!s) continue;
      const changes = { x: round(geometry.clampX(x)), y: round(geometry.clampY(y)) };
      if (changes.x === s.x && changes.y === s.y) continue;
      steps.push(history.updateStep(id, changes));
      ops.push({ type: "sticky.update", sticky_id: id, changes });
    }
    if (!ops.length) return false;
    sendMany(ops);
    history.track(ops, steps);
    history.record({ label, steps, tag });
    return true;
  }

  /** Delete stickies (author or facilitator); no confirmation: Ctrl+Z brings them back. */
  function remove(ids) {
    const reason = state.readOnlyReason();
    if (reason) { toast(reason, "info"); return 0; }
    const ops = [];
    const steps = [];
    let refused = null;
    for (const id of ids) {
      const s = state.sticky(id);
      if (!s) continue;
      if (!state.canEdit(s)) { refused = s; continue; }
      ops.push({ type: "sticky.delete", sticky_id: id });
      steps.push({ kind: "delete", id, sticky: { ...s, pending: false } });
    }
    if (refused) toast(notAuthor(refused, "delete it"), "info");
    if (!ops.length) return 0;
    sendMany(ops);
    history.record({ label: "delete", steps });
    toast(`Deleted ${ops.length === 1 ? "a sticky" : `${ops.length} stickies`}. Ctrl+Z brings ${ops.length === 1 ? "it" : "them"} back.`, "info");
    return ops.length;
  }

  function vote(id, delta) {
    const s = state.sticky(id);
    if (!state.isVoting()) return refuse(state.readOnlyReason() || "Voting opens in the Vote phase.");
    if (!state.isVotable(s)) return refuse("Dots go on pain points and opportunities.");
    if (delta > 0) {
      if (!state.dotsLeft()) return refuse(`You have placed all ${state.workshop()?.vote_budget ?? 0} of your dots. Take one back to move it.`);
      send({ type: "vote.add", sticky_id: id });
    } else {
      if (!state.myVotes(id)) return refuse("You have no dot on this sticky.");
      send({ type: "vote.remove", sticky_id: id });
    }
    return true;
  }

  return { create, update, changeKind, move, remove, vote, notAuthor, round, refuse };
}
