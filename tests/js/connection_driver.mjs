// Drives static/js/board/connection.js under Node with a fake Socket.IO client that answers every
// `ops` message the way the scenario (argv[2]) says, and prints what the board client did as JSON.
// Timers run at once (the client's waits are real seconds in a browser). Used by
// tests/test_board_client_retry.py, which copies connection.js next to this file's fake io.
import { createConnection } from "./connection.mjs";
import { fakeSocket } from "./fake_io.mjs";

const scenario = process.argv[2];
const realSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = (fn, ms) => { timers.push(ms); return realSetTimeout(fn, 0); };
globalThis.window = { addEventListener() {} };
globalThis.navigator = { onLine: true };
const timers = [];

const sent = []; // op ids of every `ops` message, in order
const errors = [];
const fatal = [];
const rejected = [];
const acked = [];
fakeSocket.answer = (event, payload) => {
  if (event === "snapshot") return { ok: true, snapshot: { seq: 0, cursor_ms: 100 } };
  if (event === "resync") return { ok: true, seq: 0, ops: [] };
  if (event !== "ops") return { ok: false, error: { code: "unknown_event" } };
  sent.push(payload.ops.map((o) => o.id));
  if (scenario === "server_error_result") {
    return { ok: true, results: payload.ops.map((o) => ({ id: o.id, ok: false,
      error: { code: "server_error", message: "The change could not be saved." } })) };
  }
  if (scenario === "server_error_message") {
    return { ok: false, error: { code: "server_error", message: "Something went wrong on the server." } };
  }
  if (scenario === "refusal") {
    return { ok: true, results: payload.ops.map((o) => ({ id: o.id, ok: false,
      error: { code: "invalid_unicode", message: "The operation holds characters that cannot be stored." } })) };
  }
  if (scenario === "transient") { // fails twice, then succeeds
    if (sent.length <= 2) return { ok: true, results: payload.ops.map((o) => ({ id: o.id, ok: false,
      error: { code: "server_busy", message: "busy" } })) };
    return { ok: true, results: payload.ops.map((o, i) => ({ id: o.id, ok: true, seq: i + 1 })) };
  }
  if (scenario === "board_deleted") { // the board was deleted between two ops: final, no retry
    return { ok: true, results: payload.ops.map((o) => ({ id: o.id, ok: false,
      error: { code: "board_deleted", message: "This board was deleted by a facilitator." } })) };
  }
  if (scenario === "ended_event") {
    fakeSocket.serverSends("ended", { code: "rights_ended", message: "Your rights on this board changed." });
    return { ok: true, results: payload.ops.map((o, i) => ({ id: o.id, ok: true, seq: i + 1 })) };
  }
  throw new Error(`unknown scenario ${scenario}`);
};

const state = {
  loaded: false, lastSeq: null,
  loadSnapshot(s) { this.loaded = true; this.lastSeq = s.seq; },
  applyRecord(r) { this.lastSeq = r.seq; },
  addPending() {}, ackOp(id) { acked.push(id); }, rejectOp(id) { rejected.push(id); },
  setParticipants() {},
};
const conn = createConnection({ token: "t", secret: "s" }, state, {
  onError: (message, code) => errors.push({ message, code }),
  onFatal: (message, code) => fatal.push({ message, code }),
});
fakeSocket.connect();
await new Promise((r) => realSetTimeout(r, 20));
const id = conn.send({ type: "sticky.create", sticky: { id: "s1", kind: "event", text: "x", x: 0, y: 0 } });
await new Promise((r) => realSetTimeout(r, 500)); // far more than the client's bounded retries need
console.log(JSON.stringify({ id, sends: sent.length, rejected, acked, errors, unsent: conn.unsent,
  waits: timers.filter((ms) => ms >= 1000), fatal, disconnects: fakeSocket.disconnects || 0 }));
process.exit(0);
