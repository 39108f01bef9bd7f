// The backlog's heatmap: a number opens the pain points behind it below the heatmap (a click, Enter or
// Space); Close, Escape or the same number again shuts them and gives the focus back to the number.
// Without this script each number is a link to its list, which the stylesheet shows while it is the
// page's target (and Close a link back to the heatmap): this only does the same in place.
const lists = document.querySelector(".heat-cells");

if (lists) {
  const card = lists.closest("section") ?? lists.parentElement;
  let open = null; // { link, panel } of the cell shown

  // a link that now acts in place: a button to assistive technology, and Space presses it too
  function actAsButton(link, onPress) {
    link.setAttribute("role", "button");
    link.addEventListener("click", (event) => {
      event.preventDefault();
      onPress();
    });
    link.addEventListener("keydown", (event) => {
      if (event.key === " ") {
        event.preventDefault();
        onPress();
      }
    });
  }

  function close(giveFocusBack = true) {
    if (!open) return;
    const { link, panel } = open;
    panel.classList.remove("open");
    link.setAttribute("aria-expanded", "false");
    open = null;
    if (giveFocusBack) link.focus();
  }

  function show(link, panel) {
    close(false);
    panel.classList.add("open");
    link.setAttribute("aria-expanded", "true");
    open = { link, panel };
    panel.focus({ preventScroll: true }); // its label and list are read out; Tab goes on inside it
    panel.scrollIntoView({ block: "nearest" });
  }

  const cellLinks = [...card.querySelectorAll("a.heat-open")];
  for (const link of cellLinks) {
    const panel = document.getElementById(link.hash.slice(1));
    if (!panel) continue;
    link.setAttribute("aria-controls", panel.id);
    link.setAttribute("aria-expanded", "false");
    actAsButton(link, () => (open?.link === link ? close() : show(link, panel)));
  }
  for (const button of lists.querySelectorAll(".heat-close")) actAsButton(button, () => close());

  // Escape shuts the list from the heatmap or the list itself (or nowhere in particular), never from
  // another part of the page, whose own fields may use Escape
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !open || event.defaultPrevented) return;
    const where = document.activeElement;
    if (where && where !== document.body && !card.contains(where)) return;
    event.preventDefault();
    close();
  });

  lists.classList.add("enhanced"); // from here on the script shows the lists, not the address
  // a link to a cell's list (#heat-2-3, shared or bookmarked) opens that cell
  const linked = location.hash && cellLinks.find((link) => link.hash === location.hash);
  if (linked) show(linked, document.getElementById(linked.hash.slice(1)));
}
