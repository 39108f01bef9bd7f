// "Review the grouping": Y, N and S answer the question on screen, U takes the last answer back.
// The keys act only when the focus is not in a text field (the title field types its letters).
const keys = { y: "[data-test=yes]", n: "[data-test=no]", s: "[data-test=skip]", u: "[data-test=review-undo] button" };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target.closest?.("input, textarea, select, [contenteditable=true]")) return;
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
