// A board participant as the browser's socket.io-client 4.8.4 is, for tests/test_heartbeat.py:
// connects over websocket, optionally sends one op every `opsEveryMs` and its pointer every
// `cursorEveryMs`, and after `seconds` prints one JSON line: how many times it connected and
// disconnected (with the reasons), and how many ops were sent and acknowledged.
//
//   node tests/node/heartbeat_client.mjs '{"url": ..., "token": ..., "secret": ..., "seconds": 8}'
import { io } from "socket.io-client";
import { randomUUID } from "node:crypto";

const cfg = JSON.parse(process.argv[2]);
const result = { connects: 0, disconnects: 0, reasons: [], ops_sent: 0, ops_acked: 0, cursors_sent: 0 };
const socket = io(cfg.url, {
  transports: ["websocket"],
  auth: { token: cfg.token, secret: cfg.secret },
  reconnection: true,
  reconnectionDelay: 200,
});
socket.on("connect", () => { result.connects += 1; });
socket.on("disconnect", (reason) => { result.disconnects += 1; result.reasons.push(reason); });
socket.on("connect_error", (err) => { result.reasons.push(`connect_error: ${err.message}`); });

const timers = [];
if (cfg.opsEveryMs) {
  timers.push(setInterval(() => {
    if (!socket.connected) return;
    const op = { id: randomUUID(), type: "sticky.create",
                 sticky: { id: randomUUID(), kind: "event", text: "heartbeat", x: Math.random(), y: Math.random() } };
    result.ops_sent += 1;
    socket.timeout(5000).emit("ops", { ops: [op] }, (err, answer) => {
      if (!err && answer && answer.ok && answer.results.every((r) => r.ok)) result.ops_acked += 1;
    });
  }, cfg.opsEveryMs));
}
if (cfg.cursorEveryMs) {
  timers.push(setInterval(() => {
    if (!socket.connected) return;
    result.cursors_sent += 1;
    socket.emit("cursor", { x: Math.random(), y: Math.random() });
  }, cfg.cursorEveryMs));
}
setTimeout(() => {
  timers.forEach(clearInterval);
  setTimeout(() => {  // the last acknowledgements
    console.log(JSON.stringify(result));
    socket.close();
    process.exit(0);
  }, 1000);
}, cfg.seconds * 1000);
