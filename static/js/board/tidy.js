// Where stickies go so that none is buried under another: the facilitator's "Tidy" (tidyMoves, one
// undo step in main.js), the free place a new sticky takes (N, the list view: freeSpot; paste and
// duplicate: freeOffset) and a move to another stage (stageMoves). Pure functions over world-pixel boxes (node runs them: tests/test_board_tidy.py).
//
// Tidy: stickies that overlap nothing stay where they are. Each group of overlapping ones is laid out in
// its own stage column, on the column's slots (as many stickies side by side as the column holds), in
// timeline order, each at the nearest free place (below first, then beside, then above); when the
// wall's lanes are full it goes on downward, and the wall grows (y up to geometry.maxY, ADR 0015).

const SIZES = { wide: [224, 92], small: [108, 74] }; // board.css: .sticky, .shape-wide, .shape-small
const SQUARE = [136, 136];
export const GAP = 12; // px kept free between two stickies placed here
const MARGIN = 4; // px kept free inside a stage column's edges

// How a place is chosen: the cost of a place dx, dy world px away from the wanted one is
// dy (below) or dy × up (above), plus |dx| × across, plus `grow` if it makes the wall deeper.
const TIDY = { across: 1.5, up: 3, grow: 600, slotsOnly: true };
const NEAR = { across: 4, up: 10, grow: 0, slotsOnly: false }; // straight down the column first

/** Width and height of a sticky of this kind, in world px. */
export function sizeOf(kinds, kind) { return SIZES[kinds.get(kind)?.shape] || SQUARE; }

/** The boxes on the wall ({cx, cy, w, h}, centre-based, world px), bucketed by the stage columns they
 * touch so that a test looks at one column's boxes only. */
class Wall {
  constructor(geometry) {
    this.geometry = geometry;
    this.stageCount = geometry.stages;
    this.colW = geometry.W / geometry.stages;
    this.cols = Array.from({ length: geometry.stages }, () => []);
  }

  span(cx, w) {
    const last = this.stageCount - 1;
    return [Math.min(last, Math.max(0, Math.floor((cx - w / 2) / this.colW))),
      Math.min(last, Math.max(0, Math.floor((cx + w / 2) / this.colW)))];
  }

  add(box) {
    const [a, b] = this.span(box.cx, box.w);
    for (let i = a; i <= b; i += 1) this.cols[i].push(box);
  }

  /** True when a w × h box at (cx, cy) keeps `gap` px from every box on the wall (`self` aside). */
  clear(w, h, cx, cy, gap, self = null) {
    const [a, b] = this.span(cx, w);
    for (let i = a; i <= b; i += 1) {
      for (const p of this.cols[i]) {
        if (p !== self && Math.abs(p.cx - cx) < (p.w + w) / 2 + gap && Math.abs(p.cy - cy) < (p.h + h) / 2 + gap) return false;
      }
    }
    return true;
  }

  /** Where a box may stand in a stage: inside its column, from the wall's top down to maxY. */
  room(stage) {
    return { left: stage * this.colW + MARGIN, right: (stage + 1) * this.colW - MARGIN,
      bottom: this.geometry.maxY * this.geometry.H, used: this.geometry.rows * this.geometry.H };
  }
}

function boxesOf(stickies, kinds, geometry) {
  return stickies.map((s, order) => {
    const [w, h] = sizeOf(kinds, s.kind);
    const [cx, cy] = geometry.toWorld(s.x, s.y);
    return { s, order, w, h, cx, cy, stage: geometry.stageAt(s.x) };
  });
}

function wallOf(boxes, geometry) {
  const wall = new Wall(geometry);
  for (const b of boxes) wall.add(b);
  return wall;
}

const clampTo = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** The column's slots for a box w wide: as many side by side as the column holds, centred in it. */
function slots(room, w) {
  const width = room.right - room.left;
  const n = Math.max(1, Math.floor((width + GAP) / (w + GAP)));
  const first = room.left + (width - (n * w + (n - 1) * GAP)) / 2 + w / 2;
  return Array.from({ length: n }, (_, k) => first + k * (w + GAP));
}

/** The cheapest free place for a w × h box wanted at (cx, cy) in `room`, or null when there is none. */
function nearestFree(wall, w, h, cx, cy, room, how) {
  const top = h / 2, bottom = room.bottom - h / 2;
  const y0 = clampTo(cy, top, bottom);
  const xs = slots(room, w);
  if (!how.slotsOnly) xs.unshift(clampTo(cx, room.left + w / 2, Math.max(room.left + w / 2, room.right - w / 2)));
  const step = (h + GAP) / 4;
  const places = [];
  for (const x of xs) {
    for (let y = y0 - Math.floor((y0 - top) / step) * step; y <= bottom + 1e-6; y += step) {
      const dy = y - cy;
      const cost = (dy >= 0 ? dy : -dy * how.up) + Math.abs(x - cx) * how.across + (y + h / 2 > room.used ? how.grow : 0);
      places.push([cost, x, y]);
    }
  }
  places.sort((a, b) => a[0] - b[0]);
  for (const [, x, y] of places) if (wall.clear(w, h, x, y, GAP)) return [x, y];
  return null;
}

/** Timeline order, as the keyboard walks it (keyboard.js): stage by stage, left to right, top to bottom. */
const timelineOrder = (a, b) => (a.stage - b.stage) || (a.cx - b.cx) || (a.cy - b.cy) || (a.order - b.order);

/** The groups of stickies that overlap one another (directly or through others), each in timeline order. */
function clusters(boxes, everything) {
  const parent = new Map(boxes.map((b) => [b, b]));
  const root = (b) => { while (parent.get(b) !== b) { parent.set(b, parent.get(parent.get(b))); b = parent.get(b); } return b; };
  for (const b of boxes) {
    const [a, z] = everything.span(b.cx, b.w);
    for (let i = a; i <= z; i += 1) {
      for (const p of everything.cols[i]) {
        if (p !== b && parent.has(p) && Math.abs(p.cx - b.cx) < (p.w + b.w) / 2 && Math.abs(p.cy - b.cy) < (p.h + b.h) / 2) {
          parent.set(root(p), root(b));
        }
      }
    }
  }
  const groups = new Map();
  for (const b of [...boxes].sort(timelineOrder)) {
    const r = root(b);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r).push(b);
  }
  return [...groups.values()];
}

/** Where a group of overlapping stickies of one stage would go, in their timeline order: down the
 * column's first slot, then the next (so reading the stage left to right, top to bottom keeps their
 * order), from the group's top, raised to stay within the wall's lanes when it can. */
function wanted(group, room) {
  const columns = slots(room, Math.max(...group.map((b) => b.w))).length;
  const perColumn = Math.ceil(group.length / columns);
  const heights = Array(columns).fill(0);
  const layout = group.map((b, i) => {
    const col = Math.floor(i / perColumn);
    const place = { b, col, top: heights[col] };
    heights[col] += b.h + GAP;
    return place;
  });
  const depth = Math.max(...heights) - GAP;
  let top = Math.max(0, Math.min(...group.map((b) => b.cy - b.h / 2)));
  if (top + depth > room.used) top = Math.max(0, room.used - depth);
  return layout.map(({ b, col, top: dy }) => {
    const xs = slots(room, b.w);
    return [b, xs[Math.min(col, xs.length - 1)], top + dy + b.h / 2];
  });
}

/**
 * The facilitator's Tidy: [{id, x, y}] for the stickies that move, so that no two overlap. Stickies that
 * overlap nothing stay; each group of overlapping ones is laid out on its stage column's slots in
 * timeline order, each sticky at the nearest free place to its own in that layout (the wall grows
 * downward when its lanes are full). `moves.stuck` counts the stickies no free place was left for (a
 * stage full down to maxY): they stay where they are.
 */
export function tidyMoves(stickies, kinds, geometry) {
  const boxes = boxesOf(stickies, kinds, geometry);
  const everything = wallOf(boxes, geometry);
  const alone = (b) => everything.clear(b.w, b.h, b.cx, b.cy, 0, b);
  const wall = wallOf(boxes.filter(alone), geometry);
  const moves = [];
  moves.stuck = 0;
  const piled = boxes.filter((b) => !alone(b));
  // a group spread over two stages (a sticky on a column's edge) is laid out stage by stage
  const groups = clusters(piled, everything).flatMap((g) => [...new Set(g.map((b) => b.stage))]
    .map((stage) => g.filter((b) => b.stage === stage)));
  for (const group of groups) {
    const room = wall.room(group[0].stage);
    for (const [b, wx, wy] of wanted(group, room)) {
      const spot = nearestFree(wall, b.w, b.h, wx, wy, room, TIDY);
      if (!spot) { moves.stuck += 1; wall.add(b); continue; }
      wall.add({ ...b, cx: spot[0], cy: spot[1] });
      const [x, y] = geometry.fromWorld(...spot);
      if (Math.abs(x - b.s.x) > 1e-4 || Math.abs(y - b.s.y) > 1e-4) moves.push({ id: b.s.id, x, y });
    }
  }
  return moves;
}

/** The first free place after (fx, fy) in a stage read lane by lane (a lane is one height of the wall),
 * each lane column by column: further down the same column, then the next columns of the lane from the
 * lane's top, then the next lane (the wall grows). null when there is none down to maxY. */
function nextPlace(wall, w, h, fx, fy, room, H) {
  const x0 = clampTo(fx, room.left + w / 2, Math.max(room.left + w / 2, room.right - w / 2));
  const xs = [...new Set([x0, ...slots(room, w)])].sort((a, b) => a - b);
  const step = (h + GAP) / 4;
  const lanes = Math.round(room.bottom / H);
  const first = Math.max(0, Math.min(lanes - 1, Math.floor(fy / H)));
  for (let lane = first; lane < lanes; lane += 1) {
    const top = lane * H + GAP + h / 2, bottom = (lane + 1) * H - h / 2;
    for (const x of xs) {
      const same = lane === first && x === x0;
      if (lane === first && x < x0) continue; // before the focus in this order
      for (let y = same ? fy : top; y <= bottom + 1e-6; y += step) {
        if (wall.clear(w, h, x, y, GAP)) return [x, y];
      }
    }
  }
  return null;
}

/**
 * Where a new sticky of `kind` goes. Added after another one (N: `after`, its x and y) it takes the next
 * free place below it: down the same column to the end of the lane, then the stage's next column, then
 * the next lane down (the wall grows); anywhere else (x, y) it goes there if nothing is in the way, else
 * to the nearest free place in that stage, below first (`tidy`: on the column's slots, filling the
 * wall's lanes before growing it). [x, y] in board coordinates, or null when the stage is full.
 */
export function freeSpot(stickies, kinds, geometry, { kind, x, y, after = false }, { tidy = false } = {}) {
  const wall = wallOf(boxesOf(stickies, kinds, geometry), geometry);
  const [w, h] = sizeOf(kinds, kind);
  const [cx, cy] = geometry.toWorld(x, y);
  const room = wall.room(geometry.stageAt(x));
  const spot = (after && nextPlace(wall, w, h, cx, cy, room, geometry.H))
    || nearestFree(wall, w, h, cx, cy, room, tidy ? TIDY : NEAR);
  return spot && geometry.fromWorld(...spot);
}

/**
 * How far down (board units, 0 when they are clear where they are) a group of new stickies
 * ([{kind, x, y}]: a paste, a duplicate) moves together so that none lands on a sticky of the wall;
 * null when no place down to maxY is free for the whole group.
 */
export function freeOffset(stickies, kinds, geometry, items) {
  const wall = wallOf(boxesOf(stickies, kinds, geometry), geometry);
  const group = boxesOf(items, kinds, geometry);
  if (!group.length) return 0;
  const step = Math.min(...group.map((b) => b.h + GAP)) / 4;
  const bottom = geometry.maxY * geometry.H;
  for (let dy = 0; group.every((b) => b.cy + dy + b.h / 2 <= bottom + 1e-6); dy += step) {
    if (group.every((b) => wall.clear(b.w, b.h, b.cx, b.cy + dy, GAP))) return dy / geometry.H;
  }
  return null;
}

/**
 * Stickies moved `by` stages (the list view's "Move to stage", Shift+Alt+← →): each to the same place
 * in its new stage column as in its old one, or the nearest free place there (below first), one after
 * the other so that none lands on another; those whose own place is free go first, so that one pushed
 * aside takes no other's. [{id, x, y}]; a sticky the move would take off the timeline, or that finds
 * no free place in its new stage, is left out.
 */
export function stageMoves(stickies, kinds, geometry, ids, by) {
  const moving = new Set(ids);
  const wall = stickies.filter((s) => !moving.has(s.id));
  const wanted = stickies.filter((s) => moving.has(s.id))
    .filter((s) => { const stage = geometry.stageAt(s.x) + by; return stage >= 0 && stage < geometry.stages; })
    .map((s) => ({ s, kind: s.kind, x: s.x + by / geometry.stages, y: s.y }));
  const moves = [];
  for (const exact of [true, false]) {
    for (const want of wanted) {
      if (want.done) continue;
      const spot = freeSpot(wall, kinds, geometry, want);
      if (exact && !(spot && Math.abs(spot[0] - want.x) < 1e-9 && Math.abs(spot[1] - want.y) < 1e-9)) continue;
      want.done = true;
      if (!spot) continue;
      wall.push({ ...want.s, x: spot[0], y: spot[1] });
      moves.push({ id: want.s.id, x: spot[0], y: spot[1] });
    }
  }
  return moves;
}
