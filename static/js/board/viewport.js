// Pan and zoom: one transform on the world container, nothing else moves.
//
// Kept cheap for big boards (2,000 stickies): a viewport change writes only compositor-friendly
// properties. The world is its own compositing layer (board.css), so panning re-rasters nothing; the dot
// grid is a separate layer moved by a transform (its tile size changes only on zoom); no inherited CSS
// variable or class changes on the viewport while it moves (that restyles every sticky). When the view
// stops after a zoom, the world is re-rastered once at the new scale, crisp.

const MIN_SCALE = 0.15; // zooming out stops here, or at the scale that shows the whole wall if smaller (a phone, a grown wall)
const MAX_SCALE = 2.5;
const READABLE = 0.3; // below this zoom a sticky's text cannot be read
const READABLE_PORTRAIT = 0.55; // the zoom a portrait phone starts at (a stage and a half across)
const HOME_SCALE = 0.8; // the view a board opens at: 15 px sticky text shows at 12 px
const GRID = 32; // px between grid dots at 100%
const GRID_PAD = Math.ceil(GRID * MAX_SCALE); // the grid layer overhangs the viewport by one tile
const SETTLE_MS = 180; // no viewport change for this long: the view is at rest

export function createViewport(viewportEl, worldEl, geometry, insets = () => ({ left: 0, right: 0 })) {
  let tx = 0, ty = 0, scale = 1;
  let frame = 0;
  let settleTimer = 0;
  let gridScale = 0;
  let rasterScale = 0; // the scale the world was last rastered at (crisp)
  let adjusted = false; // the person panned or zoomed since the last fit: a resize keeps their view
  let size = null;      // the viewport's size at the last fit or resize
  let mode = "home";    // what an untouched view does on a resize: "home" (readable) or "fit" (everything)
  const listeners = new Set();
  const userListeners = new Set(); // a change the person made (not one followed from someone else)
  const moved = () => { for (const fn of userListeners) fn(); };

  let gridEl = viewportEl.querySelector(".grid");
  if (!gridEl) {
    gridEl = document.createElement("div");
    gridEl.className = "grid";
    gridEl.setAttribute("aria-hidden", "true");
    viewportEl.prepend(gridEl);
  }
  viewportEl.classList.add("has-grid");

  function apply() {
    frame = 0;
    worldEl.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
    const step = GRID * scale;
    if (scale !== gridScale) { gridEl.style.backgroundSize = `${step}px ${step}px`; gridScale = scale; }
    // the tiles start at (tx, ty) modulo one tile, as a background-position of (tx, ty) would
    const ox = (((tx + GRID_PAD) % step) + step) % step;
    const oy = (((ty + GRID_PAD) % step) + step) % step;
    gridEl.style.transform = `translate(${ox}px, ${oy}px)`;
    for (const fn of listeners) fn({ tx, ty, scale });
  }

  function settle() {
    settleTimer = 0;
    if (scale !== rasterScale) recrisp();
  }

  // A composited layer keeps the raster scale it was promoted at; after a zoom, drop the layer hint
  // for one frame so the browser rasters the world again at the new scale (sharp text), then restore it.
  function recrisp() {
    rasterScale = scale;
    worldEl.classList.add("rerasterize");
    requestAnimationFrame(() => requestAnimationFrame(() => worldEl.classList.remove("rerasterize")));
  }

  function schedule() {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(settle, SETTLE_MS);
    if (!frame) frame = requestAnimationFrame(apply);
  }

  function rect() { return viewportEl.getBoundingClientRect(); }

  /** The smallest zoom: MIN_SCALE, or less when the wall has grown so deep that only less shows it all. */
  function minScale() {
    const r = rect();
    const b = geometry.bounds;
    return Math.max(0.02, Math.min(MIN_SCALE, (r.height - 48) / b.height, (uncovered(r).width - 48) / b.width));
  }

  /** The part of the viewport not covered by the panels at its sides (palette, summary). */
  function uncovered(r) {
    const { left = 0, right = 0 } = insets();
    const from = Math.max(0, left);
    return { left: from, width: r.width - from - Math.max(0, right) };
  }

  const api = {
    get scale() { return scale; },
    element: viewportEl,
    onChange(fn) { listeners.add(fn); },
    onUserMove(fn) { userListeners.add(fn); },
    panBy(dx, dy) { tx += dx; ty += dy; adjusted = true; moved(); schedule(); },
    zoomAt(clientX, clientY, factor) {
      const r = rect();
      const sx = clientX - r.left, sy = clientY - r.top;
      const next = Math.min(MAX_SCALE, Math.max(Math.min(scale, minScale()), scale * factor));
      const k = next / scale;
      tx = sx - (sx - tx) * k;
      ty = sy - (sy - ty) * k;
      scale = next;
      adjusted = true;
      moved();
      schedule();
    },
    zoomBy(factor) {
      const r = rect();
      api.zoomAt(r.left + r.width / 2, r.top + r.height / 2, factor);
    },
    /** The whole timeline, every stage and sticky, in the part of the view nothing covers: on a
     * phone too, however small that makes it (the overview; "Read" is the readable view). */
    fit(byUser = true) {
      if (byUser) moved();
      mode = "fit";
      const r = rect();
      const b = geometry.bounds;
      const pad = r.width < 640 ? 12 : 24;
      const { left, width } = uncovered(r);
      const whole = Math.min((width - 2 * pad) / b.width, (r.height - 2 * pad) / b.height);
      scale = Math.min(MAX_SCALE, Math.max(minScale(), whole));
      tx = left + (width - b.width * scale) / 2 - b.left * scale;
      ty = Math.max(pad, (r.height - b.height * scale) / 2) - b.top * scale;
      if (frame) { cancelAnimationFrame(frame); frame = 0; }
      adjusted = false;
      size = { width: r.width, height: r.height };
      apply();
      if (scale !== rasterScale) recrisp();
    },
    /** The window changed size (a phone's keyboard or address bar, a rotated tablet, a resized
     * window): an untouched view fits again; a view the person panned or zoomed keeps its zoom
     * and the board point at its centre. */
    resized() {
      const r = rect();
      if (!adjusted || !size) { if (mode === "fit") api.fit(false); else api.home(false); return; }
      tx += (r.width - size.width) / 2;
      ty += (r.height - size.height) / 2;
      size = { width: r.width, height: r.height };
      schedule();
    },
    /** The view a board opens at: readable (sticky text at 12 px or more), the timeline from its start
     * and its top; the whole timeline when that is readable already (a wide screen) and on a phone
     * held upright (its own fit). `0` fits everything, `1` comes back here. */
    home(byUser = true) {
      api.fit(false);
      mode = "home";
      if (byUser) moved();
      const r = rect();
      if (scale >= HOME_SCALE) return;
      const b = geometry.bounds;
      const { left } = uncovered(r);
      if (r.width < r.height) {
        // a phone held upright: the whole timeline would be unreadably small, so fit its height and
        // start at its beginning; the journey is then panned sideways
        if (scale >= READABLE) return;
        const pad = 12;
        scale = Math.min(MAX_SCALE, Math.max(scale, Math.min(READABLE_PORTRAIT, (r.height - 2 * pad) / b.height)));
        tx = left + pad - b.left * scale;
        ty = Math.max(pad, (r.height - b.height * scale) / 2) - b.top * scale;
      } else {
        scale = Math.min(MAX_SCALE, HOME_SCALE);
        tx = left + 16 - b.left * scale;
        ty = 12 - b.top * scale;
      }
      apply();
      if (scale !== rasterScale) recrisp();
    },
    /** Where I look, for my followers: the board point at the middle of my view, and my zoom. */
    view() {
      const r = rect();
      const { left, width } = uncovered(r);
      const [px, py] = api.toWorldPx(r.left + left + width / 2, r.top + r.height / 2);
      const [x, y] = geometry.fromWorld(px, py);
      return { x: Math.round(x * 10000) / 10000, y: Math.round(y * 10000) / 10000, zoom: Math.round(scale * 1000) / 1000 };
    },
    /** Show someone else's view (follow, summon): not a move of mine, so following goes on. */
    setView(x, y, zoom) {
      const r = rect();
      const { left, width } = uncovered(r);
      scale = Math.min(MAX_SCALE, Math.max(minScale(), zoom));
      const [px, py] = geometry.toWorld(x, y);
      tx = left + width / 2 - px * scale;
      ty = r.height / 2 - py * scale;
      adjusted = true;
      schedule();
    },
    /** Put a world point (pixels) in the middle of the uncovered view, at the current zoom. */
    centreOn(px, py) {
      const r = rect();
      const { left, width } = uncovered(r);
      tx = left + width / 2 - px * scale;
      ty = r.height / 2 - py * scale;
      adjusted = true;
      schedule();
    },
    /** Bring a world point (pixels) into view, centred, unless it is well inside the uncovered view already. */
    show(px, py, margin = 120) {
      const r = rect();
      const { left, width } = uncovered(r);
      const cx = tx + px * scale, cy = ty + py * scale;
      if (cx < left + margin || cx > left + width - margin || cy < margin || cy > r.height - margin) api.centreOn(px, py);
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
