// The list view: the board as tables, stage by stage, for a screen reader, a keyboard or a small
// screen. It does what the canvas does: add a sticky of any kind the phase takes to any stage, edit
// its text, move it to another stage, place and take back dots, delete it (and undo, from the board's
// keys, since the same actions are used).
import { watchLength } from "../limits.js";
import { dotsText, durationIn, el, formatDuration, parseDuration } from "./format.js";
import { freeSpot, stageMoves } from "./tidy.js";

/** A sticky as its row's buttons name it: the first words of its text. The row itself reads the whole
 * text once; a walkthrough's screen reader heard an 800-character sticky three times more, in Edit,
 * Move and Delete. */
export function named(s, limit = 40) {
  const text = String(s.text || "").replace(/\s+/g, " ").trim();
  return text.length > limit ? `“${text.slice(0, limit - 1).trimEnd()}…”` : `“${text}”`;
}

export function createListView({ state, geometry, actions, host, stages, toast, onToggle }) {
  const names = stages.length ? stages : ["Timeline"];
  const panel = el("section", "listview");
  panel.id = "listview";
  panel.setAttribute("aria-label", "List view of the board");
  panel.hidden = true;
  host.append(panel);
  let open = false;
  let frame = 0;
  let editing = null; // sticky id whose text is being edited

  function kindLabel(key) { return state.kinds.get(key)?.label || key; }

  function render() {
    frame = 0;
    if (!open) return;
    const focusKey = document.activeElement?.dataset?.focusKey;
    const draftText = panel.querySelector(".lv-add-text")?.value || "";
    const draftKind = panel.querySelector(".lv-add-kind")?.value;
    const draftStage = panel.querySelector(".lv-add-stage")?.value;
    const editValue = panel.querySelector(".lv-edit-text")?.value;
    panel.replaceChildren();

    const head = el("div", "lv-head");
    head.append(el("h2", "lv-title", "List view"));
    const back = button("Back to the board", "lv-close", () => toggle(false), "close");
    head.append(back);
    panel.append(head);

    // add
    const allowed = [...state.kinds.keys()].filter((k) => state.canAdd(k));
    const form = el("form", "lv-add");
    form.setAttribute("aria-label", "Add a sticky");
    if (allowed.length) {
      const kind = select("lv-add-kind", "Kind", allowed.map((k) => [k, kindLabel(k)]), draftKind, "add-kind");
      const stage = select("lv-add-stage", "Stage", names.map((n, i) => [String(i), n]), draftStage, "add-stage");
      const text = el("input", "lv-add-text");
      text.type = "text";
      text.maxLength = 2000;
      text.value = draftText;
      text.dataset.focusKey = "add-text";
      text.setAttribute("aria-label", "Text of the new sticky");
      text.placeholder = "What happened, what hurts…";
      const add = el("button", "fbtn primary", "Add");
      add.type = "submit";
      add.dataset.focusKey = "add";
      form.append(kind.label, stage.label, text, add);
      watchLength(text);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const value = text.value.trim();
        if (!value) { toast("Write the sticky's text first.", "info"); text.focus(); return; }
        const i = Number(stage.input.value);
        // the first free place of the stage, from its top: no sticky lands on another (the wall grows)
        const want = { kind: kind.input.value, x: (i + 0.5) / names.length, y: 0.1 };
        const [x, y] = freeSpot(state.stickyList(), state.kinds, geometry, want, { tidy: true }) || [want.x, want.y];
        const sticky = { id: crypto.randomUUID(), kind: want.kind, text: value, x, y };
        // a time sticky takes the duration its text names ("PSP onboarding 3 weeks"), as on the canvas
        const minutes = state.kinds.get(want.kind)?.hasDuration ? durationIn(value) : null;
        if (minutes != null) sticky.duration_minutes = minutes;
        actions.create([sticky]);
        text.value = "";
        schedule();
      });
    } else {
      form.append(el("p", "lv-note", state.readOnlyReason() || "This phase does not take new stickies."));
    }
    panel.append(form);

    const byStage = names.map(() => []);
    for (const id of state.stickyIds()) {
      const s = state.sticky(id);
      if (s) byStage[geometry.stageAt(s.x)].push(s);
    }
    byStage.forEach((list, i) => {
      list.sort((a, b) => (a.x - b.x) || (a.y - b.y));
      const table = el("table", "lv-table");
      table.setAttribute("role", "table"); // a phone lays the rows out as cards (board.css): still a table
      const caption = el("caption", null, `Stage ${i + 1}: ${names[i]} (${list.length} ${list.length === 1 ? "sticky" : "stickies"})`);
      const thead = rowgroup("thead");
      const hr = tr();
      for (const h of ["Kind", "Text", "By", "Dots", "Actions"]) {
        const th = el("th", `lv-col-${h.toLowerCase()}`, h);
        th.scope = "col";
        th.setAttribute("role", "columnheader");
        hr.append(th);
      }
      thead.append(hr);
      const tbody = rowgroup("tbody");
      for (const s of list) tbody.append(row(s, i, editValue));
      if (!list.length) { const empty = tr(); const td = cell("lv-empty", "No stickies in this stage yet."); td.colSpan = 5; empty.append(td); tbody.append(empty); }
      table.append(caption, thead, tbody);
      panel.append(table);
    });
    if (focusKey) panel.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  function rowgroup(tag) { const g = el(tag); g.setAttribute("role", "rowgroup"); return g; }
  function tr() { const r = el("tr"); r.setAttribute("role", "row"); return r; }
  function cell(cls, text) { const td = el("td", cls, text); td.setAttribute("role", "cell"); return td; }

  function row(s, stage, editValue) {
    const line = tr();
    line.dataset.id = s.id;
    const kind = cell(`lv-kind k-${s.kind}`);
    kind.append(el("span", "lv-swatch"), el("span", null, kindLabel(s.kind)));
    kind.querySelector(".lv-swatch").style.setProperty("--sticky", state.kinds.get(s.kind)?.colour || "#fff");
    const text = cell("lv-text");
    if (editing === s.id) {
      const input = el("input", "lv-edit-text");
      input.type = "text";
      input.maxLength = 2000;
      input.value = editValue ?? s.text;
      input.dataset.focusKey = `edit:${s.id}`;
      input.setAttribute("aria-label", `New text for ${kindLabel(s.kind)} ${s.text}`);
      let dur = null;
      if (state.kinds.get(s.kind)?.hasDuration) {
        dur = el("input", "lv-edit-duration");
        dur.type = "text";
        dur.value = s.duration_minutes != null ? formatDuration(s.duration_minutes).replace(" ", "") : "";
        dur.placeholder = "3d, 2w, 45m";
        dur.setAttribute("aria-label", `Duration of ${named(s)}`);
        dur.dataset.focusKey = `dur:${s.id}`;
      }
      const save = () => {
        const v = input.value.trim();
        const changes = {};
        if (v && v !== s.text) changes.text = v;
        if (dur) {
          const raw = dur.value.trim();
          const minutes = raw ? parseDuration(raw) : null;
          if (raw && minutes == null) { toast("Write a duration like 3d, 2w, 45m or 4h.", "error"); dur.focus(); return; }
          if (minutes !== (s.duration_minutes ?? null)) changes.duration_minutes = minutes;
        }
        editing = null;
        if (Object.keys(changes).length) actions.update(s.id, changes);
        schedule();
        focusLater(`edit-btn:${s.id}`);
      };
      const onKey = (e) => {
        if (e.key === "Enter") { e.preventDefault(); save(); }
        else if (e.key === "Escape") { e.preventDefault(); editing = null; schedule(); focusLater(`edit-btn:${s.id}`); }
      };
      input.addEventListener("keydown", onKey);
      dur?.addEventListener("keydown", onKey);
      text.append(input);
      watchLength(input);
      if (dur) text.append(dur);
      setTimeout(() => { if (!panel.contains(document.activeElement) || document.activeElement === panel) input.focus(); }, 0);
    } else {
      text.textContent = s.text + (s.duration_minutes != null ? ` (${formatDuration(s.duration_minutes)})` : "");
    }
    const by = cell("lv-by", s.author_id === state.me.id ? "you" : s.author_name || "");
    const mine = state.myVotes(s.id);
    const hidden = state.votesHidden();
    const dots = cell(state.isVotable(s) ? "lv-dots" : "lv-dots lv-no-dots", state.isVotable(s) ? null : "–");
    if (state.isVotable(s)) {
      // "2 dots": a phone's card shows no column header to say what the figure is (board.css)
      const n = s.votes || 0;
      dots.textContent = hidden ? (mine ? `${mine} dot${mine === 1 ? "" : "s"} yours` : "dots hidden")
        : `${n} dot${n === 1 ? "" : "s"}${mine ? ` (${mine} yours)` : ""}`;
      if (hidden) dots.title = dotsText(s.votes, mine, true) || "Others' dots are hidden until the vote ends";
    }
    const actionsCell = cell("lv-cell-actions");
    const act = el("div", "lv-actions");
    actionsCell.append(act);
    if (state.canEdit(s) && editing !== s.id) act.append(button("Edit", "", () => { editing = s.id; schedule(); }, `edit-btn:${s.id}`, `Edit ${named(s)}`));
    if (state.canMove(s)) {
      const move = select("lv-move", `Move ${named(s)} to stage`, names.map((n, i) => [String(i), n]), String(stage), `move:${s.id}`, true);
      move.input.addEventListener("change", () => {
        // the same place in the other stage, or the nearest free one below it
        const by = Number(move.input.value) - stage;
        const moves = stageMoves(state.stickyList(), state.kinds, geometry, [s.id], by);
        actions.move(moves.length ? moves : [{ id: s.id, x: s.x + by / names.length, y: s.y }]);
        focusLater(`move:${s.id}`);
      });
      act.append(move.label);
    }
    if (state.canEdit(s)) {
      // the kind, changed in place as on the sticky's bar (issue 26)
      const kinds = [...state.kinds.values()].filter((k) => k.key === s.kind || state.canAdd(k.key)).map((k) => [k.key, k.label]);
      if (kinds.length > 1) {
        const kindSelect = select("lv-kind-select", `Kind of ${named(s)}`, kinds, s.kind, `kind:${s.id}`, true);
        kindSelect.input.addEventListener("change", () => {
          actions.changeKind(s.id, kindSelect.input.value);
          focusLater(`kind:${s.id}`);
        });
        act.append(kindSelect.label);
      }
    }
    if (state.canEdit(s) && s.kind !== "event") {
      // what the canvas's "Link to…" does: a pain point or a note about another sticky
      const others = [["", "Not linked"]];
      for (const id of state.stickyIds()) {
        const t = state.sticky(id);
        if (t && t.id !== s.id) others.push([t.id, `${kindLabel(t.kind)}: ${t.text.slice(0, 40)}`]);
      }
      const link = select("lv-link", `Link ${named(s)} to`, others, s.link_to || "", `link:${s.id}`, true);
      link.input.addEventListener("change", () => {
        actions.update(s.id, { link_to: link.input.value || null }, link.input.value ? "link" : "unlink");
        focusLater(`link:${s.id}`);
      });
      act.append(link.label);
    }
    if (state.isVoting() && state.isVotable(s)) {
      act.append(button("+ Dot", "", () => actions.vote(s.id, 1), `vote:${s.id}`, `Place a dot on ${named(s)}`));
      if (mine) act.append(button("− Dot", "", () => actions.vote(s.id, -1), `unvote:${s.id}`, `Take a dot back from ${named(s)}`));
    }
    if (state.canEdit(s)) act.append(button("Delete", "danger-ghost", () => actions.remove([s.id]), `del:${s.id}`, `Delete ${named(s)}`));
    line.append(kind, text, by, dots, actionsCell);
    return line;
  }

  function focusLater(key) { requestAnimationFrame(() => requestAnimationFrame(() => panel.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus())); }

  function button(label, cls, onClick, key, aria) {
    const b = el("button", `fbtn ${cls}`.trim(), label);
    b.type = "button";
    if (key) b.dataset.focusKey = key;
    if (aria) b.setAttribute("aria-label", aria);
    b.addEventListener("click", onClick);
    return b;
  }

  function select(cls, labelText, options, value, key, hiddenLabel = false) {
    const label = el("label", "lv-field");
    const span = el("span", hiddenLabel ? "visually-hidden" : "lv-field-label", labelText);
    const input = el("select", cls);
    input.dataset.focusKey = key;
    for (const [v, t] of options) { const o = el("option", null, t); o.value = v; input.append(o); }
    if (value != null && options.some(([v]) => v === value)) input.value = value;
    label.append(span, input);
    return { label, input };
  }

  function schedule() { if (open && !frame) frame = requestAnimationFrame(render); }

  function toggle(on = !open) {
    open = on;
    panel.hidden = !on;
    document.body.classList.toggle("list-open", on);
    if (on) { render(); panel.querySelector(".lv-add-text, .lv-close")?.focus(); }
    onToggle(on);
  }

  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !e.target.classList.contains("lv-edit-text")) { e.preventDefault(); toggle(false); }
  });

  return { toggle, schedule, get open() { return open; } };
}
