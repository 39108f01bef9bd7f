// "Review the grouping": Y, N and S answer the question on screen, U takes the last answer back.
// The keys act only when the focus is not in a text field (the title field types its letters).
const keys = { y: "[data-test=yes]", n: "[data-test=no]", s: "[data-test=skip]", u: "[data-test=review-undo] button" };

// the ticks beside the stickies in question (two or more): a yes moves the ticked ones only; the
// Yes button says how many, and a yes with none ticked is a no, so it waits for a tick
const ticks = [...document.querySelectorAll("[data-test=tick]")];
const yesLabel = document.querySelector("[data-test=yes-label]");
function showTicks() {
  if (!ticks.length || !yesLabel) return;
  const ticked = ticks.filter((box) => box.checked).length;
  yesLabel.textContent = ticked === ticks.length ? "Yes" : `Yes for ${ticked} of ${ticks.length}`;
  // and the sentence under the buttons: "Yes puts it ..." for one ticked sticky, "them" for several
  const meaning = document.querySelector("[data-test=yes-meaning]");
  if (meaning) {
    const said = ticked === 1 ? meaning.dataset.one : meaning.dataset.many;
    meaning.textContent = ticked > 0 && ticked < ticks.length ? `${said} (the ticked one${ticked === 1 ? "" : "s"})` : said;
  }
  const yes = yesLabel.closest("button");
  yes.disabled = ticked === 0;
  yes.title = ticked === 0 ? "Tick at least one sticky, or answer No" : "";
}
ticks.forEach((box) => box.addEventListener("change", showTicks));
showTicks();

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target.closest?.("input:not([type=checkbox]), textarea, select, [contenteditable=true]")) return;
  if (/^[1-9]$/.test(event.key) && ticks[Number(event.key) - 1]) {
    event.preventDefault();
    const box = ticks[Number(event.key) - 1];
    box.checked = !box.checked;
    showTicks();
    return;
  }
  const selector = keys[event.key.toLowerCase()];
  const button = selector && document.querySelector(selector);
  if (!button || button.disabled) return;
  event.preventDefault();
  document.querySelectorAll(".answers button, [data-test=review-undo] button").forEach((b) => { b.disabled = true; });
  button.disabled = false;
  button.classList.add("pressed");
  button.form.requestSubmit(button);
});

// after an answer the page comes back at the question: put the focus on it, for screen readers
const question = document.getElementById("question-text");
// what the last answer did ("Yes: done, and kept") is said at the top of the next question, where the
// page comes back, not above the page's heading out of sight
const flashes = document.querySelector("main > .flashes");
const card = document.getElementById("question");
if (flashes && card && location.hash === "#question") card.prepend(flashes);
if (question && location.hash === "#question") {
  question.setAttribute("tabindex", "-1");
  question.focus({ preventScroll: true });
}
