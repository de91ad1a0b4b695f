"""Test clients that behave like separate browsers talking to a server: each request loads its
signed-in user and its language from its own cookies and headers (the tests' shared app context
would otherwise keep what Flask-Login and Flask-Babel cached in `g` for an earlier request)."""
from __future__ import annotations

from flask import g
from flask.testing import FlaskClient


class Browser(FlaskClient):
    """A test client whose every request starts without a cached user or locale, as on a server."""

    def open(self, *args, **kwargs):
        for cached in ("_login_user", "_flask_babel"):
            g.pop(cached, None)
        return super().open(*args, **kwargs)


def browser(app, address: str = "127.0.0.1") -> Browser:
    """A new browser (its own cookies) at the given client address."""
    client = Browser(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def list_page_with_view_counts(client, url: str) -> str:
    """The ticket list at `url` as a browser shows it once htmx has fetched the sidebar's counts
    (the page's view list asks for itself with them, hx-trigger="load", hx-swap="outerHTML")."""
    import html
    import re

    page = client.get(url)
    assert page.status_code == 200, page.status_code
    text = page.get_data(as_text=True)
    listed = re.search(r'<ul[^>]*id="view-list"[^>]*>.*?</ul>', text, re.S)
    source = re.search(r'hx-get="([^"]+)"', listed.group(0)).group(1)
    counts = client.get(html.unescape(source))
    assert counts.status_code == 200, counts.status_code
    return text[:listed.start()] + counts.get_data(as_text=True) + text[listed.end():]
