// Collision detection on the ticket page: keeps the presence box's `composing` field
// (templates/tickets/_presence.html) in step with the reply text (#reply-text), and refreshes
// the box at once when this user starts writing or empties the text, so colleagues see it.
// Loaded with defer: it runs once the page is parsed, before htmx sends the first heartbeat.
(() => {
  const box = document.getElementById("presence");
  const flag = document.getElementById("presence-composing");
  const text = document.getElementById("reply-text");
  if (!box || !flag || !text) return;
  const composing = () => (text.value.trim() ? "1" : "0");
  flag.value = composing(); // a page shown again with the typed reply is writing already
  text.addEventListener("input", () => {
    const now = composing();
    if (now === flag.value) return;
    flag.value = now;
    htmx.trigger(box, "presence-changed");
  });
  // sent: this page is about to be left; the next one starts with an empty reply
  if (text.form) text.form.addEventListener("submit", () => { flag.value = "0"; });
})();
