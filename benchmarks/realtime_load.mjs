// Load generator for benchmarks/realtime.py: N board participants (plus one facilitator) as real
// socket.io-client connections in ONE Node process, so every send and receive time comes from the
// same clock (performance.now()).
//
//   node benchmarks/realtime_load.mjs config.json
//
// config: {url, token, secrets: [...N guests], facilitatorSecret, seconds, mode: "app"|"relay",
//          opsPerSecond (1), cursorHz (10), deepdiveSeconds (7), voteSeconds (3), voteBudget (5)}
//
// Each guest sends one durable op per second (one `ops` message at a time, as the board client
// does: the next waits for the previous acknowledgement) and a volatile `cursor` at cursorHz.
// The facilitator alternates the phase between "deepdive" (guests create notes/opportunities/pains,
// move and edit them) and "vote" (guests move, edit, vote.add / vote.remove on votable stickies).
// Prints "#MARK load_start" / "#MARK load_end" lines while running, then one JSON line of results.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";
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
const KINDS = ["note", "opportunity", "pain"];
const VOTABLE = new Set(["opportunity", "pain"]);

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mark = (name) => console.log(`#MARK ${name}`);

// ---- histograms (0.1 ms bins up to 60 s) for the very many cursor samples ----
class Histogram {
  constructor() { this.bins = new Uint32Array(600001); this.n = 0; this.max = 0; }
  add(ms) { const b = Math.min(600000, Math.max(0, Math.round(ms * 10))); this.bins[b]++; this.n++; if (ms > this.max) this.max = ms; }
  pct(p) {
    if (!this.n) return null;
    const target = Math.ceil(this.n * p); let seen = 0;
    for (let i = 0; i < this.bins.length; i++) { seen += this.bins[i]; if (seen >= target) return i / 10; }
    return this.max;
  }
}
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)] : null);
const r1 = (v) => (v == null ? null : Math.round(v * 10) / 10);

// ---- global bookkeeping (one process: one clock) ----
const ops = new Map();          // op id -> {sender, t0, seen: Uint8Array, recv, max, acked, refused, ackMs}
const cursorSent = new Map();   // x value -> {sender, t}
const cursorHist = new Histogram();
let cursorsSent = 0, cursorsReceived = 0, unknownOps = 0, duplicateDeliveries = 0;
const refusals = {};
const votable = [];             // sticky ids of visible pains/opportunities (from acknowledged creates)
let loadRunning = false;

const clients = [];
const secrets = cfg.secrets;
const total = secrets.length + 1; // guests + the facilitator (who is the last client)

function makeClient(idx, secret, facilitator) {
  const c = {
    idx, facilitator, phase: "deepdive", stickies: [], myVotes: new Map(), voteTotal: 0,
    due: 0, inFlight: false, connected: false, disconnects: 0, timers: [],
  };
  c.socket = io(cfg.url, {
    auth: { token: cfg.token, secret }, transports: ["websocket"], forceNew: true,
    reconnection: false, timeout: 60000,
  });
  c.socket.on("connect", () => { c.connected = true; });
  c.socket.on("disconnect", () => { c.connected = false; c.disconnects++; });
  c.socket.on("connect_error", (err) => { c.error = String(err?.message ?? err); });
  c.socket.on("presence", () => { lastPresence = now(); });
  c.socket.on("ops", (msg) => {
    const t = now();
    for (const rec of msg.ops) {
      if (rec.workshop?.phase) c.phase = rec.workshop.phase;
      else if (rec.type === "phase.set" && rec.phase) c.phase = rec.phase; // relay: the raw op
      const st = ops.get(rec.id);
      if (!st) { unknownOps++; continue; }
      if (st.sender === idx) continue;
      if (st.seen[idx]) { duplicateDeliveries++; continue; }
      st.seen[idx] = 1; st.recv++;
      const d = t - st.t0;
      if (d > st.max) st.max = d;
    }
  });
  c.socket.on("cursors", (msg) => {
    const t = now();
    for (const cur of msg.cursors) {
      const sent = cursorSent.get(cur.x);
      if (!sent || sent.sender === idx) continue;
      cursorsReceived++;
      cursorHist.add(t - sent.t);
    }
  });
  return c;
}
let lastPresence = 0;

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
    if (op.type === "sticky.create") {
      c.stickies.push({ id: op.sticky.id, kind: op.sticky.kind });
      if (VOTABLE.has(op.sticky.kind)) votable.push(op.sticky.id);
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
  const st = { sender: c.idx, t0: now(), seen: new Uint8Array(total), recv: 0, max: 0, acked: false, refused: false, ackMs: null, type: op.type };
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

async function main() {
  const t0 = now();
  for (let i = 0; i < secrets.length; i++) clients.push(makeClient(i, secrets[i], false));
  const fac = makeClient(secrets.length, cfg.facilitatorSecret ?? secrets[0], true);
  clients.push(fac);
  // wait for everyone to connect, then for the presence storm to settle
  while (clients.some((c) => !c.connected && !c.error) && now() - t0 < 120000) await sleep(50);
  const failed = clients.filter((c) => !c.connected);
  const connectMs = now() - t0;
  if (failed.length) console.error(`${failed.length} clients did not connect: ${failed[0].error}`);
  while (now() - lastPresence < 1000 && now() - t0 < 180000) await sleep(100);

  const cpu0 = process.cpuUsage();
  loopDelay.enable();
  loadRunning = true;
  mark("load_start");
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
        const x = Math.random(), y = Math.random();
        cursorSent.set(x, { sender: c.idx, t: now() });
        cursorsSent++;
        c.socket.volatile.emit("cursor", { x, y });
      }, 1000 / CURSOR_HZ));
    }, Math.random() * 1000 / CURSOR_HZ);
    c.timers.push(opTimer, curTimer);
  }
  // the facilitator alternates deepdive / vote
  (async () => {
    let phase = "deepdive";
    while (loadRunning) {
      await sleep((phase === "deepdive" ? DEEPDIVE_S : VOTE_S) * 1000);
      if (!loadRunning) break;
      phase = phase === "deepdive" ? "vote" : "deepdive";
      const op = { id: randomUUID(), type: "phase.set", phase };
      const st = { sender: fac.idx, t0: now(), seen: new Uint8Array(total), recv: 0, max: 0, acked: false, refused: false, ackMs: null, type: op.type };
      ops.set(op.id, st);
      fac.socket.timeout(30000).emit("ops", { ops: [op] }, (err, ack) => { if (err) st.timedOut = true; else recordAck(fac, op, ack, st); });
    }
  })();
  const sweep = setInterval(() => {
    const cutoff = now() - 10000;
    for (const [x, s] of cursorSent) if (s.t < cutoff) cursorSent.delete(x);
  }, 1000);

  await sleep(SECONDS * 1000);
  loadRunning = false;
  for (const c of clients) for (const t of c.timers) { clearTimeout(t); clearInterval(t); }
  const loadSeconds = (now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  loopDelay.disable();
  mark("load_end");

  // drain: wait for outstanding acks and deliveries (at most 10 s)
  const expected = (st) => clients.filter((c) => c.idx !== st.sender && c.connected).length;
  const drainStart = now();
  while (now() - drainStart < 10000) {
    const busy = clients.some((c) => c.inFlight) ||
      [...ops.values()].some((st) => st.acked && st.recv < expected(st));
    if (!busy) break;
    await sleep(100);
  }
  clearInterval(sweep);

  const all = [...ops.values()];
  const acked = all.filter((st) => st.acked);
  const lost = acked.filter((st) => st.recv < total - 1); // every other client, connected or not
  const complete = acked.filter((st) => st.recv >= total - 1).map((st) => st.max).sort((a, b) => a - b);
  const acks = all.filter((st) => st.ackMs != null).map((st) => st.ackMs).sort((a, b) => a - b);
  const byType = {};
  for (const st of all) byType[st.type] = (byType[st.type] ?? 0) + 1;
  const cursorExpected = cursorsSent * (total - 1);
  const result = {
    mode: cfg.mode, participants: secrets.length, clients: total, connected: clients.filter((c) => c.connected).length,
    connect_ms: Math.round(connectMs), load_seconds: r1(loadSeconds),
    ops_sent: all.length, ops_acked: acked.length, ops_refused: all.filter((st) => st.refused).length,
    ops_unanswered: all.filter((st) => !st.acked && !st.refused).length, ops_skipped: skippedOps,
    refusals, ops_by_type: byType,
    ops_lost: lost.length, deliveries: all.reduce((n, st) => n + st.recv, 0),
    duplicate_deliveries: duplicateDeliveries, unknown_ops_received: unknownOps,
    ops_per_second: r1(all.length / loadSeconds),
    p50_ms: r1(pct(complete, 0.5)), p90_ms: r1(pct(complete, 0.9)), p99_ms: r1(pct(complete, 0.99)),
    max_ms: r1(complete.length ? complete[complete.length - 1] : null),
    ack_p50_ms: r1(pct(acks, 0.5)), ack_p99_ms: r1(pct(acks, 0.99)),
    cursors_sent: cursorsSent, cursors_received: cursorsReceived,
    cursor_delivery: cursorExpected ? Math.round((cursorsReceived / cursorExpected) * 1000) / 1000 : null,
    cursor_p50_ms: r1(cursorHist.pct(0.5)), cursor_p99_ms: r1(cursorHist.pct(0.99)), cursor_max_ms: r1(cursorHist.max),
    disconnects: clients.reduce((n, c) => n + c.disconnects, 0),
    loadgen_cpu_percent: r1(((cpu.user + cpu.system) / 1e6 / loadSeconds) * 100),
    loadgen_loop_delay_p99_ms: r1(loopDelay.percentile(99) / 1e6),
    loadgen_loop_delay_max_ms: r1(loopDelay.max / 1e6),
  };
  for (const c of clients) c.socket.disconnect();
  console.log(JSON.stringify(result));
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
