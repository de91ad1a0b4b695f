// The list's bulk toolbar (templates/tickets/_bulk_toolbar.html): only the fields of the chosen
// action are shown (elements marked data-bulk-for="assign", "status close", …). Without this
// script every field shows and the server ignores those the action does not use.
(() => {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const choice = form.querySelector("select[name=action]");

  function showFieldsOf(action) {
    form.querySelectorAll("[data-bulk-for]").forEach((element) => {
      const wanted = element.dataset.bulkFor.split(" ").includes(action);
      element.hidden = !wanted;
      // a required field of the chosen action is checked by the browser before sending
      element.querySelectorAll("select, textarea").forEach((field) => {
        field.required = wanted;
      });
    });
  }

  choice.addEventListener("change", () => showFieldsOf(choice.value));
  showFieldsOf(choice.value);
})();
