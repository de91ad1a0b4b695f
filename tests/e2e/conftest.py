"""Fixtures of the browser tests: the dashboard served on a loopback port, and a headless
Chromium (Playwright driving the system browser).

The browser tests run on one database, PostgreSQL (production's) when the suite has it: what a
page does is the same on both, and every rule behind a page runs on both databases in the
integration tests. SOPORTE_E2E_DATABASES=sqlite,postgresql runs them on both (each must be among
SOPORTE_TEST_DATABASES)."""
import os
import threading

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.dovecot import free_port
from tests.conftest import BACKENDS
from tests.e2e.browsing import ARGS, CHROMIUM, DESKTOP

E2E_BACKENDS = [name.strip() for name in os.environ.get(
    "SOPORTE_E2E_DATABASES", "postgresql" if "postgresql" in BACKENDS else BACKENDS[0]
).split(",") if name.strip() in BACKENDS]


@pytest.fixture(params=E2E_BACKENDS)
def backend(request) -> str:
    """The database backend a browser test runs on (E2E_BACKENDS)."""
    return request.param


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
