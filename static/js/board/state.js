// The local board state: what the server has confirmed, plus my own operations not yet confirmed.
//
// The view a user sees is always "server state + pending ops re-applied in order", so an optimistic
// change is rolled back simply by forgetting the op, and a record from the server never fights with
// a drag in flight. Nothing here talks to the socket or the DOM; listeners get told what changed.

const FACILITATOR_OPS = new Set(["phase.set", "timer.start", "timer.stop", "board.lock", "private.set",
  "private.reveal", "vote.budget", "vote.hide", "workshop.close", "workshop.reopen"]);

export class BoardState {
  constructor(config) {
    this.config = config;
    this.me = config.me;
    this.phases = config.template.phases;
    this.kinds = new Map(config.kinds.map((k) => [k.key, k]));
    this.loaded = false;
    this.lastSeq = null;
    this.clockOffset = 0; // server time minus local time, ms
    this.workshopServer = null;
    this.stickiesServer = new Map();
    this.myVotesServer = new Map();
    this.participants = [];
    this.pending = new Map(); // op id -> {op, ackSeq}
    this.hiddenCount = 0; // others' private stickies: what a reveal will show
    this.votesPlacedServer = 0; // everyone's dots in all (the facilitator's progress while votes are hidden)
    this.votesByServer = new Map(); // participant id -> dots placed (how many, never where)
    this.listeners = new Set();
  }

  // ---- change notification -------------------------------------------------------------------
  subscribe(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  emit(change) { for (const fn of this.listeners) fn(change); }

  // ---- server side -----------------------------------------------------------------------------
  loadSnapshot(snap) {
    const before = new Set(this.stickyIds());
    this.lastSeq = snap.seq;
    this.hiddenCount = snap.hidden_count ?? 0;
    this.votesPlacedServer = snap.votes_placed ?? 0;
    this.votesByServer = new Map(Object.entries(snap.votes_by || {}).map(([id, n]) => [Number(id), n]));
    if (snap.serverTime) this.clockOffset = Date.parse(snap.serverTime) - Date.now();
    this.workshopServer = { ...snap.workshop };
    this.stickiesServer = new Map(snap.stickies.map((s) => [s.id, { ...s }]));
    this.myVotesServer = new Map(Object.entries(snap.my_votes || {}));
    if (snap.participants) this.participants = snap.participants;
    // Ops acknowledged at or before this snapshot are part of it now.
    for (const [id, p] of this.pending) if (p.ackSeq != null && p.ackSeq <= snap.seq) this.pending.delete(id);
    this.loaded = true;
    const ids = new Set([...before, ...this.stickyIds()]);
    this.emit({ reset: true, stickies: ids, workshop: true, votes: true, presence: true });
  }

  /** Apply one record whose seq is exactly lastSeq + 1. */
  applyRecord(rec) {
    this.lastSeq = rec.seq;
    const change = { stickies: new Set(), workshop: false, votes: false };
    if (rec.type === "hidden") {
      const delta = rec.change === "created" ? 1 : rec.change === "deleted" ? -1 : 0;
      if (delta) { this.hiddenCount = Math.max(0, this.hiddenCount + delta); change.hidden = true; }
      this.emit(change);
      return;
    }
    if (rec.type === "vote.hidden") { // someone else's dot while votes are hidden: how many, not where
      this.votesPlacedServer = Math.max(0, this.votesPlacedServer + (rec.delta || 0));
      this.countDot(rec.by, rec.delta || 0);
      change.votes = true;
      this.emit(change);
      return;
    }
    if (rec.at && rec.type === "timer.start") {
      // keep the clock roughly honest without a dedicated time sync
      const offset = Date.parse(rec.at) - Date.now();
      if (Number.isFinite(offset) && Math.abs(offset - this.clockOffset) > 2000) this.clockOffset = offset;
    }
    if (rec.sticky) this.upsertSticky(rec.sticky, change);
    if (Array.isArray(rec.revealed)) {
      this.hiddenCount = 0; // a reveal shows every private sticky
      change.hidden = true;
      for (const s of rec.revealed) this.upsertSticky({ ...s, private: false }, change);
    }
    if (rec.workshop) { this.workshopServer = { ...this.workshopServer, ...rec.workshop }; change.workshop = true; }
    if (rec.vote) {
      const { sticky_id: sid, delta, total } = rec.vote;
      const s = this.stickiesServer.get(sid);
      if (s) { if (total != null) s.votes = total; change.stickies.add(sid); } // no total while votes are hidden
      this.votesPlacedServer = Math.max(0, this.votesPlacedServer + delta);
      this.countDot(rec.by, delta);
      if (rec.by === this.me.id) {
        this.myVotesServer.set(sid, Math.max(0, (this.myVotesServer.get(sid) || 0) + delta));
      }
      change.votes = true;
    }
    if (rec.votes) { // blind voting started (no counts: {}) or ended (every sticky's dots)
      for (const [id, s] of this.stickiesServer) { s.votes = rec.votes[id] || 0; change.stickies.add(id); }
      change.votes = true;
    }
    if (rec.id && this.pending.has(rec.id)) this.forget(rec.id, change);
    change.record = rec; // what happened, for the live region (announce.js)
    // acknowledged ops whose record we have now passed
    for (const [id, p] of this.pending) {
      if (p.ackSeq != null && p.ackSeq <= this.lastSeq) this.forget(id, change);
    }
    this.emit(change);
  }

  // A create (and a reveal) carries the whole sticky; an update only what changed, merged here.
  upsertSticky(sticky, change) {
    const known = this.stickiesServer.get(sticky.id);
    if (sticky.deleted) this.stickiesServer.delete(sticky.id);
    else if (known || sticky.kind) this.stickiesServer.set(sticky.id, { ...(known || {}), ...sticky });
    else return; // a change to a sticky this client never saw (it cannot be drawn from a delta)
    change.stickies.add(sticky.id);
  }

  setParticipants(list) { this.participants = list; this.emit({ presence: true }); }

  // ---- my pending ops --------------------------------------------------------------------------
  addPending(op) {
    this.pending.set(op.id, { op, ackSeq: null });
    this.emit(this.changeFor(op));
  }

  ackOp(id, seq) {
    const p = this.pending.get(id);
    if (!p) return;
    if (this.lastSeq != null && seq <= this.lastSeq) { const c = { stickies: new Set() }; this.forget(id, c); this.emit(c); }
    else p.ackSeq = seq;
  }

  rejectOp(id) {
    if (!this.pending.has(id)) return;
    const c = { stickies: new Set() };
    this.forget(id, c);
    this.emit(c);
  }

  forget(id, change) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const c = this.changeFor(p.op);
    for (const s of c.stickies) change.stickies.add(s);
    change.workshop = change.workshop || c.workshop;
    change.votes = change.votes || c.votes;
  }

  changeFor(op) {
    const change = { stickies: new Set(), workshop: false, votes: false };
    const sid = op.type === "sticky.create" ? op.sticky.id : op.sticky_id;
    if (op.type === "sticky.restore") change.restored = true;
    if (sid) change.stickies.add(sid);
    if (op.type.startsWith("vote.") && op.type !== "vote.budget") change.votes = true;
    if (FACILITATOR_OPS.has(op.type)) { change.workshop = true; change.votes = true; }
    return change;
  }

  // ---- the view --------------------------------------------------------------------------------
  workshop() {
    let w = this.workshopServer ? { ...this.workshopServer } : null;
    if (!w) return null;
    for (const { op } of this.pending.values()) {
      switch (op.type) {
        case "phase.set": w.phase = op.phase; break;
        case "timer.start": w.timer_seconds = op.seconds;
          w.timer_ends_at = new Date(this.now() + op.seconds * 1000).toISOString(); break;
        case "timer.stop": w.timer_ends_at = null; w.timer_seconds = null; break;
        case "board.lock": w.locked = op.locked; break;
        case "private.set": w.private_writing = op.on; break;
        case "private.reveal": w.private_writing = false; break;
        case "vote.budget": w.vote_budget = op.budget; break;
        case "vote.hide": w.hide_votes = op.on; break;
        case "workshop.close": w.status = "closed"; break;
        case "workshop.reopen": w.status = "open"; break;
        default: break;
      }
    }
    return w;
  }

  phase() {
    const w = this.workshop();
    // before the snapshot: the phase the page was rendered in (never a flash of the first phase)
    const key = w ? w.phase : (this.config.phase || this.phases[0].key);
    return this.phases.find((p) => p.key === key) || this.phases[0];
  }

  phaseIndex() { return Math.max(0, this.phases.indexOf(this.phase())); }

  now() { return Date.now() + this.clockOffset; }

  stickyIds() {
    const ids = new Set(this.stickiesServer.keys());
    for (const { op } of this.pending.values()) {
      if (op.type === "sticky.create") ids.add(op.sticky.id);
      else if (op.type === "sticky.restore") ids.add(op.sticky_id);
    }
    return ids;
  }

  /** Every sticky on the board as this page shows it (pending changes applied). */
  stickyList() {
    const list = [];
    for (const id of this.stickyIds()) { const s = this.sticky(id); if (s) list.push(s); }
    return list;
  }

  sticky(id) {
    const base = this.stickiesServer.get(id);
    let s = base ? { ...base } : null;
    let removed = false; // deleted by a pending op (an undo may bring it back before the server answers)
    for (const { op } of this.pending.values()) {
      if (op.type === "sticky.create") {
        if (op.sticky.id !== id || s) continue;
        const w = this.workshop();
        s = { link_to: null, duration_minutes: null, ...op.sticky, author_id: this.me.id, author_name: this.me.name,
          private: !!(w && w.private_writing && !this.me.facilitator), version: 0, votes: 0, pending: true };
        continue;
      }
      if (op.sticky_id !== id) continue;
      if (op.type === "sticky.restore") {
        if (removed && s) removed = false;
        else if (!s && op.local) s = { ...op.local, deleted: false, pending: true }; // the undo of a delete
        continue;
      }
      if (!s || removed) continue;
      if (op.type === "sticky.update") s = { ...s, ...op.changes, pending: true };
      else if (op.type === "sticky.delete") removed = true;
      else if (op.type === "vote.add") s.votes = (s.votes || 0) + 1;
      else if (op.type === "vote.remove") s.votes = Math.max(0, (s.votes || 0) - 1);
    }
    if (s && !removed && this.votesHidden()) s.votes = this.myVotes(id); // blind voting: my own dots only
    return removed ? null : s;
  }

  /** Blind dot voting: while the vote phase runs with hiding on, I see only my own dots. */
  votesHidden() { return !!(this.workshop()?.hide_votes && this.phase().voting); }

  countDot(by, delta) {
    if (by == null) return;
    const n = Math.max(0, (this.votesByServer.get(by) || 0) + delta);
    if (n) this.votesByServer.set(by, n); else this.votesByServer.delete(by);
  }

  /** How many dots a person has placed (never where); mine not yet confirmed included. */
  dotsPlacedBy(id) { return id === this.me.id ? this.votesUsed() : this.votesByServer.get(id) || 0; }

  /** Whether a person has placed every dot of the budget (what a facilitator waits for). */
  doneVoting(id) {
    const budget = this.workshop()?.vote_budget ?? 0;
    return budget > 0 && this.dotsPlacedBy(id) >= budget;
  }

  /** Everyone's dots in all, mine not yet confirmed included (progress while votes are hidden). */
  votesPlaced() { return Math.max(0, this.votesPlacedServer + this.pendingVoteDelta()); }

  myVotes(id) {
    let n = this.myVotesServer.get(id) || 0;
    for (const { op } of this.pending.values()) {
      if (op.sticky_id !== id) continue;
      if (op.type === "vote.add") n += 1;
      else if (op.type === "vote.remove") n = Math.max(0, n - 1);
    }
    return n;
  }

  votesUsed() {
    let n = this.pendingVoteDelta();
    for (const v of this.myVotesServer.values()) n += v;
    return Math.max(0, n);
  }

  /** How many of my dots I may still place. */
  dotsLeft() { return Math.max(0, (this.workshop()?.vote_budget ?? 0) - this.votesUsed()); }

  /** My dots placed (+) and taken back (−) not yet confirmed. */
  pendingVoteDelta() {
    let n = 0;
    for (const { op } of this.pending.values()) {
      if (op.type === "vote.add") n += 1;
      else if (op.type === "vote.remove") n -= 1;
    }
    return n;
  }

  // ---- rules as the client sees them (the server decides; this only shapes the UI) -------------
  /** Why the board is read-only for me, or null when I may change things. */
  readOnlyReason() {
    const w = this.workshop();
    if (!w) return "Loading the board…";
    if (w.status === "closed") return "This workshop is closed: the board is read-only.";
    if (this.phase().readonly) return `${this.phase().label}: the board is read-only now.`;
    if (w.locked && !this.me.facilitator) return "The facilitator has locked the board for now.";
    return null;
  }

  canAdd(kind) {
    if (this.readOnlyReason()) return false;
    if (this.me.facilitator) return true;
    return this.phase().kinds.includes(kind);
  }

  /** Anyone may move any sticky they can see (the group tidies the wall together). */
  canMove(sticky) { return !!sticky && !this.readOnlyReason(); }

  canEdit(sticky) {
    if (!sticky || this.readOnlyReason()) return false;
    return this.me.facilitator || sticky.author_id === this.me.id;
  }

  isVoting() { return !!this.phase().voting && !this.readOnlyReason(); }

  isVotable(sticky) { return !!(sticky && this.kinds.get(sticky.kind)?.votable); }

  /** Whether a new sticky of `kind` added at `target` is attached to it (link_to): a note on the
   * sticky it is about, never a note on a note. */
  attachesTo(kind, target) {
    return !!(target && this.kinds.get(kind)?.attached && !this.kinds.get(target.kind)?.attached);
  }
}
