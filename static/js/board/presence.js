// Who is in the room (avatars with initials) and where their pointers are (cursors with names).
import { el, initials, personColour } from "./format.js";

const MAX_AVATARS = 8;
const CURSOR_IDLE_MS = 4000;

export function createPresence({ state, avatarsEl, cursorLayer, geometry, viewport, onFollow = () => {} }) {
  function renderAvatars() {
    const people = [...state.participants].sort((a, b) =>
      (b.online - a.online) || (b.facilitator - a.facilitator) || String(a.name).localeCompare(String(b.name)));
    const online = people.filter((p) => p.online);
    avatarsEl.replaceChildren();
    const shown = online.slice(0, MAX_AVATARS);
    const budget = state.phase().voting ? state.workshop()?.vote_budget ?? 0 : 0;
    for (const p of shown) {
      // each avatar is a list item holding a button: click someone to follow their view
      const item = el("span", "avatar-item");
      item.setAttribute("role", "listitem");
      const me = p.id === state.me.id;
      const a = el(me ? "span" : "button", `avatar${p.facilitator ? " facilitator" : ""}${me ? " me" : ""}`);
      a.style.setProperty("--person", personColour(p.id));
      // while the room votes: how many dots each person has placed (never where), a tick when all
      const done = budget > 0 && state.doneVoting(p.id);
      const dots = budget > 0 ? (done ? " · has placed all their dots" : ` · ${state.dotsPlacedBy(p.id)} of ${budget} dots placed`) : "";
      const who = `${p.name}${p.team ? ` · ${p.team}` : ""}${p.facilitator ? " · facilitator" : ""}${dots}`;
      const initialsEl = el("span", "avatar-initials", initials(p.name));
      initialsEl.setAttribute("aria-hidden", "true");
      a.append(initialsEl, el("span", "visually-hidden", me ? `${p.name} (you)${dots}` : `Follow ${p.name}${p.facilitator ? " (facilitator)" : ""}${dots}`));
      if (done) {
        a.classList.add("voted");
        const tick = el("span", "avatar-voted", "✓");
        tick.setAttribute("aria-hidden", "true");
        a.append(tick);
      }
      if (me) a.title = `${who} (you)`;
      else {
        a.type = "button";
        a.title = `${who}: click to follow their view`;
        a.addEventListener("click", () => onFollow(p.id));
      }
      a.dataset.name = p.name;
      a.dataset.id = String(p.id);
      item.append(a);
      avatarsEl.append(item);
    }
    if (online.length > MAX_AVATARS) {
      const more = el("span", "avatar more", `+${online.length - MAX_AVATARS}`);
      more.setAttribute("role", "listitem");
      more.title = online.slice(MAX_AVATARS).map((p) => p.name).join(", ");
      avatarsEl.append(more);
    }
    const count = el("span", "presence-count", `${online.length} here`);
    count.setAttribute("role", "listitem");
    count.title = people.map((p) => `${p.name}${p.online ? "" : " (away)"}`).join("\n");
    avatarsEl.append(count);
  }

  // ---- cursors --------------------------------------------------------------------------------
  const cursors = new Map(); // id -> {root, x, y, timer}

  function place(c) {
    const [px, py] = geometry.toWorld(c.x, c.y);
    c.root.style.transform = `translate(${px}px, ${py}px) scale(${1 / viewport.scale})`;
  }

  let namesFor = null; // the participants list the map below was built from
  let names = new Map();
  function nameOf(id) {
    if (namesFor !== state.participants) {
      namesFor = state.participants;
      names = new Map(namesFor.map((p) => [p.id, p.name]));
    }
    return names.get(id) || "Someone";
  }

  // `list`: [[participantId, x, y], ...], positions in board units (0..1)
  function onCursors(list) {
    for (const entry of list) {
      if (!Array.isArray(entry)) continue;
      const [id, x, y] = entry;
      if (id === state.me.id || typeof x !== "number" || typeof y !== "number") continue;
      let c = cursors.get(id);
      if (!c) {
        const root = el("div", "cursor");
        root.style.setProperty("--person", personColour(id));
        const arrow = el("span", "cursor-arrow");
        const label = el("span", "cursor-name");
        root.append(arrow, label);
        cursorLayer.append(root);
        c = { root, label, x, y, timer: 0, at: 0 };
        cursors.set(id, c);
      }
      const name = nameOf(id);
      if (c.label.textContent !== name) c.label.textContent = name;
      // glide over about the time since the last position, so pointers move smoothly whatever the
      // room's cursor rate; a pointer that was idle (or is new) jumps
      const now = performance.now();
      const since = now - c.at;
      c.at = now;
      c.x = x; c.y = y;
      if (since < 1000) {
        c.root.style.setProperty("--glide", `${Math.round(Math.min(400, Math.max(50, since)))}ms`);
        c.root.classList.add("gliding");
      } else c.root.classList.remove("gliding");
      place(c);
      c.root.classList.remove("idle");
      clearTimeout(c.timer);
      c.timer = setTimeout(() => c.root.classList.add("idle"), CURSOR_IDLE_MS);
    }
  }

  // panning and zooming move every pointer with the board at once, without gliding
  viewport.onChange(() => { for (const c of cursors.values()) { c.root.classList.remove("gliding"); place(c); } });

  return {
    renderAvatars,
    onCursors,
    pruneOffline() {
      const online = new Set(state.participants.filter((p) => p.online).map((p) => p.id));
      for (const [id, c] of cursors) if (!online.has(id)) { c.root.remove(); cursors.delete(id); }
    },
  };
}
