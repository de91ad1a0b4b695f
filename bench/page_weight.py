"""The weight of the CSS and JavaScript each dashboard page loads, gzipped, as a browser
fetches it from the app (its own static files: nothing comes from a CDN).

Renders the pages through the app (a temporary SQLite database with the demo data), reads
each page's <link rel="stylesheet"> and <script src>, and gzips each file (level 6, what a
reverse proxy commonly uses). Prints a table and the same as JSON.

    .venv/bin/python bench/page_weight.py
"""
from __future__ import annotations

import gzip
import json
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class Assets(HTMLParser):
    """The stylesheets and scripts a page references, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.found.append(("css", attributes["href"]))
        elif tag == "script" and attributes.get("src"):
            self.found.append(("js", attributes["src"]))


def weigh(app, html: str) -> dict:
    """Bytes of CSS and JS the page loads: raw and gzipped, per kind."""
    parser = Assets()
    parser.feed(html)
    totals = {"css": [0, 0], "js": [0, 0]}
    static = Path(app.static_folder)
    for kind, href in parser.found:
        body = (static / href.split("/static/", 1)[1].split("?")[0]).read_bytes()
        totals[kind][0] += len(body)
        totals[kind][1] += len(gzip.compress(body, compresslevel=6))
    return {f"{kind}_{measure}_kb": round(values[i] / 1024, 1)
            for kind, values in totals.items() for i, measure in enumerate(("raw", "gzip"))}


def main() -> None:
    from flask_migrate import upgrade

    from assembly import build_app
    from app.extensions import db
    from app.models import Ticket
    from app.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo

    with tempfile.TemporaryDirectory(prefix="soporte-weight-") as tmp:
        app = build_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/weight.db"})
        with app.app_context():
            upgrade()
            seed_demo()
            db.session.commit()
            number = db.session.scalars(db.select(Ticket.number).limit(1)).one()
            db.session.remove()
        client = app.test_client()
        client.post("/login", data={"email": DEMO_USERS[2][0], "password": DEMO_PASSWORD})
        pages = {"sign-in": None, "list": "/operacion/ticket",
                 "ticket": f"/operacion/ticket/{number}", "new ticket": "/operacion/ticket/nuevo"}
        results = []
        for name, path in pages.items():
            response = (app.test_client().get("/login") if path is None else client.get(path))
            assert response.status_code == 200, (name, response.status_code)
            row = {"page": name, **weigh(app, response.get_data(as_text=True))}
            results.append(row)
            print(f"{name:<11} CSS {row['css_gzip_kb']:6.1f} KB gzipped ({row['css_raw_kb']:.0f} KB)"
                  f"   JS {row['js_gzip_kb']:6.1f} KB gzipped ({row['js_raw_kb']:.0f} KB)")
        print(json.dumps(results))


if __name__ == "__main__":
    main()
