// A form that cannot be undone from the page asks first: <form data-confirm="Close the workshop?">.
// For a <select> in the form, "{choice}" in the message becomes its chosen option's text.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (!form) return;
  const select = form.querySelector("select");
  const choice = select ? select.options[select.selectedIndex]?.text ?? "" : "";
  if (!window.confirm(form.dataset.confirm.replace("{choice}", choice))) event.preventDefault();
});
