// The ticket list (templates/tickets/list.html): "select all on this page" (#select-all) ticks
// every row's checkbox for the bulk form, and a click anywhere on a row (not on its link,
// checkbox or another control) opens the ticket, like its number's link.
(() => {
  "use strict";

  function rowBoxes() {
    return Array.from(document.querySelectorAll("#tickets tr.ticket-row input[name=numbers]"));
  }

  function showSelectAllState(selectAll) {
    const boxes = rowBoxes();
    const ticked = boxes.filter((box) => box.checked).length;
    selectAll.checked = boxes.length > 0 && ticked === boxes.length;
    selectAll.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.addEventListener("change", () => {
        // read once: each row's change event below updates #select-all as rows are ticked
        const wanted = selectAll.checked;
        rowBoxes().forEach((box) => {
          if (box.checked !== wanted) {
            box.checked = wanted;
            box.dispatchEvent(new Event("change", { bubbles: true }));
          }
        });
      });
      document.addEventListener("change", (event) => {
        if (event.target instanceof Element && event.target.matches("input[name=numbers]")) {
          showSelectAllState(selectAll);
        }
      });
      showSelectAllState(selectAll);
    }

    const table = document.getElementById("tickets");
    if (table) {
      table.addEventListener("click", (event) => {
        const target = event.target;
        if (!(target instanceof Element)) return;
        if (target.closest("a, button, input, label, select, textarea, td.pick")) return;
        const row = target.closest("tr.ticket-row");
        if (row && row.dataset.href && !window.getSelection().toString()) {
          window.location.assign(row.dataset.href);
        }
      });
    }
  });
})();
