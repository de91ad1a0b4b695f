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
