// A Copy button beside a link: <input id="join-3" readonly value="…"> <button data-copy="join-3">Copy</button>.
// Uses the Clipboard API where the page may (https, localhost), else selects the text and copies it
// the old way (a plain-http address on a LAN); the button says "Copied" for two seconds either way,
// or "Press Ctrl+C" when the browser refused both (the text is selected for that).
async function copyText(input) {
  if (navigator.clipboard && window.isSecureContext) {
    try { await navigator.clipboard.writeText(input.value); return true; } catch { /* fall back */ }
  }
  input.focus();
  input.select();
  try { return document.execCommand("copy"); } catch { return false; }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copy);
  if (!input) return;
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const ok = await copyText(input);
  button.textContent = ok ? "Copied" : "Press Ctrl+C";
  button.classList.toggle("copied", ok);
  const status = document.getElementById("copy-status");
  if (status) status.textContent = ok ? "Link copied to the clipboard." : "Select the link and copy it.";
  clearTimeout(button._reset);
  button._reset = setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 2000);
});
