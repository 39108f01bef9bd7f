// The backlog page: sort by a column, filter by words / status / quick wins, open a theme's details.
const table = document.getElementById("backlog");

if (table) {
  const themes = () => [...table.querySelectorAll("tbody.theme")];
  const filterInput = document.getElementById("theme-filter");
  const statusSelect = document.getElementById("status-filter");
  const quickOnly = document.getElementById("quick-filter");
  const noMatch = document.getElementById("no-theme-match");
  const count = document.getElementById("theme-count");
  let sortKey = "rank";
  let ascending = true;

  function toggle(body, open) {
    const details = body.querySelector("tr.details");
    const summary = body.querySelector("tr.summary");
    const show = open ?? details.hidden;
    details.hidden = !show;
    summary.querySelector(".theme-toggle")?.setAttribute("aria-expanded", String(show));
    body.classList.toggle("open", show);
  }

  table.addEventListener("click", (event) => {
    const summary = event.target.closest("tr.summary");
    if (summary) toggle(summary.parentElement);
    const header = event.target.closest("th.sortable");
    if (header) sortBy(header.dataset.sort);
  });
  // the keyboard opens a theme through its title's button (Enter or Space clicks it)

  function value(body, key) {
    const raw = body.dataset[key];
    if (key === "title" || key === "status") return raw.toLowerCase();
    return raw === "" ? -Infinity : Number(raw);
  }

  function sortBy(key) {
    ascending = key === sortKey ? !ascending : key === "rank" || key === "title" || key === "effort";
    sortKey = key;
    const sorted = themes().sort((a, b) => {
      const x = value(a, key), y = value(b, key);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1) || value(a, "rank") - value(b, "rank");
    });
    sorted.forEach((body) => table.appendChild(body));
    table.querySelectorAll("th.sortable").forEach((th) => {
      th.classList.toggle("sorted", th.dataset.sort === key);
      th.setAttribute("aria-sort", th.dataset.sort === key ? (ascending ? "ascending" : "descending") : "none");
    });
  }

  function applyFilters() {
    const words = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
    const status = statusSelect.value;
    let shown = 0;
    for (const body of themes()) {
      const visible = words.every((w) => body.dataset.search.includes(w))
        && (!status || body.dataset.status === status)
        && (!quickOnly.checked || body.dataset.quick === "1");
      body.hidden = !visible;
      if (visible) shown += 1;
    }
    count.textContent = `${shown} of ${themes().length} themes`;
    noMatch.hidden = shown > 0 || themes().length === 0;
  }

  filterInput.addEventListener("input", applyFilters);
  statusSelect.addEventListener("change", applyFilters);
  quickOnly.addEventListener("change", applyFilters);
  applyFilters();

  // a link to a theme (#t12: after a decision, from the top themes, from a heatmap cell's pain points)
  // opens its details
  function openLinkedTheme() {
    const target = /^#t\d+$/.test(location.hash) && document.querySelector(location.hash);
    if (target && target.matches("tbody.theme")) {
      toggle(target, true);
      target.scrollIntoView({ block: "center" });
    }
  }
  openLinkedTheme();
  window.addEventListener("hashchange", openLinkedTheme);
}

// A table or chart wider than the screen scrolls sideways inside its card: say so above it while some
// of it is out of sight (on a phone the heatmap's last stages and the rounds' columns would otherwise
// just look cut off), and say nothing once it fits.
function markScrollers() {
  for (const box of document.querySelectorAll(".table-scroll, .heat-wrap, .chart-wrap")) {
    let hint = box.previousElementSibling?.classList.contains("scroll-hint") ? box.previousElementSibling : null;
    const hidden = box.scrollWidth - box.clientWidth > 2;
    if (hidden && !hint) {
      hint = document.createElement("p");
      hint.className = "scroll-hint muted small";
      hint.dataset.test = "scroll-hint";
      hint.textContent = "More to the right: scroll sideways →";
      box.before(hint);
    } else if (!hidden && hint) {
      hint.remove();
    }
  }
}
markScrollers();
window.addEventListener("resize", () => requestAnimationFrame(markScrollers));
