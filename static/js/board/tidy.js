// The facilitator's "Tidy": overlapping stickies are laid out without leaving their stage. Stickies
// that overlap nothing stay where they are; each one that overlaps goes to the nearest free place in
// its own stage column (below first, then beside). One undo step.

const SIZES = { wide: [224, 92], small: [108, 74] };
const GAP = 12;

export function tidyMoves(stickies, kinds, geometry, stageCount) {
  const size = (s) => SIZES[kinds.get(s.kind)?.shape] || [136, 136];
  const colW = geometry.W / stageCount;
  const byStage = new Map();
  for (const s of stickies) {
    const i = geometry.stageAt(s.x);
    if (!byStage.has(i)) byStage.set(i, []);
    byStage.get(i).push(s);
  }
  const moves = [];
  for (const [stage, list] of byStage) {
    const left = stage * colW, right = (stage + 1) * colW;
    // world boxes, centre-based
    const boxes = list.map((s) => { const [w, h] = size(s); const [cx, cy] = geometry.toWorld(s.x, s.y); return { s, w, h, cx, cy }; });
    boxes.sort((a, b) => (a.cy - b.cy) || (a.cx - b.cx));
    const placed = [];
    const overlaps = (b, cx, cy) => placed.some((p) => Math.abs(p.cx - cx) < (p.w + b.w) / 2 + GAP / 2 && Math.abs(p.cy - cy) < (p.h + b.h) / 2 + GAP / 2);
    const inside = (b, cx, cy) => cx - b.w / 2 >= left + 4 && cx + b.w / 2 <= right - 4 && cy - b.h / 2 >= 0 && cy + b.h / 2 <= geometry.H;
    for (const b of boxes) {
      let { cx, cy } = b;
      // keep it within its column first
      cx = Math.min(right - b.w / 2 - 4, Math.max(left + b.w / 2 + 4, cx));
      if (!overlaps(b, cx, cy) && cx === b.cx) { placed.push(b); continue; }
      let best = null;
      for (let ring = 0; ring < 40 && !best; ring += 1) {
        for (const dy of [ring, -ring]) {
          for (const dx of [0, 1, -1, 2, -2]) {
            const x = cx + dx * (b.w / 2 + GAP), y = cy + dy * (b.h / 3);
            if (inside(b, x, y) && !overlaps(b, x, y)) { best = [x, y]; break; }
          }
          if (best) break;
        }
      }
      const [nx, ny] = best || [cx, cy];
      const moved = { ...b, cx: nx, cy: ny };
      placed.push(moved);
      const [x, y] = geometry.fromWorld(nx, ny);
      if (Math.abs(x - b.s.x) > 1e-4 || Math.abs(y - b.s.y) > 1e-4) moves.push({ id: b.s.id, x, y });
    }
  }
  return moves;
}
