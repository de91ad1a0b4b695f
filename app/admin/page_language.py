"""The admin's pages say which language they are in: Flask-Admin's base template writes a bare
`<html>` with no block around it, so the attribute is added to the answer (screen readers
choose their voice by it; axe's html-has-lang rule)."""
from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import get_locale

BARE_ROOT = "<html>"


def declare_language(response: Response) -> Response:
    """Give an admin HTML page `<html lang="…">` in the user's language."""
    if (request.path.startswith("/admin") and response.mimetype == "text/html"
            and not response.direct_passthrough and not response.is_streamed):
        page = response.get_data(as_text=True)
        head, found, rest = page.partition(BARE_ROOT)
        if found and len(head) < 200:  # the root element, right after the doctype
            response.set_data(f'{head}<html lang="{get_locale()}">{rest}')
    return response


def init_app(app: Flask) -> None:
    app.after_request(declare_language)
