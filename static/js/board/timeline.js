// The timeline: geometry of the board (sticky x 0..1 across the whole timeline, y down the wall in
// lane heights: 0..1 the first lane, growing downward to MAX_Y as stages fill up, ADR 0015) and the
// static world behind the stickies: stage columns, their labels, start and end markers.

export const HEADER = 96; // px above y = 0 for the timeline axis and stage labels
export const SIDE = 200; // px left of x = 0 and right of x = 1 for the start / end markers
export const MAX_Y = 10; // the deepest y the server takes (workshop/domain/board.py MAX_Y)
const FOOT = 40; // px below the wall's last lane, for "fit"
const BOTTOM_REACH = 90; // px a sticky reaches below its centre, and a little more: its lane must hold it

export function createGeometry(stageCount) {
  const W = Math.max(1800, stageCount * 380);
  const H = 960;
  let rows = 1; // how many lane heights the wall shows: as many as its lowest sticky needs
  return {
    W, H, maxY: MAX_Y, stages: stageCount,
    /** Board coordinates to world pixels (sticky centre). */
    toWorld: (x, y) => [x * W, y * H],
    fromWorld: (px, py) => [px / W, py / H],
    /** Into the ranges the server takes: x on the timeline (0..1), y down the wall (0..MAX_Y). */
    clampX: (v) => Math.min(1, Math.max(0, v)),
    clampY: (v) => Math.min(MAX_Y, Math.max(0, v)),
    stageAt(x) { return Math.min(stageCount - 1, Math.max(0, Math.floor(x * stageCount))); },
    get rows() { return rows; },
    /** The lanes a wall with stickies at these ys needs (1 at least, MAX_Y at most). */
    rowsFor(ys) {
      let low = 0;
      for (const y of ys) if (y > low) low = y;
      return Math.min(MAX_Y, Math.max(1, Math.ceil((low * H + BOTTOM_REACH) / H)));
    },
    /** Show this many lanes; true if that changed. */
    setRows(n) { if (n === rows) return false; rows = n; return true; },
    /** The whole drawing, for "fit": left, top, width, height in world px (every lane in use). */
    get bounds() { return { left: -SIDE, top: -HEADER, width: W + 2 * SIDE, height: rows * H + HEADER + FOOT }; },
  };
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
}

/** Draw the timeline into the world's background layer: once, and again when the wall grows or shrinks
 * by a lane, and when the facilitator renames the stages (their number is fixed once boards have stickies). */
export function drawTimeline(layer, geometry, discovery) {
  const { W, H, rows } = geometry;
  const stages = discovery.stages.length ? discovery.stages : ["Timeline"];
  const colW = W / stages.length;
  layer.replaceChildren();

  const axis = el("div", "tl-axis");
  axis.style.width = `${W}px`;
  layer.append(axis);

  stages.forEach((name, i) => {
    const col = el("div", `tl-stage${i % 2 ? " odd" : ""}`);
    col.style.transform = `translate(${i * colW}px, ${-HEADER}px)`;
    col.style.width = `${colW}px`;
    col.style.height = `${rows * H + HEADER}px`;
    const label = el("div", "tl-stage-label");
    label.append(el("span", "tl-stage-num", String(i + 1)), el("span", "tl-stage-name", name));
    col.append(label);
    col.dataset.stage = String(i);
    layer.append(col);
  });

  // where each lane the wall grew by begins: a faint line across the stages
  for (let lane = 1; lane < rows; lane += 1) {
    const line = el("div", "tl-lane");
    line.style.transform = `translate(0, ${lane * H}px)`;
    line.style.width = `${W}px`;
    layer.append(line);
  }

  const start = el("div", "tl-end tl-start");
  start.append(el("span", "tl-end-cap", "Start"), el("span", "tl-end-label", discovery.startLabel));
  start.style.transform = `translate(${-SIDE + 16}px, ${-HEADER + 18}px)`;
  const end = el("div", "tl-end tl-finish");
  end.append(el("span", "tl-end-cap", "End"), el("span", "tl-end-label", discovery.endLabel));
  end.style.transform = `translate(${W + 16}px, ${-HEADER + 18}px)`;
  layer.append(start, end);
}
