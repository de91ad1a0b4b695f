"""The app served over real HTTP on a loopback port, for tests whose clients must be separate
from the test (other threads, other connections, the app's own request handling)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from app.extensions import db


@contextmanager
def serving(app) -> Iterator[str]:
    """Serve the app (a thread per request) on a free loopback port; yields its base URL.
    The test's own transaction is ended first: on SQLite it would hold the lock the server's
    requests need."""
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
