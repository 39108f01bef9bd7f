// The only module that talks to the socket (docs/protocol.md).
//
// - On every connect: `resync {since}` when we have state, else `snapshot`; then re-send the outbox.
// - Outbox: my ops stay queued until acknowledged; one `ops` message in flight at a time (≤ 50 ops).
// - Broadcast records are applied strictly in seq order; a gap not filled within 1 s triggers a resync.
// - A refusal is final: the op leaves the outbox and the person is told. `server_error` and
//   `server_busy` are retried, after 1, 2, 4, 8 s, then the op is given up and the person told.
import { io } from "/vendor/socket.io.esm.min.js";

// Records the room gets in place of one only its addressee sees in full (sent to them first).
const PLACEHOLDERS = new Set(["hidden", "vote.hidden"]);

const MAX_BATCH = 50;
const ACK_TIMEOUT_MS = 15000;
const GAP_TIMEOUT_MS = 1000;
export const MAX_SERVER_RETRIES = 4;
const RETRY_BASE_MS = 1000;
const RETRYABLE = new Set(["server_error", "server_busy"]);

export function createConnection(config, state, { onStatus, onError, onCursors, onFatal, onSignal, onNames } = {}) {
  const socket = io({ auth: { token: config.token, secret: config.secret }, transports: ["websocket"] });
  const outbox = [];
  const buffer = new Map(); // seq -> record waiting for its turn
  let inflight = null; // {ids, gen}
  const failures = new Map(); // op id -> server failures so far (bounded retries)
  let gen = 0; // connection generation: acks from an older connection are ignored
  let syncing = false;
  let syncAgain = false;
  let gapTimer = null;
  let status = "connecting";

  function setStatus(next) {
    status = next;
    onStatus?.({ status, unsent: outbox.length });
  }

  // ---- incoming records, in order ------------------------------------------------------------
  function receive(records) {
    for (const rec of records) {
      if (typeof rec.seq !== "number") continue;
      if (state.lastSeq != null && rec.seq <= state.lastSeq) continue;
      // my private sticky (or my dot while votes are hidden) reaches me twice: in full (personal
      // room, first) and as a placeholder ("hidden", "vote.hidden") in the room's message
      if (PLACEHOLDERS.has(rec.type) && buffer.has(rec.seq)) continue;
      buffer.set(rec.seq, rec);
    }
    drain();
  }

  function drain() {
    if (!state.loaded) return;
    for (const seq of buffer.keys()) if (seq <= state.lastSeq) buffer.delete(seq);
    let next = buffer.get(state.lastSeq + 1);
    while (next) {
      buffer.delete(next.seq);
      state.applyRecord(next);
      next = buffer.get(state.lastSeq + 1);
    }
    if (buffer.size && !gapTimer) {
      gapTimer = setTimeout(() => { gapTimer = null; if (buffer.size) resync(); }, GAP_TIMEOUT_MS);
    } else if (!buffer.size && gapTimer) {
      clearTimeout(gapTimer); gapTimer = null;
    }
  }

  // ---- catching up ---------------------------------------------------------------------------
  function resync() {
    if (!socket.connected) return;
    if (syncing) { syncAgain = true; return; }
    syncing = true;
    const myGen = gen;
    const done = () => {
      if (myGen !== gen) return;
      syncing = false;
      if (syncAgain) { syncAgain = false; resync(); return; }
      drain();
      flush();
      setStatus(socket.connected ? "connected" : status);
    };
    if (!state.loaded) {
      socket.timeout(ACK_TIMEOUT_MS).emit("snapshot", {}, (err, ack) => {
        if (myGen !== gen) return;
        if (ENDING.has(ack?.error?.code)) { end(ack.error); return; }
        if (err || !ack || !ack.ok) { syncing = false; fail(ack, "Could not load the board"); retryLater(); return; }
        state.loadSnapshot(ack.snapshot);
        setCursorRate(ack.snapshot.cursor_ms);
        done();
      });
      return;
    }
    socket.timeout(ACK_TIMEOUT_MS).emit("resync", { since: state.lastSeq }, (err, ack) => {
      if (myGen !== gen) return;
      if (err || !ack || !ack.ok) { syncing = false; fail(ack, "Could not catch up with the board"); retryLater(); return; }
      if (ack.snapshot) {
        state.loadSnapshot(ack.snapshot);
      } else {
        for (const rec of ack.ops || []) {
          if (rec.seq > state.lastSeq && !(PLACEHOLDERS.has(rec.type) && buffer.has(rec.seq))) buffer.set(rec.seq, rec);
        }
        // apply what came back in order (the ack's ops are contiguous from since + 1)
        let next = buffer.get(state.lastSeq + 1);
        while (next) { buffer.delete(next.seq); state.applyRecord(next); next = buffer.get(state.lastSeq + 1); }
      }
      done();
    });
  }

  function retryLater() { setTimeout(() => { if (socket.connected) resync(); }, 1500); }

  function fail(ack, fallback) {
    const msg = ack?.error?.message;
    onError?.(msg || fallback);
  }

  // ---- outgoing ops --------------------------------------------------------------------------
  function send(op) {
    op.id = op.id || crypto.randomUUID();
    state.addPending(op);
    outbox.push(op);
    setStatus(status);
    flush();
    return op.id;
  }

  /** Several ops that belong together (a multi-move, a paste, an undo): queued at once, so they
   * leave in one `ops` message (50 at most per message). */
  function sendMany(ops) {
    for (const op of ops) {
      op.id = op.id || crypto.randomUUID();
      state.addPending(op);
      outbox.push(op);
    }
    setStatus(status);
    flush();
    return ops.map((op) => op.id);
  }

  /** An ephemeral message to the rest of the room (typing, follow, summon): never queued. */
  function signal(payload) {
    if (socket.connected) socket.emit("signal", payload);
  }
  socket.on("signal", (msg) => onSignal?.(msg));
  socket.on("names", (msg) => onNames?.(msg)); // the team, discovery or stage names were edited

  // The board ended for this socket (docs/protocol.md, ADR 0019): it was deleted, or the person's
  // rights on it ended. Final: stop here (no reconnect, no retries) and say why.
  const ENDING = new Set(["board_deleted", "rights_ended", "account_inactive"]);
  let ended = false;
  function end(error) {
    if (ended) return;
    ended = true;
    outbox.length = 0;
    socket.disconnect();
    onFatal?.(error?.message || "This board ended.", error?.code);
    setStatus("offline");
  }
  socket.on("ended", (msg) => end(msg));

  function flush() {
    if (!socket.connected || syncing || inflight || !outbox.length || !state.loaded) return;
    const batch = outbox.slice(0, MAX_BATCH);
    const myGen = gen;
    inflight = { ids: batch.map((o) => o.id), gen: myGen };
    socket.timeout(ACK_TIMEOUT_MS).emit("ops", { ops: batch }, (err, ack) => {
      if (myGen !== gen || !inflight || inflight.gen !== myGen) return;
      inflight = null;
      if (err) { flush(); return; } // no answer: send again (the server answers duplicates from its log)
      if (!ack || !ack.ok) {
        const code = ack?.error?.code;
        if (code === "rate_limited") { // slow down, not a refusal
          onError?.(ack.error.message || "Too many changes at once; slowing down…");
          setTimeout(flush, RETRY_BASE_MS);
          return;
        }
        if (RETRYABLE.has(code)) { retryOrGiveUp(batch.map((o) => o.id), ack.error); return; }
        // the whole message was refused: drop these ops and fall back to the server's state
        for (const op of batch) { removeFromOutbox(op.id); failures.delete(op.id); state.rejectOp(op.id); }
        fail(ack, "The board refused that change.");
        setStatus(status);
        resync();
        flush();
        return;
      }
      let rejected = false;
      const again = [];
      let againError = null;
      const ending = (ack.results || []).find((r) => ENDING.has(r.error?.code));
      if (ending) { end(ending.error); return; }
      for (const result of ack.results || []) {
        const code = result.error?.code;
        if (!result.ok && RETRYABLE.has(code)) { again.push(result.id); againError = result.error; continue; }
        removeFromOutbox(result.id);
        failures.delete(result.id);
        if (result.ok) state.ackOp(result.id, result.seq);
        else { // a refusal is final: never sent again
          rejected = true;
          state.rejectOp(result.id);
          onError?.(result.error?.message || "The board refused that change.", result.error?.code);
        }
      }
      // ops the server did not answer for stay in the outbox and go again
      setStatus(status);
      if (rejected) resync();
      drain();
      if (again.length) retryOrGiveUp(again, againError); else flush();
    });
  }

  // `server_error` / `server_busy`: try again a few times, waiting longer each time; then the op
  // is given up (taken out of the outbox, its optimistic change undone) and the person is told.
  function retryOrGiveUp(ids, error) {
    let gaveUp = false;
    let wait = RETRY_BASE_MS;
    for (const id of ids) {
      const n = (failures.get(id) || 0) + 1;
      if (n > MAX_SERVER_RETRIES) {
        failures.delete(id);
        removeFromOutbox(id);
        state.rejectOp(id);
        gaveUp = true;
      } else {
        failures.set(id, n);
        wait = Math.max(wait, RETRY_BASE_MS * 2 ** (n - 1));
      }
    }
    if (gaveUp) {
      onError?.(`A change could not be saved after ${MAX_SERVER_RETRIES + 1} tries and was undone: `
        + (error?.message || "the server had a problem."), error?.code);
      setStatus(status);
      resync();
    } else {
      onError?.(error?.message || "The server had a problem; retrying…", error?.code);
    }
    setTimeout(flush, wait);
  }

  function removeFromOutbox(id) {
    const i = outbox.findIndex((o) => o.id === id);
    if (i >= 0) outbox.splice(i, 1);
  }

  // ---- socket events -------------------------------------------------------------------------
  socket.on("connect", () => {
    gen += 1;
    inflight = null;
    syncing = false;
    syncAgain = false;
    setStatus("syncing");
    resync();
  });

  socket.on("disconnect", (reason) => {
    if (ended) return;
    gen += 1;
    inflight = null;
    syncing = false;
    if (reason === "io server disconnect") socket.connect(); // a server restart: come back by ourselves
    setStatus(navigator.onLine ? "reconnecting" : "offline");
  });

  socket.on("connect_error", (err) => {
    if (!socket.active) {
      // refused by the server's connect handler: no point retrying
      onFatal?.(err?.data?.message || err?.message || "This board refused the connection.", err?.data?.code);
      setStatus("offline");
      return;
    }
    setStatus(navigator.onLine ? "reconnecting" : "offline");
  });

  // A room's message carries the operations of a tick and, in `cursors`, the pointers that moved
  // since the last one; a room with no operations gets `cursors` messages alone (docs/protocol.md).
  socket.on("ops", (msg) => {
    receive(msg?.ops || []);
    if (Array.isArray(msg?.cursors)) onCursors?.(msg.cursors);
  });
  socket.on("presence", (msg) => {
    state.setParticipants(msg?.participants || []);
    setCursorRate(msg?.cursor_ms);
    // The server's last seq: if we are still behind it once in-flight broadcasts had time to
    // arrive, a broadcast was lost (e.g. with a crashed server process): catch up.
    const seq = msg?.seq;
    if (Number.isInteger(seq) && state.loaded && seq > state.lastSeq) {
      setTimeout(() => { if (socket.connected && state.lastSeq < seq) resync(); }, GAP_TIMEOUT_MS);
    }
  });
  socket.on("cursors", (msg) => onCursors?.(msg?.cursors || []));

  window.addEventListener("online", () => { if (!socket.connected) setStatus("reconnecting"); });
  window.addEventListener("offline", () => { if (!socket.connected) setStatus("offline"); });

  // The pointer goes at most every `cursorMs`: 100 ms, or what the room relays (presence's
  // `cursor_ms`, longer in a big room, ADR 0009); the latest position is the one sent.
  let cursorMs = 100;
  function setCursorRate(ms) {
    if (Number.isInteger(ms)) cursorMs = Math.min(2000, Math.max(50, ms));
  }
  let lastCursor = 0;
  let cursorTimer = null;
  let cursorPending = null;
  function cursor(x, y) {
    cursorPending = { x, y };
    const wait = cursorMs - (Date.now() - lastCursor);
    if (wait <= 0) sendCursor();
    else if (!cursorTimer) cursorTimer = setTimeout(sendCursor, wait);
  }
  function sendCursor() {
    cursorTimer = null;
    if (!cursorPending || !socket.connected) return;
    lastCursor = Date.now();
    socket.volatile.emit("cursor", cursorPending);
    cursorPending = null;
  }

  return {
    socket,
    send,
    sendMany,
    signal,
    cursor,
    resync,
    get status() { return status; },
    get unsent() { return outbox.length; },
  };
}
