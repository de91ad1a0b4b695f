"""Render an outgoing email (subject, text, HTML) from templates/emails/ in the recipient's language.

Each kind has `emails/<kind>.txt` (blocks `subject` and `body`) and
`emails/<kind>.html` (the HTML body, autoescaped).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class RenderedMail:
    """The three parts of a composed email."""

    subject: str
    text: str
    html: str


def header_safe(value: str) -> str:
    """Fold control characters (CR/LF above all) into spaces, so no typed text can add a header."""
    return _HEADER_UNSAFE.sub(" ", value or "").strip()


def render_mail(kind: str, language: str, **context) -> RenderedMail:
    """Render the templates of one kind of mail in the given language ("es" or "en")."""
    env = current_app.jinja_env
    with force_locale(language):
        text_template = env.get_template(f"emails/{kind}.txt")
        ctx = text_template.new_context(dict(context, language=language))
        subject = "".join(text_template.blocks["subject"](ctx))
        text = "".join(text_template.blocks["body"](ctx))
        html = env.get_template(f"emails/{kind}.html").render(**context, language=language)
    return RenderedMail(subject=header_safe(subject), text=text.strip() + "\n", html=html)
