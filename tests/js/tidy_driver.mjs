// Runs static/js/board/tidy.js (the board's layout: Tidy, the free place of a new sticky) under Node on a
// scenario read as JSON from stdin, with the board's own geometry (timeline.js), and prints the answer
// as JSON. Used by tests/test_board_tidy.py, which copies both modules next to this file.
import { readFileSync } from "node:fs";
import { createGeometry } from "./timeline.js";
import { freeOffset, freeSpot, sizeOf, stageMoves, tidyMoves } from "./tidy.js";

const { stages, rows = 1, stickies, call, args = {} } = JSON.parse(readFileSync(0, "utf8"));
const kinds = new Map(Object.entries({ event: "square", pain: "rotated", system: "wide", time: "square",
  team: "small", opportunity: "square", note: "square" }).map(([key, shape]) => [key, { key, shape }]));
const geometry = createGeometry(stages);
geometry.setRows(rows);
const world = (s) => { const [w, h] = sizeOf(kinds, s.kind); const [cx, cy] = geometry.toWorld(s.x, s.y);
  return { id: s.id, stage: geometry.stageAt(s.x), x: s.x, y: s.y, left: cx - w / 2, right: cx + w / 2, top: cy - h / 2, bottom: cy + h / 2 }; };
const common = { W: geometry.W, H: geometry.H, maxY: geometry.maxY };
let out;
if (call === "tidy") {
  const moves = tidyMoves(stickies, kinds, geometry);
  const to = new Map(moves.map((m) => [m.id, m]));
  out = { moves, stuck: moves.stuck, boxes: stickies.map((s) => world({ ...s, ...(to.get(s.id) || {}) })),
    rowsAfter: geometry.rowsFor(stickies.map((s) => (to.get(s.id) || s).y)) };
} else if (call === "freeSpot") {
  const spot = freeSpot(stickies, kinds, geometry, args, { tidy: Boolean(args.tidy) });
  out = { spot, box: spot && world({ id: "new", kind: args.kind, x: spot[0], y: spot[1] }), boxes: stickies.map(world) };
} else if (call === "stageMoves") {
  const moves = stageMoves(stickies, kinds, geometry, args.ids, args.by);
  const to = new Map(moves.map((m) => [m.id, m]));
  out = { moves, boxes: stickies.map((s) => world({ ...s, ...(to.get(s.id) || {}) })) };
} else if (call === "freeOffset") {
  out = { dy: freeOffset(stickies, kinds, geometry, args.items), boxes: stickies.map(world) };
}
process.stdout.write(JSON.stringify({ ...common, ...out }) + "\n");
