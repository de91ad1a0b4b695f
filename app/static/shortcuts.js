// Keyboard shortcuts of the dashboard (listed to the user in templates/_shortcuts_help.html):
//   j / k   next / previous ticket in the list (tr.ticket-row), Enter opens it
//   r       ticket page: focus the reply (#reply-text)
//   n       ticket page: focus the internal note (#note-text); elsewhere: new ticket
//   a       ticket page: focus the assignee (#assignee)
//   /       focus the list's search (input[name=q]); without one, open the list and focus it there
//   ?       show the shortcuts (#shortcuts-help), also opened by [data-shortcuts-help] links
// Keys are ignored while the user types in a field, holds Ctrl/Meta/Alt, or a modal is open.
(() => {
  "use strict";

  const SELECTED = "table-active";
  const FOCUS_SEARCH_FLAG = "soporte.focus-search";
  // A revealed pane may still be fading in; focus waits for it this many frames at most.
  const REVEAL_FRAMES = 30;

  // Inputs that take no letters: a row's checkbox keeps j/k working after it is ticked.
  const KEYLESS_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "file"]);

  function isTyping(target) {
    if (!(target instanceof Element)) return false;
    if (target.isContentEditable || target.closest("textarea, select")) return true;
    const input = target.closest("input");
    return input !== null && !KEYLESS_INPUTS.has(input.type);
  }

  function modalOpen() {
    return document.querySelector(".modal.show") !== null;
  }

  function isVisible(element) {
    return element.getClientRects().length > 0;
  }

  // ---- the ticket list ----

  function ticketRows() {
    return Array.from(document.querySelectorAll("tr.ticket-row")).filter(isVisible);
  }

  function selectedRow() {
    return document.querySelector(`tr.ticket-row.${SELECTED}`);
  }

  function markSelected(row) {
    const previous = selectedRow();
    if (previous && previous !== row) {
      previous.classList.remove(SELECTED);
      previous.removeAttribute("aria-selected");
    }
    row.classList.add(SELECTED);
    row.setAttribute("aria-selected", "true");
  }

  function selectRow(row) {
    markSelected(row);
    // Focusing the row's link lets screen readers announce the ticket and shows the focus ring.
    const link = row.querySelector("a.ticket-link");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function moveSelection(step) {
    const rows = ticketRows();
    if (rows.length === 0) return false;
    const current = rows.indexOf(selectedRow());
    const next = current === -1 ? 0 : Math.min(Math.max(current + step, 0), rows.length - 1);
    selectRow(rows[next]);
    return true;
  }

  function openSelectedRow(target) {
    const row = selectedRow();
    // Enter on a button or another link keeps its own meaning.
    if (!row || !(target === document.body || row.contains(target))) return false;
    const href = row.dataset.href || row.querySelector("a.ticket-link")?.getAttribute("href");
    if (!href) return false;
    window.location.assign(href);
    return true;
  }

  // Tabbing onto a row's link selects that row, so j/k continue from there.
  document.addEventListener("focusin", (event) => {
    const row = event.target instanceof Element && event.target.closest("tr.ticket-row");
    if (row) markSelected(row);
  });

  // ---- the ticket page ----

  function onTicketPage() {
    return document.getElementById("ticket-page") !== null;
  }

  // The tab, collapse or <details> that hides an element, opened so the element can take focus.
  function reveal(element, composerTab) {
    const tabButton = document.querySelector(`[data-composer-tab="${composerTab}"]`);
    if (tabButton && !tabButton.classList.contains("active")) tabButton.click();
    for (let node = element.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
      if (node.classList.contains("tab-pane") && !node.classList.contains("active") && node.id) {
        const trigger = document.querySelector(
          `[data-bs-target="#${node.id}"], [aria-controls="${node.id}"], [href="#${node.id}"]`);
        if (trigger && window.bootstrap) window.bootstrap.Tab.getOrCreateInstance(trigger).show();
      }
      if (node.classList.contains("collapse") && !node.classList.contains("show") && window.bootstrap) {
        window.bootstrap.Collapse.getOrCreateInstance(node, { toggle: false }).show();
      }
    }
  }

  function focusWhenVisible(element, framesLeft) {
    if (isVisible(element) || framesLeft === 0) {
      element.focus();
      return;
    }
    window.requestAnimationFrame(() => focusWhenVisible(element, framesLeft - 1));
  }

  function focusField(id, composerTab) {
    const field = document.getElementById(id);
    if (!field || field.disabled) return false;
    reveal(field, composerTab);
    focusWhenVisible(field, REVEAL_FRAMES);
    return true;
  }

  // ---- search, new ticket, help ----

  function focusSearch() {
    const search = document.querySelector("input[name=q]");
    if (search && isVisible(search)) {
      search.focus();
      search.select();
      return true;
    }
    const list = document.querySelector(".navbar-brand[href]");
    if (!list) return false;
    window.sessionStorage.setItem(FOCUS_SEARCH_FLAG, "1");
    window.location.assign(list.href);
    return true;
  }

  function newTicket() {
    const link = document.getElementById("new-ticket-link");
    if (!link) return false;
    link.click();
    return true;
  }

  function showHelp() {
    const help = document.getElementById("shortcuts-help");
    if (!help || !window.bootstrap) return false;
    window.bootstrap.Modal.getOrCreateInstance(help).show();
    return true;
  }

  document.addEventListener("click", (event) => {
    const opener = event.target instanceof Element && event.target.closest("[data-shortcuts-help]");
    if (opener && showHelp()) event.preventDefault();
  });

  // ---- the keys ----

  const ACTIONS = {
    j: () => moveSelection(1),
    k: () => moveSelection(-1),
    Enter: (event) => !event.repeat && openSelectedRow(event.target),
    r: () => onTicketPage() && focusField("reply-text", "reply"),
    n: () => (onTicketPage() ? focusField("note-text", "note") : newTicket()),
    a: () => onTicketPage() && focusField("assignee", "assign"),
    "/": focusSearch,
    "?": showHelp,
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target) || modalOpen()) return;
    const action = ACTIONS[event.key];
    if (action && action(event)) event.preventDefault();
  });

  // "/" pressed where there is no search box: the list was opened, focus its search now.
  if (window.sessionStorage.getItem(FOCUS_SEARCH_FLAG)) {
    window.sessionStorage.removeItem(FOCUS_SEARCH_FLAG);
    const search = document.querySelector("input[name=q]");
    if (search) search.focus();
  }
})();
