// The timeline: geometry of the board (sticky x 0..1 across the whole timeline, y 0..1 top to bottom)
// and the static world behind the stickies: stage columns, their labels, start and end markers.

export const HEADER = 96; // px above y = 0 for the timeline axis and stage labels
export const SIDE = 200; // px left of x = 0 and right of x = 1 for the start / end markers

export function createGeometry(stageCount) {
  const W = Math.max(1800, stageCount * 380);
  const H = 960;
  return {
    W, H,
    /** Board coordinates (0..1) to world pixels (sticky centre). */
    toWorld: (x, y) => [x * W, y * H],
    fromWorld: (px, py) => [px / W, py / H],
    clamp: (v) => Math.min(1, Math.max(0, v)),
    stageAt(x) { return Math.min(stageCount - 1, Math.max(0, Math.floor(x * stageCount))); },
    /** The whole drawing, for "fit": left, top, width, height in world px. */
    bounds: { left: -SIDE, top: -HEADER, width: W + 2 * SIDE, height: H + HEADER + 40 },
  };
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
}

/** Draw the timeline into the world's background layer (once; stages do not change during a session). */
export function drawTimeline(layer, geometry, discovery) {
  const { W, H } = geometry;
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
    col.style.height = `${H + HEADER}px`;
    const label = el("div", "tl-stage-label");
    label.append(el("span", "tl-stage-num", String(i + 1)), el("span", "tl-stage-name", name));
    col.append(label);
    col.dataset.stage = String(i);
    layer.append(col);
  });

  const start = el("div", "tl-end tl-start");
  start.append(el("span", "tl-end-cap", "Start"), el("span", "tl-end-label", discovery.startLabel));
  start.style.transform = `translate(${-SIDE + 16}px, ${-HEADER + 18}px)`;
  const end = el("div", "tl-end tl-finish");
  end.append(el("span", "tl-end-cap", "End"), el("span", "tl-end-label", discovery.endLabel));
  end.style.transform = `translate(${W + 16}px, ${-HEADER + 18}px)`;
  layer.append(start, end);
}
