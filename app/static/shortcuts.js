// Keyboard shortcuts of the dashboard: "/" jumps to the search box, "n" opens a new ticket.
// Ignored while the user types in a field or holds a modifier key.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.key === "/") {
    const search = document.querySelector("input[name=q]");
    if (search) { event.preventDefault(); search.focus(); search.select(); }
  } else if (event.key === "n") {
    const link = document.getElementById("new-ticket-link");
    if (link) { event.preventDefault(); link.click(); }
  }
});
