// Pan and zoom: one transform on the world container, nothing else moves.

const MIN_SCALE = 0.15;
const MAX_SCALE = 2.5;

export function createViewport(viewportEl, worldEl, geometry, insets = () => ({ left: 0 })) {
  let tx = 0, ty = 0, scale = 1;
  let frame = 0;
  const listeners = new Set();

  function apply() {
    frame = 0;
    worldEl.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
    viewportEl.style.setProperty("--zoom", String(scale));
    viewportEl.style.backgroundSize = `${32 * scale}px ${32 * scale}px`;
    viewportEl.style.backgroundPosition = `${tx}px ${ty}px`;
    for (const fn of listeners) fn({ tx, ty, scale });
  }
  function schedule() { if (!frame) frame = requestAnimationFrame(apply); }

  function rect() { return viewportEl.getBoundingClientRect(); }

  const api = {
    get scale() { return scale; },
    onChange(fn) { listeners.add(fn); },
    panBy(dx, dy) { tx += dx; ty += dy; schedule(); },
    zoomAt(clientX, clientY, factor) {
      const r = rect();
      const sx = clientX - r.left, sy = clientY - r.top;
      const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * factor));
      const k = next / scale;
      tx = sx - (sx - tx) * k;
      ty = sy - (sy - ty) * k;
      scale = next;
      schedule();
    },
    zoomBy(factor) {
      const r = rect();
      api.zoomAt(r.left + r.width / 2, r.top + r.height / 2, factor);
    },
    fit() {
      const r = rect();
      const b = geometry.bounds;
      const pad = 24;
      const left = Math.max(0, insets().left || 0);
      const width = r.width - left;
      scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE,
        Math.min((width - 2 * pad) / b.width, (r.height - 2 * pad) / b.height)));
      tx = left + (width - b.width * scale) / 2 - b.left * scale;
      ty = Math.max(pad, (r.height - b.height * scale) / 2) - b.top * scale;
      apply();
    },
    /** Client (screen) coordinates to world pixels. */
    toWorldPx(clientX, clientY) {
      const r = rect();
      return [(clientX - r.left - tx) / scale, (clientY - r.top - ty) / scale];
    },
    /** Client coordinates to board coordinates (0..1, not clamped). */
    toBoard(clientX, clientY) {
      const [px, py] = api.toWorldPx(clientX, clientY);
      return geometry.fromWorld(px, py);
    },
    /** World pixels to client coordinates. */
    toClient(px, py) {
      const r = rect();
      return [r.left + tx + px * scale, r.top + ty + py * scale];
    },
  };
  return api;
}
