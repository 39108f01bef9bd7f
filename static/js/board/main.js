// Composes the board: config -> state -> connection, renderer, input, facilitator controls, presence.
import { BoardState } from "./state.js";
import { createConnection } from "./connection.js";
import { createGeometry, drawTimeline } from "./timeline.js";
import { createViewport } from "./viewport.js";
import { createRenderer } from "./render.js";
import { createPalette } from "./palette.js";
import { createInteractions } from "./interactions.js";
import { createPresence } from "./presence.js";
import { createTimer } from "./timer.js";
import { createHud } from "./hud.js";
import { createFacilitatorBar } from "./facilitator.js";
import { createSummary } from "./summary.js";
import { createAnnouncer } from "./announce.js";
import { createSearch } from "./search.js";
import { createFollow } from "./follow.js";
import { createListView } from "./listview.js";
import { tidyMoves } from "./tidy.js";

const $ = (id) => document.getElementById(id);

const config = JSON.parse($("board-config").textContent);
const state = new BoardState(config);
const geometry = createGeometry(config.discovery.stages.length || 1);

// The world's box reaches WORLD_PAD beyond the timeline on every side: it paint-contains its content
// (board.css), and everything drawn (stage header, start / end markers, stickies on the edges) must be
// inside. Its layers sit at (WORLD_PAD, WORLD_PAD) and the transform origin is there, so world pixels
// map to the screen exactly as if the box began at the timeline's origin.
const WORLD_PAD = 480;
const world = $("world");
world.style.width = `${geometry.W + 2 * WORLD_PAD}px`;
world.style.left = world.style.top = `${-WORLD_PAD}px`;
world.style.transformOrigin = `${WORLD_PAD}px ${WORLD_PAD}px`;
for (const layer of world.children) layer.style.left = layer.style.top = `${WORLD_PAD}px`;
/** The wall as deep as its lowest sticky needs (whole lanes, ADR 0015): the stage columns, the world's box
 * and the links' layer follow. */
function drawWall() {
  world.style.height = `${geometry.rows * geometry.H + 2 * WORLD_PAD}px`;
  $("link-layer").setAttribute("height", String(geometry.rows * geometry.H));
  drawTimeline($("timeline-layer"), geometry, config.discovery);
}
drawWall();
let wallFrame = 0;
function fitWall() {
  wallFrame = 0;
  // the server's stickies and the ys of my pending ops: cheap on a board of thousands (no merge per sticky)
  const ys = [...state.stickiesServer.values()].map((s) => s.y);
  for (const { op } of state.pending.values()) ys.push(op.type === "sticky.create" ? op.sticky.y : op.changes?.y);
  if (geometry.setRows(geometry.rowsFor(ys.filter((y) => typeof y === "number")))) drawWall();
}

const paletteEl = $("palette");
// the palette on the left and an open summary on the right cover the board: Fit keeps the timeline beside them
// (on a phone the summary covers the whole width and is folded away to see the board)
let summary = null;
const viewport = createViewport($("viewport"), world, geometry, () => ({
  left: paletteEl.offsetLeft + paletteEl.offsetWidth - 8,
  right: summary && summary.coveredRight < window.innerWidth / 2 ? summary.coveredRight : 0,
}));
const renderer = createRenderer({ state, geometry, stickyLayer: $("sticky-layer"), linkLayer: $("link-layer"),
  stages: config.discovery.stages });
const announcer = createAnnouncer({ regionEl: $("live"), state });
const announce = announcer.announce;
const hud = createHud({
  state,
  dom: {
    phaseStepEl: $("phase-step"), phaseLabelEl: $("phase-label"), instructionEl: $("phase-instruction"),
    readonlyEl: $("readonly"), privateEl: $("private-note"), dotsEl: $("dots-left"), connEl: $("connection"),
    toastsEl: $("toasts"), dialogEl: $("confirm-dialog"), fatalEl: $("fatal"),
  },
});
const palette = createPalette($("palette"), state);
palette.onFold(() => viewport.resized()); // an untouched view fits the room the palette leaves
let follow = null;
const presence = createPresence({ state, avatarsEl: $("avatars"), cursorLayer: $("cursor-layer"), geometry, viewport,
  onFollow: (id) => follow.follow(id) });
let facilitator = null;
const timer = createTimer(state, $("timer"), { announce, onDone: () => facilitator?.refresh() });

// who else has an editor open (signals): the facilitator sees how many before moving the room on
const typingNow = new Set();
function onSignal(msg) {
  if (msg?.kind === "typing") {
    if (msg.on) typingNow.add(msg.from); else typingNow.delete(msg.from);
    facilitator?.typing(typingNow.size);
    return;
  }
  follow.onSignal(msg);
}

/** The facilitator renamed the team, the discovery or its stages: redraw them here, no reload. The
 * number of stages changes only while no board has stickies; then the timeline's columns change and
 * the page says to reload. */
function onNames(msg) {
  const d = msg?.discovery;
  if (!d || !Array.isArray(d.stages)) return;
  const was = config.discovery;
  if (d.stages.length !== was.stages.length) {
    hud.toast(`The facilitator changed the timeline to ${d.stages.length} stages: reload the page to see them.`, "info", { sticky: true });
    return;
  }
  const renamed = d.stages.some((name, i) => name !== was.stages[i]);
  was.stages.splice(0, was.stages.length, ...d.stages); // the same array the renderer, list view and keys read
  Object.assign(was, { name: d.name, startLabel: d.startLabel, endLabel: d.endLabel });
  if (typeof msg.team === "string") config.team = msg.team;
  const title = document.querySelector(".bh-title h1");
  const sub = document.querySelector(".bh-sub");
  if (title) title.textContent = title.title = config.team;
  if (sub) sub.textContent = sub.title = d.name;
  document.title = `${config.team} · ${d.name}`;
  drawWall();
  renderer.markAll(); // each sticky's label names its stage
  if (listView?.open) listView.schedule();
  if (summary?.open) summary.refresh();
  if (renamed) announce(`Stages renamed: ${d.stages.join(", ")}`);
}

const connection = createConnection(config, state, {
  onStatus: (s) => hud.connection(s),
  onError: (message) => hud.toast(message, "error"),
  onCursors: (list) => presence.onCursors(list),
  onFatal: (message, code) => hud.fatal(message, code),
  onSignal: (msg) => onSignal(msg),
  onNames: (msg) => onNames(msg),
});
const send = (op) => connection.send(op);
const sendMany = (ops) => connection.sendMany(ops);
const signal = (payload) => connection.signal(payload);
follow = createFollow({ state, viewport, signal, bannerEl: $("follow-banner"), toast: hud.toast, announce });

let search = null;
let listView = null;
const undoBtn = $("undo"), redoBtn = $("redo");
const interactions = createInteractions({
  state, renderer, viewport, geometry, palette, send, sendMany, signal, announce,
  toast: hud.toast,
  cursor: (x, y) => connection.cursor(x, y),
  dom: { viewportEl: $("viewport"), stickyLayer: $("sticky-layer"), selectionBar: $("selection-bar"), paletteEl: $("palette"),
    helpDialog: $("help-dialog") },
  hooks: {
    search: () => search.open(),
    listView: () => listView.toggle(),
    historyChanged: () => {
      undoBtn.disabled = !interactions?.history.canUndo;
      redoBtn.disabled = !interactions?.history.canRedo;
    },
  },
});
undoBtn.addEventListener("click", () => window.dispatchEvent(new KeyboardEvent("keydown", { key: "z", ctrlKey: true })));
redoBtn.addEventListener("click", () => window.dispatchEvent(new KeyboardEvent("keydown", { key: "z", ctrlKey: true, shiftKey: true })));
$("help-open").addEventListener("click", () => interactions.keyboard.showHelp());
$("search-open").addEventListener("click", () => search.open());
$("list-open").addEventListener("click", () => listView.toggle());
undoBtn.disabled = redoBtn.disabled = true;

search = createSearch({ state, renderer, viewport, geometry, host: $("viewport").parentElement,
  onShow: (id) => interactions.select(id) });
listView = createListView({ state, geometry, actions: interactions.actions, host: $("viewport").parentElement,
  stages: config.discovery.stages, toast: hud.toast,
  onToggle: (open) => {
    $("list-open").setAttribute("aria-pressed", String(open));
    refreshListOffer();
    if (!open) ($("list-offer").hidden ? $("list-open") : $("list-offer")).focus();
  } });

// On a narrow screen the vote is easier from the list than on Fit's 16-px stickies (issue 26): while
// the room votes and the list is closed, a button offers it.
const narrow = window.matchMedia("(max-width: 640px)");
function refreshListOffer() {
  const offer = $("list-offer");
  const show = narrow.matches && state.loaded && state.isVoting() && !listView.open;
  if (offer.hidden === !show) return;
  offer.hidden = !show;
}
$("list-offer").addEventListener("click", () => listView.toggle(true));
narrow.addEventListener("change", refreshListOffer);

// Tidy: overlapping stickies laid out apart, one undo step. Run by the facilitator's button, and after
// their own reveal: stickies written privately at the same spot by different people landed on one
// another ("CAB meets only on Thursdays" sat wholly under another pain point).
function tidyBoard({ afterReveal = false } = {}) {
  const moves = tidyMoves(state.stickyList(), state.kinds, geometry);
  const stuck = moves.stuck ? ` ${moves.stuck} found no free place: their stage is full down to the wall's last lane.` : "";
  if (!moves.length) { if (!afterReveal) hud.toast(stuck || "Nothing overlaps: the board is tidy.", "info"); return; }
  interactions.actions.move(moves, { label: "tidy" });
  const n = `${moves.length} ${moves.length === 1 ? "sticky" : "stickies"}`;
  hud.toast(afterReveal ? `Revealed: ${n} that landed on others moved apart (Ctrl+Z undoes it).${stuck}`
    : `Tidied ${n} (Ctrl+Z undoes it).${stuck}`, "info");
}
facilitator = config.me.facilitator
  ? createFacilitatorBar({ state, container: $("facilitator-bar"), send, toast: hud.toast,
    confirmDialog: hud.confirmDialog, joinUrl: config.joinUrl,
    onSummon: () => follow.bringEveryone(), tools: document.querySelector(".board-tools"),
    onTidy: () => tidyBoard() })
  : null;
facilitator?.typing(0);

summary = createSummary({
  state, geometry, stages: config.discovery.stages, host: $("viewport").parentElement,
  onShowSticky: (id) => {
    const s = state.sticky(id);
    if (!s) return;
    viewport.centreOn(...geometry.toWorld(s.x, s.y));
    interactions.select(id);
  },
  onToggle: () => viewport.resized(), // an untouched view fits beside the panel (or the whole width again)
});

// ---- state changes -> the parts of the page that show them ------------------------------------
let chromeFrame = 0;
let hasMine = false;
let summaryFrame = 0;
function refreshChrome() {
  chromeFrame = 0;
  hud.refresh();
  refreshListOffer();
  palette.refresh();
  timer.refresh();
  facilitator?.refresh();
  interactions.refresh();
  summary.refresh();
}

state.subscribe((change) => {
  if (change.reset) {
    renderer.markAll();
    $("loading").hidden = true;
  }
  if (change.stickies) for (const id of change.stickies) renderer.mark(id);
  if ((change.stickies?.size || change.reset) && !wallFrame) wallFrame = requestAnimationFrame(fitWall);
  if (!hasMine && change.stickies) {
    // the "double-tap to add" hint on a phone has done its job once I have a sticky on the board
    for (const id of change.stickies) if (state.sticky(id)?.author_id === state.me.id) { hasMine = true; break; }
    if (hasMine) document.body.classList.add("has-stickies-of-mine");
  }
  if (change.workshop || change.reset) renderer.markAll(); // rights (editable) follow phase and lock
  else if (change.votes) for (const id of state.stickyIds()) if (state.isVotable(state.sticky(id))) renderer.mark(id);
  if (change.presence) {
    presence.renderAvatars(); presence.pruneOffline(); follow.presence();
    const online = new Set(state.participants.filter((p) => p.online).map((p) => p.id));
    for (const id of typingNow) if (!online.has(id)) typingNow.delete(id);
    facilitator?.typing(typingNow.size);
  } else if (change.votes || change.workshop) presence.renderAvatars(); // who has placed all their dots
  if (change.record) announcer.record(change.record);
  // my own reveal (the record says who): the stickies it showed may lie on one another
  if (change.record?.type === "private.reveal" && change.record.by === state.me.id) {
    requestAnimationFrame(() => tidyBoard({ afterReveal: true }));
  }
  if (listView.open && (change.stickies?.size || change.workshop || change.votes || change.reset)) listView.schedule();
  if ((change.workshop || change.votes || change.reset || change.hidden || change.presence) && !chromeFrame) chromeFrame = requestAnimationFrame(refreshChrome);
  // a sticky revealed or deleted while the summary is open: recount (once a frame at most)
  else if (change.stickies?.size && summary.open && !summaryFrame) {
    summaryFrame = requestAnimationFrame(() => { summaryFrame = 0; summary.refresh(); });
  }
});

// ---- zoom controls --------------------------------------------------------------------------------
const zoomLevel = $("zoom-level");
// written only when the figure changes: a text write per pan frame would mean a layout per frame
viewport.onChange(({ scale }) => {
  const text = `${Math.round(scale * 100)}%`;
  if (zoomLevel.textContent !== text) zoomLevel.textContent = text;
});
document.querySelector(".zoom-controls").addEventListener("click", (e) => {
  const b = e.target.closest("[data-zoom]");
  if (!b) return;
  if (b.dataset.zoom === "in") viewport.zoomBy(1.2);
  else if (b.dataset.zoom === "out") viewport.zoomBy(1 / 1.2);
  else if (b.dataset.zoom === "home") viewport.home();
  else viewport.fit();
});
let fitted = false;
const fitOnce = () => { if (!fitted) { fitted = true; viewport.home(false); } };
requestAnimationFrame(fitOnce);
window.addEventListener("resize", () => viewport.resized());

hud.refresh();
palette.refresh();
hud.connection({ status: "connecting", unsent: 0 });

// For tests and debugging from the console: the page's own state and socket.
window.__board = { state, connection, socket: connection.socket, send, sendMany, renderer, viewport, geometry, summary,
  interactions, follow };
