"""Signed quote links: bound to the quote's id, version and content; expiring.

Whether the quote a link names can still be decided is quote_decisions' rule.

The link only opens a page; the decision is a POST from that page (see app.portal),
so a mail scanner that follows links decides nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models.quote import Quote
from app.services.errors import LinkProblem

SALT = "soporte.quote-decision"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def content_digest(quote: Quote) -> str:
    """A fingerprint of what the customer is shown: any change makes old links invalid."""
    text = f"{quote.id}|{quote.version}|{quote.price}|{quote.currency}|{quote.estimated_hours}|" \
           f"{quote.message}|{quote.ticket_id}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def make_token(quote: Quote) -> str:
    """The signed token of a quote version."""
    return _serializer().dumps({"q": quote.id, "v": quote.version, "d": content_digest(quote)})


def link_for(quote: Quote, decision: str | None = None) -> str:
    """The absolute URL of the quote's page (decision "approve" or "reject" preselects a button)."""
    base = current_app.config["SOPORTE_BASE_URL"].rstrip("/")
    url = f"{base}/cotizacion/{make_token(quote)}"
    return f"{url}?decision={decision}" if decision else url


def expires_at(quote: Quote) -> dt.datetime:
    """When the quote's links stop working: SOPORTE_QUOTE_LINK_DAYS after the version was saved
    (its links are signed then). The quote email and page show it as "Valid until"."""
    return quote.created_at + dt.timedelta(days=current_app.config["SOPORTE_QUOTE_LINK_DAYS"])




def quote_of_token(token: str, *, lock: bool = False) -> Quote:
    """The quote a genuine, unexpired link names, unchanged since it was sent (populated afresh,
    locked on request); LinkProblem ("expired" or "tampered") otherwise."""
    max_age = current_app.config["SOPORTE_QUOTE_LINK_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkProblem("expired", _l("This link has expired. Reply to our email and we will "
                                        "send you a new one.")) from None
    except BadSignature:
        raise LinkProblem("tampered", _TAMPERED) from None
    quote = db.session.get(Quote, data.get("q"), populate_existing=True,
                           with_for_update=lock or None)
    if quote is None or content_digest(quote) != data.get("d") or quote.version != data.get("v"):
        raise LinkProblem("tampered", _TAMPERED)
    return quote


_TAMPERED = _l("This link is not valid. Open it again from our email, without changing it.")
