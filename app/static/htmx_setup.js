// htmx requests carry the page's CSRF token (Flask-WTF reads the X-CSRFToken header). An error
// answer (4xx/5xx) is not swapped into the page (htmx's default); a request whose session
// expired answers 401 with HX-Redirect, and htmx takes the browser to the sign-in page.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
