// Load generator for benchmarks/realtime.py: one WORKER of K. The N board participants (plus one
// facilitator) are real socket.io-client connections split across K Node processes (realtime.py
// --workers K) so that no single event loop saturates. Every send and receive time is absolute
// (performance.timeOrigin + performance.now(): high resolution, the same machine clock in every
// process), so realtime.py can merge the workers' raw records: an op's latency is the latest arrival
// among ALL other clients, in any worker, minus its send time.
//
//   node benchmarks/realtime_load.mjs config.json
//
// config: {url, token, mode: "app"|"relay", seconds, out (path of the raw JSON this worker writes),
//          worker (0..K-1), workers (K), total (N + 1 clients of one board, in all workers),
//          guests: [{idx, secret, board}] (this worker's share, global client indices),
//          facilitator: {idx, secret} | null (worker 0 only; one board),
//          facilitators: [{idx, secret, board}] (many boards: board b's facilitator in worker b % K),
//          tokens: [join token of board b] (many boards; `token` is board 0's),
//          opsPerSecond (1), cursorHz (10), deepdiveSeconds (7), voteSeconds (3), voteBudget (5)}
//
// Each guest sends one durable op per second (one `ops` message at a time, as the board client
// does: the next waits for the previous acknowledgement) and moves its pointer at cursorHz; like the
// board client it sends the latest position at most every `cursor_ms` the room announces in presence
// (adaptiveCursors: false sends every move, as a client that ignores it would).
// The facilitator alternates the phase between "deepdive" (guests create notes/opportunities/pains,
// move and edit them) and "vote" (guests move, edit, vote.add / vote.remove on votable stickies).
// With many boards (realtime.py --boards B) every board has its own guests and facilitator, and
// every receipt is recorded under the board of the client that received it, so realtime.py can
// check that an op reached every other client of its own board and no client of another.
//
// Protocol with realtime.py (stdout lines / stdin lines), so that all workers load the server over
// the same window: connect, wait for the presence storm to settle, print "#READY"; on "GO" run the
// load for `seconds`, print "#MARK load_end"; drain, print "#DRAINED"; on "STOP" (every worker has
// drained; receipts keep being recorded until then) write the raw records to `out`, print "#DONE".
import { io } from "socket.io-client";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { performance, monitorEventLoopDelay } from "node:perf_hooks";
import { randomUUID } from "node:crypto";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const SECONDS = cfg.seconds ?? 20;
const OPS_PER_SECOND = cfg.opsPerSecond ?? 1;
const CURSOR_HZ = cfg.cursorHz ?? 10;
const DEEPDIVE_S = cfg.deepdiveSeconds ?? 7;
const VOTE_S = cfg.voteSeconds ?? 3;
const VOTE_BUDGET = cfg.voteBudget ?? 5;
const RELAY = cfg.mode === "relay";
// benchmarks/soak.py: a dropped client reconnects as the browser does (counted), and cursors are
// sent but not recorded one by one (minutes of them would not fit the raw records)
const RECONNECT = cfg.reconnect ?? false;
const RECORD_CURSORS = cfg.recordCursors ?? true;
const KINDS = ["note", "opportunity", "pain"];
const VOTABLE = new Set(["opportunity", "pain"]);

const now = () => performance.timeOrigin + performance.now(); // absolute ms: comparable across workers
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mark = (name) => console.log(`#MARK ${name}`);

const r1 = (v) => (v == null ? null : Math.round(v * 10) / 10);

// ---- this worker's bookkeeping (raw records; realtime.py merges the workers) ----
const guests = cfg.guests ?? cfg.secrets.map((secret, idx) => ({ idx, secret })); // (old config: one worker)
const facSeat = cfg.guests ? cfg.facilitator : { idx: cfg.secrets.length, secret: cfg.facilitatorSecret ?? cfg.secrets[0] };
const total = cfg.total ?? cfg.secrets.length + 1; // clients in ALL workers (the facilitator is the last index)
const ops = new Map();          // op id sent HERE -> {sender, board, t0, acked, refused, timedOut, ackMs, type}
const recv = new Map();         // "board|op id" received here (any sender) -> {board, key, seen: Uint8Array(local clients), n, max}
const cursorSends = [];         // [x, t, sender] of every cursor sent here
const cursorBatches = new Map(); // "first x:length" -> {xs: [...], times: [[t, receiver], ...]}
let cursorsSent = 0, cursorMoves = 0, duplicateDeliveries = 0, lastOpsAt = 0;
let downloadBytes = 0, downloadMessages = 0; // received by one participant (worker 0 only) during the load
const ADAPTIVE_CURSORS = cfg.adaptiveCursors ?? true;
const refusals = {};
const votableByBoard = new Map(); // board -> sticky ids of visible pains/opportunities (acknowledged or received creates)
const votableOf = (board) => { let v = votableByBoard.get(board); if (!v) { v = []; votableByBoard.set(board, v); } return v; };
const votableSeen = new Set();
let loadRunning = false;

const clients = [];

function makeClient(pos, idx, secret, facilitator, board = 0) {
  const c = {
    pos, idx, facilitator, board, phase: "deepdive", stickies: [], myVotes: new Map(), voteTotal: 0,
    due: 0, inFlight: false, connected: false, disconnects: 0, reconnects: 0, everConnected: false, timers: [],
    cursorMs: 0, lastCursorSent: -Infinity, // as the board client: at most one pointer per cursor_ms
  };
  c.socket = io(cfg.url, {
    auth: { token: cfg.tokens?.[board] ?? cfg.token, secret }, transports: ["websocket"], forceNew: true,
    reconnection: RECONNECT, timeout: 60000,
  });
  c.socket.on("connect", () => {
    c.connected = true;
    if (c.everConnected) c.reconnects++; // (only with cfg.reconnect: as the browser does)
    c.everConnected = true;
    // what one participant's browser downloads: the text of every engine.io packet the first
    // client of worker 0 receives during the load (ASCII JSON: characters = bytes)
    if (pos === 0 && (cfg.worker ?? 0) === 0 && !c.counting) {
      c.counting = true;
      c.socket.io.engine.on("packet", (packet) => {
        if (loadRunning && typeof packet.data === "string") { downloadBytes += packet.data.length; downloadMessages++; }
      });
    }
  });
  c.socket.on("disconnect", () => { c.connected = false; c.disconnects++; });
  c.socket.on("connect_error", (err) => { c.error = String(err?.message ?? err); });
  c.socket.on("presence", (msg) => {
    lastPresence = now();
    if (ADAPTIVE_CURSORS && Number.isInteger(msg?.cursor_ms)) c.cursorMs = Math.min(2000, Math.max(50, msg.cursor_ms));
  });
  c.socket.on("ops", (msg) => {
    const t = now();
    lastOpsAt = t;
    if (msg.cursors) cursorBatch(msg.cursors, t, idx); // a room's message carries the cursors that moved
    for (const rec of msg.ops) {
      if (rec.workshop?.phase) c.phase = rec.workshop.phase;
      else if (rec.type === "phase.set" && rec.phase) c.phase = rec.phase; // relay: the raw op
      const st = ops.get(rec.id);
      if (st && st.sender === idx) continue;
      if (!st && rec.type === "sticky.create" && VOTABLE.has(rec.sticky?.kind) && !votableSeen.has(rec.sticky.id)) {
        votableSeen.add(rec.sticky.id); votableOf(board).push(rec.sticky.id); // created in another worker
      }
      // A placeholder (someone else's private sticky, or a dot placed while votes are hidden) carries
      // no op id, only the op's seq: counted by seq, matched to the op by the sender's ack (seqs are
      // per board: the receipt is kept under the receiving client's board).
      const key = rec.id ?? (Number.isInteger(rec.seq) ? `seq:${rec.seq}` : null);
      if (key === null) continue;
      let r = recv.get(`${board}|${key}`);
      if (!r) { r = { board, key, seen: new Uint8Array(localCount), n: 0, max: 0 }; recv.set(`${board}|${key}`, r); }
      if (r.seen[pos]) { duplicateDeliveries++; continue; }
      r.seen[pos] = 1; r.n++;
      if (t > r.max) r.max = t;
    }
  });
  c.socket.on("cursors", (msg) => cursorBatch(msg.cursors, now(), idx));
  return c;
}
// A cursor is [participant id, x, y] (both servers send this compact form); x and y are sent
// rounded to 1/10,000 (what the server keeps), so x * 1e4 * 1e4 + y * 1e4 identifies one move.
const cursorKey = (x, y) => Math.round(x * 1e4) * 1e4 + Math.round(y * 1e4);
function cursorBatch(list, t, idx) {
  // every client of the room gets the same batch: keep its cursors once and one time per receipt
  if (!list?.length || !RECORD_CURSORS) return;
  const key = `${cursorKey(list[0][1], list[0][2])}:${list.length}`;
  let b = cursorBatches.get(key);
  if (!b) { b = { xs: list.map((cur) => cursorKey(cur[1], cur[2])), times: [] }; cursorBatches.set(key, b); }
  b.times.push([t, idx]);
}
let lastPresence = 0;
const facSeats = cfg.facilitators ?? (facSeat ? [{ ...facSeat, board: 0 }] : []);
const localCount = guests.length + facSeats.length;

// ---- what a participant does ----
function nextOp(c) {
  const r = Math.random();
  if (c.facilitator) return null;
  const create = () => {
    const kind = KINDS[Math.floor(Math.random() * KINDS.length)];
    const sticky = { id: randomUUID(), kind, text: `p${c.idx} ${kind} ${c.stickies.length + 1}`, x: Math.random(), y: Math.random() };
    return { id: randomUUID(), type: "sticky.create", sticky };
  };
  const own = () => c.stickies[Math.floor(Math.random() * c.stickies.length)];
  const move = () => ({ id: randomUUID(), type: "sticky.update", sticky_id: own().id, changes: { x: Math.random(), y: Math.random() } });
  const edit = () => ({ id: randomUUID(), type: "sticky.update", sticky_id: own().id,
    changes: { text: `p${c.idx} edited ${Math.random().toString(36).slice(2, 10)}` } });
  if (c.phase === "vote") {
    if (c.stickies.length && r < 0.35) return move();
    if (c.stickies.length && r < 0.6) return edit();
    if (c.voteTotal > 0 && (c.voteTotal >= VOTE_BUDGET || Math.random() < 0.4)) {
      const mine = [...c.myVotes.keys()];
      return { id: randomUUID(), type: "vote.remove", sticky_id: mine[Math.floor(Math.random() * mine.length)] };
    }
    const votable = votableOf(c.board);
    if (votable.length) return { id: randomUUID(), type: "vote.add", sticky_id: votable[Math.floor(Math.random() * votable.length)] };
    return c.stickies.length ? move() : null;
  }
  if (c.phase !== "deepdive") return null;
  if (!c.stickies.length || r < 0.35) return create();
  return r < 0.65 ? move() : edit();
}

function recordAck(c, op, ack, st) {
  const result = ack?.ok ? ack.results?.[0] : null;
  st.ackMs = now() - st.t0;
  if (result?.ok) {
    st.acked = true;
    st.seq = Number.isInteger(result.seq) ? result.seq : null;
    if (op.type === "sticky.create") {
      c.stickies.push({ id: op.sticky.id, kind: op.sticky.kind });
      if (VOTABLE.has(op.sticky.kind) && !votableSeen.has(op.sticky.id)) { votableSeen.add(op.sticky.id); votableOf(c.board).push(op.sticky.id); }
    } else if (op.type === "vote.add") {
      c.myVotes.set(op.sticky_id, (c.myVotes.get(op.sticky_id) ?? 0) + 1); c.voteTotal++;
    } else if (op.type === "vote.remove") {
      const left = (c.myVotes.get(op.sticky_id) ?? 1) - 1;
      if (left > 0) c.myVotes.set(op.sticky_id, left); else c.myVotes.delete(op.sticky_id);
      c.voteTotal--;
    }
  } else {
    st.refused = true;
    const code = result?.error?.code ?? ack?.error?.code ?? "no_result";
    refusals[code] = (refusals[code] ?? 0) + 1;
  }
}

function send(c, op) {
  const st = { sender: c.idx, board: c.board, t0: now(), acked: false, refused: false, ackMs: null, type: op.type };
  ops.set(op.id, st);
  c.inFlight = true;
  c.socket.timeout(30000).emit("ops", { ops: [op] }, (err, ack) => {
    c.inFlight = false;
    if (err) { st.timedOut = true; } else recordAck(c, op, ack, st);
    pump(c);
  });
}

function pump(c) {
  while (loadRunning && c.due > 0 && !c.inFlight && c.connected) {
    c.due--;
    const op = nextOp(c);
    if (op) send(c, op); else skippedOps++;
  }
}
let skippedOps = 0;

// ---- run ----
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const stdinLines = createInterface({ input: process.stdin });
const waiters = [];
stdinLines.on("line", (line) => {
  for (const w of waiters.splice(0)) w(line.trim());
});
async function waitFor(word) {
  for (;;) {
    const line = await new Promise((resolve) => waiters.push(resolve));
    if (line === word) return;
  }
}

async function main() {
  const t0 = now();
  guests.forEach((g, pos) => clients.push(makeClient(pos, g.idx, g.secret, false, g.board ?? 0)));
  const facs = facSeats.map((f, i) => makeClient(guests.length + i, f.idx, f.secret, true, f.board ?? 0));
  clients.push(...facs);
  // wait for everyone to connect, then for the presence storm to settle
  while (clients.some((c) => !c.connected && !c.error) && now() - t0 < 120000) await sleep(50);
  const failed = clients.filter((c) => !c.connected);
  const connectMs = now() - t0;
  if (failed.length) console.error(`worker ${cfg.worker ?? 0}: ${failed.length} clients did not connect: ${failed[0].error}`);
  while (now() - lastPresence < 1000 && now() - t0 < 180000) await sleep(100);
  console.log("#READY");
  await waitFor("GO"); // every worker is connected and settled: start together

  const cpu0 = process.cpuUsage();
  loopDelay.enable();
  loadRunning = true;
  const start = now();
  for (const c of clients) {
    if (c.facilitator) continue;
    const opTimer = setTimeout(() => {
      c.due++; pump(c);
      c.timers.push(setInterval(() => { c.due++; pump(c); }, 1000 / OPS_PER_SECOND));
    }, Math.random() * 1000 / OPS_PER_SECOND);
    const curTimer = CURSOR_HZ > 0 && setTimeout(() => {
      c.timers.push(setInterval(() => {
        if (!c.connected) return;
        // the pointer moves at CURSOR_HZ; like the board client, the latest position is sent when
        // the room's cursor_ms (presence) has passed since the last one sent
        const x = Math.round(Math.random() * 1e4) / 1e4, y = Math.round(Math.random() * 1e4) / 1e4;
        const t = now();
        cursorMoves++;
        if (t - c.lastCursorSent < c.cursorMs - 1000 / CURSOR_HZ / 2) return;
        c.lastCursorSent = t;
        if (RECORD_CURSORS) cursorSends.push([cursorKey(x, y), t, c.idx]);
        cursorsSent++;
        c.socket.volatile.emit("cursor", { x, y });
      }, 1000 / CURSOR_HZ));
    }, Math.random() * 1000 / CURSOR_HZ);
    c.timers.push(opTimer, curTimer);
  }
  // each board's facilitator alternates deepdive / vote
  for (const fac of facs) (async () => {
    let phase = "deepdive";
    while (loadRunning) {
      await sleep((phase === "deepdive" ? DEEPDIVE_S : VOTE_S) * 1000);
      if (!loadRunning) break;
      phase = phase === "deepdive" ? "vote" : "deepdive";
      const op = { id: randomUUID(), type: "phase.set", phase };
      const st = { sender: fac.idx, board: fac.board, t0: now(), acked: false, refused: false, ackMs: null, type: op.type };
      ops.set(op.id, st);
      fac.socket.timeout(30000).emit("ops", { ops: [op] }, (err, ack) => { if (err) st.timedOut = true; else recordAck(fac, op, ack, st); });
    }
  })();

  await sleep(SECONDS * 1000);
  loadRunning = false;
  for (const c of clients) for (const t of c.timers) { clearTimeout(t); clearInterval(t); }
  const loadSeconds = (now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loopDelay.disable();
  mark("load_end");

  // drain (at most 10 s): own acks outstanding, own ops not yet at all of this worker's clients, or
  // ops (from any worker) still arriving in the last second
  const local = new Set(clients.filter((c) => c.connected).map((c) => c.idx));
  const localByBoard = new Map();
  for (const c of clients) if (c.connected) localByBoard.set(c.board, (localByBoard.get(c.board) ?? 0) + 1);
  const expected = (st) => (localByBoard.get(st.board) ?? 0) - (local.has(st.sender) ? 1 : 0);
  const drainStart = now();
  while (now() - drainStart < 10000) {
    const busy = clients.some((c) => c.inFlight) || now() - lastOpsAt < 1000 ||
      [...ops].some(([id, st]) => st.acked && (recv.get(`${st.board}|${id}`)?.n ?? 0) < expected(st));
    if (!busy) break;
    await sleep(100);
  }
  console.log("#DRAINED");
  await waitFor("STOP"); // every worker has drained; receipts until now count

  const raw = {
    worker: cfg.worker ?? 0, mode: cfg.mode, total, clients: clients.map((c) => c.idx),
    connected: clients.filter((c) => c.connected).length, connect_ms: Math.round(connectMs),
    load_seconds: loadSeconds, cpu_seconds: (cpu.user + cpu.system) / 1e6,
    loop_delay_p99_ms: r1(loopDelay.percentile(99) / 1e6), loop_delay_max_ms: r1(loopDelay.max / 1e6),
    disconnects: clients.reduce((n, c) => n + c.disconnects, 0),
    reconnects: clients.reduce((n, c) => n + c.reconnects, 0), ops_skipped: skippedOps, refusals,
    duplicate_deliveries: duplicateDeliveries, cursors_sent: cursorsSent, cursor_moves: cursorMoves,
    download_bytes: downloadBytes, download_messages: downloadMessages,
    // op id -> [send time, sender, "acked"|"refused"|"timeout"|null, ack ms, type, seq, board]
    sends: Object.fromEntries([...ops].map(([id, st]) => [id, [st.t0, st.sender,
      st.acked ? "acked" : st.refused ? "refused" : st.timedOut ? "timeout" : null, st.ackMs, st.type, st.seq ?? null,
      st.board]])),
    // board -> op id (or "seq:N" for a placeholder) -> [receipts by this worker's clients of that
    // board (sender excluded), latest receive time]
    recv_by_board: [...recv.values()].reduce((out, r) => {
      (out[r.board] ??= {})[r.key] = [r.n, r.max];
      return out;
    }, {}),
    cursor_sends: cursorSends,                  // [cursor key, send time, sender]
    cursor_batches: [...cursorBatches.values()], // {xs, times: [[receive time, receiver]]}
  };
  writeFileSync(cfg.out, JSON.stringify(raw));
  console.log("#DONE");
  for (const c of clients) c.socket.disconnect();
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
