// The in-place editor: a draft for a new sticky, or the text (and duration) of an existing one.
// A draft survives a phase change: saved if the new phase still takes its kind, else kept open with
// a note saying why (and, when the phase takes another kind, a button to save it as that kind). While
// it is open the room knows someone is typing (the facilitator sees "2 people are typing").
import { durationIn, el, formatDuration, parseDuration } from "./format.js";
import { watchLength } from "../limits.js";
import { freeSpot } from "./tidy.js";

// Below this zoom the editor's text cannot be read while typing (a phone after Fit shows 11 %):
// opening it zooms the view in on the sticky first, as whiteboards do.
const EDIT_ZOOM = 0.6;

export function createEditor({ state, renderer, geometry, actions, toast, stickyLayer, signal, onClose, onCreated = () => {},
  viewport = null, announce = () => {} }) {
  let editor = null;
  let reader = null; // a sticky opened read-only (issue 26: someone else's long text was cut with "…")
  const kindOf = (key) => state.kinds.get(key);
  const nameOf = (id) => state.participants.find((p) => p.id === id)?.name || "Someone";
  const quote = (text) => `“${text.length > 80 ? `${text.slice(0, 79)}…` : text}”`;
  const mySaves = new Map(); // sticky id -> the text I last saved on it (told when someone replaces it)

  // Two people editing one sticky (issue 23 item 8): nothing is lost silently. Someone else's new
  // text reaches my open editor at once, with theirs, and saving asks (keep mine / take theirs); a
  // text I saved that someone replaces later is said too.
  state.subscribe((change) => {
    const rec = change.record;
    const id = rec?.sticky?.id;
    if (!id || !("text" in rec.sticky) || rec.by === state.me?.id) return;
    const theirs = rec.sticky.text;
    if (editor && !editor.draft && editor.id === id && theirs !== editor.baseText) {
      conflict(editor, rec.by, theirs);
      return;
    }
    const mine = mySaves.get(id);
    if (mine !== undefined && mine !== theirs) {
      mySaves.delete(id);
      toast(`${nameOf(rec.by)} changed the text you wrote, ${quote(mine)}, to ${quote(theirs)}.`, "info",
        { sticky: true });
    }
  });

  function conflict(ed, by, theirs) {
    ed.conflict = { by, theirs };
    ed.note.replaceChildren(el("span", null,
      `${nameOf(by)} changed this text while you were editing it, to ${quote(theirs)}. Save which one?`));
    const keep = el("button", "editor-note-btn", "Keep mine");
    keep.type = "button";
    keep.addEventListener("click", () => { ed.conflict.resolved = true; commit(); });
    const take = el("button", "editor-note-btn", "Take theirs");
    take.type = "button";
    take.addEventListener("click", () => { close(); announce(`Kept ${nameOf(by)}'s text.`, true); });
    ed.note.append(keep, take);
    ed.note.hidden = false;
    ed.form.classList.add("blocked");
  }

  /** Someone else's sticky (or any, while the board is read-only), in full: its whole text, who wrote it
   * and why it cannot be changed, over the sticky, until Esc, Close or a click elsewhere. */
  function read(id) {
    close();
    const s = state.sticky(id);
    const node = renderer.node(id);
    if (!s || !node) return;
    if (viewport && viewport.scale < EDIT_ZOOM / 2) viewport.setView(s.x, s.y, EDIT_ZOOM);
    const kind = kindOf(s.kind);
    const card = el("div", "sticky-reader");
    card.setAttribute("role", "dialog");
    card.setAttribute("aria-label", `${kind?.label || s.kind} by ${s.author_id === state.me.id ? "you" : s.author_name || "someone"}, read only`);
    card.tabIndex = -1;
    const text = el("p", "reader-text", s.text || "");
    const meta = el("p", "reader-meta", [kind?.label || s.kind, s.duration_minutes != null ? `takes ${formatDuration(s.duration_minutes)}` : "",
      `by ${s.author_id === state.me.id ? "you" : s.author_name || "someone"}`].filter(Boolean).join(" · "));
    const who = s.author_id === state.me.id ? "you" : (s.author_name || "its author");
    const why = el("p", "reader-why", state.readOnlyReason() || `Only ${who} (who wrote it) or a facilitator can change its text; anyone can move it.`);
    const done = el("button", "reader-close", "Close");
    done.type = "button";
    card.append(text, meta, why, done);
    node.root.append(card);
    node.root.classList.add("reading");
    renderer.raise(id);
    const finish = (refocus) => {
      if (reader !== current) return;
      reader = null;
      card.remove();
      node.root.classList.remove("reading");
      document.removeEventListener("pointerdown", outside, true);
      if (refocus) node.root.focus({ preventScroll: true });
      onClose(true);
    };
    const outside = (e) => { if (!card.contains(e.target)) finish(false); };
    const current = { id, finish };
    reader = current;
    card.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Escape" || e.key === "Enter") { e.preventDefault(); finish(true); }
    });
    card.addEventListener("pointerdown", (e) => e.stopPropagation());
    card.addEventListener("dblclick", (e) => e.stopPropagation());
    done.addEventListener("click", (e) => { e.stopPropagation(); finish(true); });
    document.addEventListener("pointerdown", outside, true);
    card.focus({ preventScroll: true });
    onClose(false); // the selection's bar steps aside
    // all of it on screen: a sticky near the edge brings the view to it
    requestAnimationFrame(() => {
      if (!viewport || reader !== current) return;
      const r = card.getBoundingClientRect();
      const v = viewport.element.getBoundingClientRect();
      if (r.right > v.right || r.left < v.left || r.bottom > v.bottom || r.top < v.top) viewport.centreOn(...geometry.toWorld(s.x, s.y));
    });
    announce(`${s.text}. ${why.textContent}`);
  }

  function open({ id, draft, focusDuration = false }) {
    close();
    reader?.finish(false);
    const existing = id ? state.sticky(id) : null;
    if (id && !existing) return;
    const kind = kindOf(existing ? existing.kind : draft.kind);
    if (viewport && viewport.scale < EDIT_ZOOM / 2) {
      const at = existing || draft;
      viewport.setView(at.x, at.y, EDIT_ZOOM);
    }
    let host, draftEl = null;
    if (existing) {
      host = renderer.node(id)?.body;
      if (!host) return;
      renderer.setEditing(id);
      renderer.raise(id);
    } else {
      draftEl = el("div", `sticky draft editing k-${kind.key} shape-${kind.shape}`);
      const [px, py] = geometry.toWorld(draft.x, draft.y);
      draftEl.style.left = `${px}px`; // like every sticky (render.js): no transform of its own
      draftEl.style.top = `${py}px`;
      draftEl.style.zIndex = "100000";
      host = el("div", "sticky-body");
      host.style.setProperty("--sticky", kind.colour);
      draftEl.append(host);
      stickyLayer.append(draftEl);
    }
    const form = el("div", "editor");
    const area = el("textarea", "editor-text");
    area.maxLength = 2000;
    area.rows = 3;
    area.placeholder = kind.key === "event" ? "Something happened…" : `${kind.label}…`;
    const on = draft?.link_to && state.sticky(draft.link_to);
    area.setAttribute("aria-label", `${existing ? "Edit the" : "New"} ${kind.label.toLowerCase()} sticky's text${on ? `, attached to “${on.text}”` : ""}`);
    area.value = existing ? existing.text || "" : (draft.text || "");
    form.append(area);
    watchLength(area);
    let durInput = null;
    if (kind.hasDuration) {
      const row = el("label", "editor-duration");
      row.append(el("span", "clock"));
      durInput = el("input", "editor-duration-input");
      durInput.type = "text";
      durInput.placeholder = "3d, 2w, 45m, 4h";
      durInput.setAttribute("aria-label", "Duration");
      durInput.value = existing && existing.duration_minutes != null ? formatDuration(existing.duration_minutes).replace(" ", "") : "";
      row.append(durInput);
      form.append(row);
    }
    // while typing a time sticky: whether it has a duration yet, so a missing one is seen now, not
    // later on the backlog ("3 time-taken stickies have no duration") (issue 26)
    let durHint = null;
    if (kind.hasDuration) {
      durHint = el("div", "editor-duration-hint");
      durHint.setAttribute("aria-live", "polite");
      const say = () => {
        const raw = durInput.value.trim();
        const typed = raw ? parseDuration(raw) : null;
        const named = raw ? null : durationIn(area.value);
        durHint.classList.toggle("missing", !raw && named == null);
        durHint.classList.toggle("invalid", !!raw && typed == null);
        durHint.textContent = raw
          ? (typed == null ? "Not a duration: try 3d, 2w, 45m, 4h or “half a day”." : `Takes ${formatDuration(typed)}.`)
          : named != null ? `Takes ${formatDuration(named)} (from the text).`
            : "No duration yet: name one (“2d”, “half a day”) or type it in the field, or it counts in no lead time.";
      };
      area.addEventListener("input", say);
      durInput.addEventListener("input", say);
      say();
      form.append(durHint);
    }
    const note = el("div", "editor-note");
    note.setAttribute("role", "alert");
    note.hidden = true;
    const hint = el("div", "editor-hint", "Enter to save · Shift+Enter new line · Esc to cancel");
    form.append(note, hint);
    host.append(form);

    editor = { id, draft: draft ? { ...draft } : null, draftEl, host, form, area, durInput, note, closed: false,
      phaseAtOpen: state.phase().key, baseText: existing ? existing.text || "" : null, conflict: null };
    const onKey = (e) => {
      e.stopPropagation();
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); commit(); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    };
    area.addEventListener("keydown", onKey);
    durInput?.addEventListener("keydown", onKey);
    durInput?.addEventListener("input", () => durInput.classList.remove("invalid"));
    form.addEventListener("focusout", (e) => {
      if (e.relatedTarget && form.contains(e.relatedTarget)) return;
      setTimeout(() => {
        if (editor && editor.form === form && !form.contains(document.activeElement) && editor.note.hidden) commit();
      }, 0);
    });
    form.addEventListener("pointerdown", (e) => e.stopPropagation());
    form.addEventListener("dblclick", (e) => e.stopPropagation());
    (focusDuration && durInput ? durInput : area).focus({ preventScroll: true });
    if (!focusDuration) area.setSelectionRange(area.value.length, area.value.length);
    signal({ kind: "typing", on: true });
    onClose(false);
  }

  function readDuration(ed) {
    if (!ed.durInput) return { ok: true, duration: undefined };
    const raw = ed.durInput.value.trim();
    // an empty field takes the duration the text names ("Security review 2d"), as a person reading it would
    const duration = raw ? parseDuration(raw) : durationIn(ed.area.value);
    if (raw && duration == null) {
      ed.durInput.classList.add("invalid");
      toast("Write a duration like 3d, 2w, 45m or 4h.", "error");
      ed.durInput.focus();
      return { ok: false };
    }
    return { ok: true, duration };
  }

  /** Save what is in the editor (a draft becomes a sticky; an edit becomes an update). */
  function commit() {
    if (!editor || editor.closed) return null;
    const ed = editor;
    const text = ed.area.value.trim();
    const { ok, duration } = readDuration(ed);
    if (!ok) return null;
    if (ed.draft) {
      if (text && !state.canAdd(ed.draft.kind)) { explain(); return null; } // keep the text: never lose a draft
      close();
      if (!text) { announce("The empty sticky was not added.", true); return null; }
      // its place may have been taken while it was written: the nearest free one then
      const [x, y] = freeSpot(state.stickyList(), state.kinds, geometry, ed.draft) || [ed.draft.x, ed.draft.y];
      const sticky = { id: crypto.randomUUID(), kind: ed.draft.kind, text, x, y };
      if (ed.durInput && duration != null) sticky.duration_minutes = duration;
      if (ed.draft.link_to) sticky.link_to = ed.draft.link_to;
      actions.create([sticky]);
      onCreated(sticky.id);
      return sticky.id;
    }
    const s = state.sticky(ed.id);
    if (s && text && !state.canEdit(s)) { explain(); return null; }
    if (ed.conflict && !ed.conflict.resolved && text && text !== ed.conflict.theirs) {
      // someone else's text came in meanwhile: the note asks; nothing is saved over it unasked
      ed.note.querySelector("button")?.focus();
      announce(`${nameOf(ed.conflict.by)} changed this text meanwhile: keep yours or take theirs?`, true);
      return null;
    }
    close();
    if (!s) return null;
    const changes = {};
    if (text && text !== s.text) changes.text = text;
    if (!text && s.text) toast("A sticky needs some text, so it keeps its old one. To remove it, press Delete.", "info");
    if (ed.durInput && duration !== undefined && duration !== s.duration_minutes) changes.duration_minutes = duration;
    if (Object.keys(changes).length) actions.update(ed.id, changes);
    if (changes.text) mySaves.set(ed.id, changes.text);
    return ed.id;
  }

  /** The room moved on while this was open and it cannot be saved as it is: say so, keep the text. */
  function explain() {
    const ed = editor;
    const phase = state.phase();
    const reason = state.readOnlyReason();
    ed.note.replaceChildren();
    if (ed.draft) {
      const kind = kindOf(ed.draft.kind);
      const other = phase.kinds.find((k) => state.canAdd(k));
      ed.note.append(el("span", null, reason
        ? `${reason} Your text is kept here: copy it, or press Esc to drop it.`
        : `The ${phase.label} phase does not take ${kind.label.toLowerCase()} stickies. Your text is kept here.`));
      if (!reason && other) {
        const b = el("button", "editor-note-btn", `Save as ${kindOf(other).label.toLowerCase()}`);
        b.type = "button";
        b.addEventListener("click", () => { const text = ed.area.value; const draft = { ...ed.draft, kind: other, text }; close(); open({ draft }); commit(); });
        ed.note.append(b);
      }
    } else {
      ed.note.append(el("span", null, `${reason || "You can no longer change this sticky."} Your text is kept here: copy it, or press Esc.`));
    }
    ed.note.hidden = false;
    ed.form.classList.add("blocked");
  }

  function close() {
    if (!editor) return;
    const ed = editor;
    ed.closed = true;
    editor = null;
    ed.form.remove();
    ed.draftEl?.remove();
    if (ed.id) renderer.setEditing(null);
    signal({ kind: "typing", on: false });
    onClose(true);
  }

  return {
    open,
    read,
    get reading() { return reader?.id || null; },
    commit,
    close,
    get isOpen() { return !!editor; },
    get id() { return editor?.id || null; },
    /** The phase, the lock or the status changed: save a draft the room still takes, else keep it
     * with a note; an edit of an existing sticky goes on while it may. */
    refresh() {
      if (!editor) return;
      const ed = editor;
      if (ed.draft) {
        if (state.canAdd(ed.draft.kind)) {
          if (!ed.note.hidden) { ed.note.hidden = true; ed.form.classList.remove("blocked"); }
          if (state.phase().key !== ed.phaseAtOpen && ed.area.value.trim()) {
            const id = commit();
            if (id) toast("The phase changed: your sticky was saved.", "info");
          }
        } else explain();
      } else if (!state.canEdit(state.sticky(ed.id))) {
        if (!state.sticky(ed.id)) { close(); toast("That sticky was deleted.", "info"); } else explain();
      }
      if (editor) editor.phaseAtOpen = state.phase().key;
    },
  };
}
