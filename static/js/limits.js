// Say how close a text is to its limit, and say so when a paste was cut short, instead of letting the
// browser's maxlength drop the rest in silence. Every <input maxlength> and <textarea maxlength> of a
// page gets it (from 100 characters up: a name field's 60 need no counter); the board's sticky editor
// calls watchLength itself. The counter appears from 80 % of the limit ("1,850 / 2,000") and is read
// out politely by screen readers; a paste that did not fit says how much was left out.
const SHOW_FROM = 0.8;
const fmt = (n) => n.toLocaleString("en");

export function watchLength(field, { after = field } = {}) {
  const max = field.maxLength;
  if (!(max > 0) || field.dataset.lengthWatched) return null;
  field.dataset.lengthWatched = "1";
  const counter = document.createElement("span");
  counter.className = "length-counter";
  counter.setAttribute("aria-live", "polite");
  counter.hidden = true;
  after.insertAdjacentElement("afterend", counter);
  let cut = 0;
  const update = () => {
    const used = field.value.length;
    const near = used >= max * SHOW_FROM;
    counter.hidden = !near && !cut;
    counter.classList.toggle("over", cut > 0);
    counter.textContent = cut
      ? `${fmt(used)} / ${fmt(max)}: the limit; ${fmt(cut)} pasted character${cut === 1 ? " was" : "s were"} left out`
      : `${fmt(used)} / ${fmt(max)}`;
  };
  field.addEventListener("paste", (event) => {
    const pasted = (event.clipboardData && event.clipboardData.getData("text")) || "";
    const selected = Math.abs((field.selectionEnd ?? 0) - (field.selectionStart ?? 0));
    cut = Math.max(0, field.value.length - selected + pasted.length - max);
    setTimeout(update, 0); // after the browser has inserted (and cut) the text
  });
  field.addEventListener("input", (event) => {
    if (event.inputType !== "insertFromPaste") cut = 0;
    update();
  });
  update();
  return counter;
}

function watchAll(root = document) {
  root.querySelectorAll("input[maxlength], textarea[maxlength]").forEach((field) => {
    if (field.maxLength >= 100 && !field.readOnly) watchLength(field);
  });
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => watchAll());
  else watchAll();
}
