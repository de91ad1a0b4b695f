// Canned replies on the ticket page (templates/tickets/_canned_picker.html): the chosen reply,
// filled for the ticket by the server, goes into the picker's text box at the cursor, or at the
// end when the cursor was never put in the box. A button inserts it, so a keyboard works the
// same as a mouse (a <select> fires "change" on every arrow key in some browsers).
(() => {
  if (window.cannedRepliesLoaded) return; // the picker may be included more than once
  window.cannedRepliesLoaded = true;

  const placedCursor = new WeakSet(); // boxes the user has put the cursor in

  document.addEventListener("focusin", (event) => {
    if (event.target instanceof HTMLTextAreaElement) placedCursor.add(event.target);
  });

  function insert(box, text) {
    if (placedCursor.has(box)) {
      // a reply is a paragraph: it starts on a line of its own, not glued to a word
      const before = box.value.slice(0, box.selectionStart);
      const gap = before && !before.endsWith("\n") ? "\n" : "";
      box.setRangeText(gap + text, box.selectionStart, box.selectionEnd, "end");
    } else {
      const gap = box.value && !box.value.endsWith("\n") ? "\n" : "";
      box.value += gap + text;
      box.setSelectionRange(box.value.length, box.value.length);
    }
    // others listening to the box (collision detection's "writing a reply") hear the change
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  }

  async function filledText(url) {
    const response = await fetch(url, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || typeof data.text !== "string") throw new ServerRefusal(data.error);
    return data.text;
  }

  // The server's own refusal, in the user's language; any other failure (the network, a page
  // that is not JSON) is told with the picker's message, never the browser's English one.
  class ServerRefusal extends Error {}

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-canned-insert]");
    if (!button) return;
    const picker = button.closest("[data-canned-picker]");
    const select = picker.querySelector("[data-canned-select]");
    const status = picker.querySelector("[data-canned-status]");
    const box = document.getElementById(picker.dataset.cannedTarget);
    if (!select.value) {
      status.textContent = button.dataset.msgChoose;
      select.focus();
      return;
    }
    const title = select.options[select.selectedIndex].text;
    button.disabled = true;
    try {
      insert(box, await filledText(select.value));
      status.textContent = button.dataset.msgInserted.replace("{title}", title);
      select.value = "";
    } catch (error) {
      const said = error instanceof ServerRefusal && error.message;
      status.textContent = said || button.dataset.msgFailed;
    } finally {
      button.disabled = false;
    }
  });
})();
