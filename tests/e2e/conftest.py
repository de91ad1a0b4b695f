"""Fixtures of the browser tests: the dashboard served on a loopback port, and a headless
Chromium (Playwright driving the system browser)."""
import threading

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.dovecot import free_port
from tests.e2e.browsing import ARGS, CHROMIUM, DESKTOP


@pytest.fixture
def live_server(app, world):
    """The app served over HTTP on a loopback port, CSRF on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    db.session.commit()
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A desktop-sized tab whose browser asks for Spanish."""
    return browser.new_context(locale="es-ES", viewport=DESKTOP).new_page()
