// Input on the board, composed from its parts: gestures.js (pointer), editor.js (the in-place
// editor), selection.js (the selection, its floating bar, the clipboard), keyboard.js (keys, the
// roving focus, help), history.js (undo / redo) over actions.js (the verbs that send ops).
import { createActions } from "./actions.js";
import { createEditor } from "./editor.js";
import { createGestures } from "./gestures.js";
import { createHistory } from "./history.js";
import { createKeyboard } from "./keyboard.js";
import { createSelection } from "./selection.js";

export function createInteractions({ state, renderer, viewport, geometry, palette, send, sendMany, signal, toast,
  announce, dom, cursor, hooks }) {
  const history = createHistory({ state, sendMany, onChange: () => hooks.historyChanged?.() });
  const actions = createActions({ state, geometry, send, sendMany, history, toast, announce });

  // ---- linking (a pain point or a note to the sticky it is about) ---------------------------------
  let linkSource = null;
  let linkHint = null; // "Click the sticky to link to": up exactly while a target is being chosen
  // Esc cancels wherever the focus is (after a click on "Link to…" it is on no sticky)
  const escape = (e) => { if (e.key === "Escape") { e.preventDefault(); link.cancel(); announce("Link cancelled.", true); } };
  const quote = (id) => `“${state.sticky(id)?.text || "a sticky"}”`;
  const link = {
    get active() { return !!linkSource; },
    get source() { return linkSource; },
    /** Choose the target with a click or a tap, or from the keyboard: the focus stays on the source
     * (the bar whose "Link to…" was pressed hides), arrows move it, Enter or Space chooses. */
    start(id) {
      linkSource = id;
      renderer.setLinkMode(true);
      renderer.element(id)?.classList.add("link-source");
      linkHint?.dismiss();
      window.addEventListener("keydown", escape, true);
      const how = matchMedia("(pointer: coarse)").matches ? "Tap" : "Click";
      linkHint = toast(`${how} the sticky to link to, or go to it with the arrows and press Enter. Esc cancels.`,
        "info", { sticky: true });
      announce(`Link ${quote(id)} to: go to the sticky with the arrows and press Enter. Esc cancels.`, true);
      selection.setHidden(true);
      keyboard.setCurrent(id, { select: false });
    },
    finish(target) {
      const source = linkSource;
      link.cancel();
      if (!source || source === target) return;
      if (actions.update(source, { link_to: target }, "link")) announce(`Linked ${quote(source)} to ${quote(target)}.`, true);
      selection.select(source);
      keyboard.setCurrent(source);
    },
    cancel() {
      linkHint?.dismiss();
      linkHint = null;
      window.removeEventListener("keydown", escape, true);
      if (!linkSource) return;
      const source = linkSource;
      renderer.element(source)?.classList.remove("link-source");
      linkSource = null;
      renderer.setLinkMode(false);
      selection.setHidden(false);
      // the keyboard's place goes back to the source, unless the focus went elsewhere (a control)
      const focus = document.activeElement === document.body || dom.viewportEl.contains(document.activeElement);
      if (state.sticky(source)) keyboard.setCurrent(source, { focus, select: false });
    },
  };

  let selection = null;
  const editor = createEditor({
    state, renderer, geometry, actions, toast, announce, stickyLayer: dom.stickyLayer, signal, viewport,
    onCreated: (id) => focusNew([id]),
    onClose: (closed) => {
      selection?.update();
      // back to the keyboard's place once the editor closes (an empty draft dropped included)
      if (closed && document.activeElement === document.body) requestAnimationFrame(() => keyboard.restoreFocus());
    },
  });
  selection = createSelection({ state, renderer, viewport, geometry, actions, editor, toast,
    selectionBar: dom.selectionBar, startLink: (id) => link.start(id), onPlaced: (ids) => focusNew(ids) });

  /** New stickies (N, a paste, a duplicate) are selected once drawn and the last one takes the
   * keyboard's focus: Delete, Enter and the arrows act on what is highlighted, never on the original. */
  function focusNew(ids) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const here = ids.filter((id) => state.sticky(id));
      if (!here.length || editor.isOpen) return;
      const focusWasOnBoard = document.activeElement === document.body || dom.viewportEl.contains(document.activeElement);
      selection.selectMany(here);
      keyboard.setCurrent(here[here.length - 1], { focus: focusWasOnBoard });
    }));
  }
  const gestures = createGestures({ state, renderer, viewport, geometry, palette, actions, editor, selection, toast,
    cursor, dom, link });
  const keyboard = createKeyboard({ state, renderer, viewport, geometry, palette, actions, editor, selection, history,
    toast, announce, gestures, dom, link, hooks });

  renderer.onFrame(() => {
    if (renderer.selected && !state.sticky(renderer.selected)) selection.select(null);
    selection.update();
    keyboard.sync();
  });
  viewport.onChange(() => selection.update());

  return {
    refresh() {
      editor.refresh(); // a phase or lock change: save a draft the room still takes, or keep it with a note
      if (link.active && state.readOnlyReason()) link.cancel();
      selection.update();
    },
    openEditor: (args) => editor.open(args),
    select: (id) => { selection.select(id); if (id) keyboard.setCurrent(id, { focus: false }); },
    actions,
    history,
    selection,
    keyboard,
    editor,
  };
}
