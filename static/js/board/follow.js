// Follow and summon, as on Miro: click someone's avatar to follow their view (a banner says so;
// your first pan or zoom ends it); the facilitator's "Bring everyone here" makes the whole room follow
// them. Views travel as `signal`s (docs/protocol.md): sent only while someone follows me.

const SEND_MS = 150;

export function createFollow({ state, viewport, signal, bannerEl, toast, announce }) {
  let following = null;
  const followers = new Set();
  let sendTimer = 0;
  let lastSent = 0;
  const nameOf = (id) => state.participants.find((p) => p.id === id)?.name || "someone";

  const text = bannerEl.querySelector(".follow-text");
  bannerEl.querySelector(".follow-stop").addEventListener("click", () => stop());

  function follow(id, why = "") {
    if (id === state.me.id) return;
    if (following && following !== id) signal({ kind: "follow", target: following, on: false });
    following = id;
    signal({ kind: "follow", target: id, on: true });
    // one line, cut with an ellipsis on a phone (board.css): the whole sentence in the tooltip
    text.textContent = text.title = `Following ${nameOf(id)}${why}. Pan or zoom to stop.`;
    bannerEl.hidden = false;
    announce(`Following ${nameOf(id)}${why}`, true);
  }

  function stop() {
    if (!following) return;
    signal({ kind: "follow", target: following, on: false });
    announce(`Stopped following ${nameOf(following)}`, true);
    following = null;
    bannerEl.hidden = true;
  }

  function sendView() {
    sendTimer = 0;
    lastSent = Date.now();
    signal({ kind: "view", ...viewport.view() });
  }

  viewport.onChange(() => {
    if (!followers.size || sendTimer) return;
    sendTimer = setTimeout(sendView, Math.max(0, SEND_MS - (Date.now() - lastSent)));
  });
  viewport.onUserMove(() => stop()); // my own pan or zoom ends following

  return {
    follow,
    stop,
    get following() { return following; },
    get followers() { return followers.size; },
    bringEveryone() {
      signal({ kind: "summon", ...viewport.view() });
      toast("Everyone is brought to your view and follows you until they pan or zoom.", "info");
    },
    onSignal(msg) {
      if (!msg || msg.from === state.me.id) return;
      if (msg.kind === "follow" && msg.target === state.me.id) {
        if (msg.on) { followers.add(msg.from); sendView(); } else followers.delete(msg.from);
      } else if (msg.kind === "view" && msg.from === following) {
        viewport.setView(msg.x, msg.y, msg.zoom);
      } else if (msg.kind === "summon") {
        viewport.setView(msg.x, msg.y, msg.zoom);
        follow(msg.from, " (they brought everyone here)");
      }
    },
    presence() {
      const online = new Set(state.participants.filter((p) => p.online).map((p) => p.id));
      for (const id of followers) if (!online.has(id)) followers.delete(id);
      if (following && !online.has(following)) { toast(`${nameOf(following)} left: no longer following.`, "info"); stop(); }
    },
  };
}
