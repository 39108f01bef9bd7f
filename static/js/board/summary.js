// The wrap-up summary: when the board is read-only for good (the template's last phase, or the
// workshop is closed), a panel says what the session produced: stickies by kind, the most voted pain
// points and opportunities, where on the journey it hurts, the longest waits. Computed from the board
// the participant sees (nothing new is sent); it can be folded away to look at the board again.
import { el, formatDuration } from "./format.js";

const TOP = 5; // most voted stickies shown

/** What the summary shows, from the visible stickies (pure: testable without a page). */
export function summarise(stickies, { kinds, stages, stageAt, facilitatorIds = new Set() }) {
  const live = stickies.filter((s) => s && !s.deleted && !s.private);
  const byKind = new Map([...kinds.keys()].map((k) => [k, 0]));
  for (const s of live) byKind.set(s.kind, (byKind.get(s.kind) || 0) + 1);
  const stageName = (s) => stages[stageAt(s.x)] ?? "";
  const voted = live.filter((s) => kinds.get(s.kind)?.votable && (s.votes || 0) > 0)
    .sort((a, b) => (b.votes || 0) - (a.votes || 0) || String(a.text).localeCompare(String(b.text)))
    .slice(0, TOP)
    .map((s) => ({ id: s.id, kind: s.kind, text: s.text, votes: s.votes, stage: stageName(s) }));
  const painByStage = stages.map((name) => ({ name, pains: 0 }));
  for (const s of live) if (s.kind === "pain" && painByStage.length) painByStage[stageAt(s.x)].pains += 1;
  const waits = live.filter((s) => s.kind === "time" && Number.isFinite(s.duration_minutes))
    .sort((a, b) => b.duration_minutes - a.duration_minutes)
    .slice(0, 3)
    .map((s) => ({ id: s.id, text: s.text, minutes: s.duration_minutes, stage: stageName(s) }));
  return {
    total: live.length, byKind, voted, painByStage, waits,
    votes: live.reduce((n, s) => n + (s.votes || 0), 0),
    authors: new Set(live.map((s) => s.author_id)).size,
    // the backlog counts participants (people who joined from the link) apart from facilitators: so does this
    facilitatorAuthors: new Set(live.map((s) => s.author_id).filter((id) => facilitatorIds.has(id))).size,
  };
}

export function createSummary({ state, geometry, stages, host, onShowSticky, onToggle }) {
  const panel = el("aside", "summary");
  panel.id = "summary";
  panel.setAttribute("aria-label", "Workshop summary");
  panel.hidden = true;
  const reopen = el("button", "summary-reopen button", "Summary");
  reopen.type = "button";
  reopen.hidden = true;
  reopen.title = "Show the workshop's summary";
  host.append(panel, reopen);

  let folded = false;
  let shownFor = null; // the phase (or "closed") the panel was last opened for: a new one unfolds it
  reopen.addEventListener("click", () => { folded = false; render(); });

  function finished() {
    const w = state.workshop();
    if (!w) return null; // no snapshot yet
    if (w.status === "closed") return "closed";
    const phase = state.phase();
    return phase.readonly && state.phases.indexOf(phase) === state.phases.length - 1 ? phase.key : null;
  }

  function row(label, value, cls = "") {
    const r = el("div", `summary-row ${cls}`.trim());
    r.append(el("span", "summary-row-label", label), el("span", "summary-row-value", value));
    return r;
  }

  function render() {
    const when = finished();
    if (when !== shownFor) { folded = false; shownFor = when; }
    const wasHidden = panel.hidden;
    panel.hidden = !when || folded;
    reopen.hidden = !when || !folded;
    if (panel.hidden) { if (!wasHidden) onToggle?.(); return; }

    const s = summarise([...state.stickyIds()].map((id) => state.sticky(id)), {
      kinds: state.kinds, stages, stageAt: (x) => geometry.stageAt(x),
      facilitatorIds: new Set(state.participants.filter((p) => p.facilitator).map((p) => p.id)),
    });
    panel.replaceChildren();
    const head = el("div", "summary-head");
    head.append(el("h2", "summary-title", "Workshop summary"));
    const fold = el("button", "summary-fold", "×");
    fold.type = "button";
    fold.title = "Hide the summary to look at the board";
    fold.setAttribute("aria-label", "Hide the summary");
    fold.addEventListener("click", () => { folded = true; render(); });
    head.append(fold);
    panel.append(head);

    const guests = s.authors - s.facilitatorAuthors;
    const who = [guests ? `${guests} participant${guests === 1 ? "" : "s"}` : "",
      s.facilitatorAuthors ? (s.facilitatorAuthors === 1 ? "the facilitator" : `${s.facilitatorAuthors} facilitators`) : ""]
      .filter(Boolean).join(" and ") || "nobody";
    panel.append(el("p", "summary-lede",
      s.total ? `${s.total} stickies from ${who}, ${s.votes} dot${s.votes === 1 ? "" : "s"} placed.`
        : "Nothing was put on this board."));

    const kinds = el("div", "summary-kinds");
    for (const [key, n] of s.byKind) {
      if (!n) continue;
      const kind = state.kinds.get(key);
      const chip = el("span", "summary-kind");
      const dot = el("span", "summary-kind-dot");
      dot.style.background = kind?.colour || "#ccc";
      chip.append(dot, el("span", "", kind?.label ?? key), el("strong", "", String(n)));
      kinds.append(chip);
    }
    if (kinds.childElementCount) panel.append(kinds);

    if (s.voted.length) {
      panel.append(el("h3", "summary-sub", "Most voted"));
      const list = el("ol", "summary-voted");
      for (const v of s.voted) {
        const item = el("li", `summary-item kind-${v.kind}`);
        const link = el("button", "summary-link", v.text);
        link.type = "button";
        link.title = "Show it on the board";
        link.addEventListener("click", () => onShowSticky?.(v.id));
        item.append(link, el("span", "summary-meta", `${v.votes} dot${v.votes === 1 ? "" : "s"}${v.stage ? ` · ${v.stage}` : ""}`));
        list.append(item);
      }
      panel.append(list);
    }

    const most = Math.max(0, ...s.painByStage.map((p) => p.pains));
    if (most > 0) {
      panel.append(el("h3", "summary-sub", "Where it hurts"));
      const bars = el("div", "summary-bars");
      for (const p of s.painByStage) {
        const bar = row(p.name, String(p.pains), "summary-bar");
        bar.style.setProperty("--share", String(p.pains / most));
        bars.append(bar);
      }
      panel.append(bars);
    }

    if (s.waits.length) {
      panel.append(el("h3", "summary-sub", "Longest waits"));
      for (const w of s.waits) panel.append(row(`${w.text}${w.stage ? ` (${w.stage})` : ""}`, formatDuration(w.minutes)));
    }
    if (wasHidden) onToggle?.();
  }

  return {
    refresh: render,
    get open() { return !panel.hidden; },
    /** The width the open panel covers on the right of the board (Fit keeps the timeline beside it). */
    get coveredRight() { return panel.hidden ? 0 : panel.offsetWidth + 14; },
  };
}
