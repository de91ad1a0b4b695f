"""Test clients that behave like separate browsers talking to a server: each request loads its
signed-in user from its own cookies (the tests' shared app context would otherwise keep the user
Flask-Login cached in `g` by an earlier request of another client)."""
from __future__ import annotations

from flask import g
from flask.testing import FlaskClient


class Browser(FlaskClient):
    """A test client whose every request starts without a cached user, as on a real server."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def browser(app, address: str = "127.0.0.1") -> Browser:
    """A new browser (its own cookies) at the given client address."""
    client = Browser(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address
    return client
