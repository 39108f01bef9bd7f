// A form that cannot be undone from the page asks first: <form data-confirm="Close the workshop?">.
// For a <select> in the form, "{choice}" in the message becomes its chosen option's text.
// The question is the page's own dialog (a <dialog>: modal, Esc or Cancel to go back, focus on the
// safe choice first), not the browser's confirm(), so it reads like the rest of the app and names
// the action on its button ("Close", "Start round 3", "Remove").
let dialog = null;

function ensureDialog() {
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.className = "page-dialog";
  dialog.id = "page-confirm";
  dialog.setAttribute("aria-labelledby", "page-confirm-text");
  dialog.innerHTML = `<form method="dialog">
      <p id="page-confirm-text" class="page-dialog-text"></p>
      <div class="page-dialog-actions">
        <button type="submit" value="cancel" class="button" data-test="confirm-cancel">Cancel</button>
        <button type="submit" value="confirm" class="button primary" data-test="confirm-ok"></button>
      </div>
    </form>`;
  document.body.append(dialog);
  return dialog;
}

function ask(message, action, danger) {
  const d = ensureDialog();
  d.querySelector(".page-dialog-text").textContent = message;
  const ok = d.querySelector("[data-test=confirm-ok]");
  ok.textContent = action;
  ok.classList.toggle("danger", danger);
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "confirm"), { once: true });
    d.showModal();
    d.querySelector("[data-test=confirm-cancel]").focus();
  });
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (!form || form.dataset.confirmed === "1") return;
  event.preventDefault();
  const submitter = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  const select = form.querySelector("select");
  const choice = select ? select.options[select.selectedIndex]?.text ?? "" : "";
  const named = submitter && (submitter.textContent.trim().length > 1 ? submitter.textContent.trim()
    : submitter.getAttribute("aria-label"));  // an icon button ("×") says what it does in its label
  const action = named || "Confirm";
  const danger = !!(submitter && /danger/.test(submitter.className));
  if (!(await ask(form.dataset.confirm.replace("{choice}", choice), action, danger))) return;
  form.dataset.confirmed = "1";
  try {
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  } finally {
    delete form.dataset.confirmed;
  }
});
