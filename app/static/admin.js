// Flask-Admin without inline script: the app's CSP (script-src 'self') blocks the onclick
// handlers and javascript: links of Flask-Admin's templates, so templates/admin/ marks those
// elements with data attributes and this file does their work.
(function () {
  "use strict";

  function closest(target, selector) {
    return target && target.closest ? target.closest(selector) : null;
  }

  document.addEventListener("click", function (event) {
    var confirmed = closest(event.target, "[data-confirm]");
    if (confirmed && !window.confirm(confirmed.getAttribute("data-confirm"))) {
      event.preventDefault(); // "no": the form is not sent
      event.stopImmediatePropagation();
      return;
    }
    var action = closest(event.target, "[data-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-action")); // asks, then submits
      return;
    }
    var inline = closest(event.target, "[data-inline-add]");
    if (inline && window.faForm) {
      event.preventDefault();
      window.faForm.addInlineField(inline, inline.getAttribute("data-inline-add"));
      return;
    }
    // Links that only carry a script handler (tabs, dropdowns, select lists): their
    // javascript:void(0) would be an inline script, and "#" would jump to the top.
    if (closest(event.target, 'a[href^="javascript:"], a[href="#"]')) {
      event.preventDefault();
    }
  }, true); // capture: before any handler that stops the click on its way up
})();
