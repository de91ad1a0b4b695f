"""A customer's form sent without its page's CSRF token (the page was open too long, or the form
did not come from this site): the customer's own page with the company's look, in the
customer's language when the link in its address is ours (the browser's otherwise), not the
dashboard's error page. Answered 400; nothing was done."""
from __future__ import annotations

from contextlib import nullcontext

from flask import render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.extensions import db
from app.portal import bp
from app.portal.routes import signed_quote
from app.services import portal_links, ratings
from app.services.contacts import requester_language
from app.services.errors import LinkProblem
from app.web.errors import CSRF_MESSAGE


@bp.errorhandler(CSRFError)
def _form_expired(_error: CSRFError):
    language = _customer_language((request.view_args or {}).get("token"))
    db.session.rollback()
    problem = LinkProblem("form_expired", CSRF_MESSAGE)
    with force_locale(language) if language else nullcontext():  # else the browser's
        return render_template("portal/link_problem.html", error=problem,
                               heading=_("The form expired")), 400


def _customer_language(token: str | None) -> str | None:
    """The language of the customer whose signed link the address carries (a quote's, a rating's
    or a ticket page's), None when there is none or it is not ours."""
    if not token:
        return None
    if request.path.startswith("/cotizacion/"):
        quote = signed_quote(token)
        return requester_language(quote.ticket) if quote is not None else None
    if request.path.startswith("/portal/valorar/"):
        ticket = ratings.signed_ticket(token)
        return requester_language(ticket) if ticket is not None else None
    if request.path.startswith("/portal/t/"):
        contact = portal_links.signed_contact(token)
        return contact.language.value if contact is not None else None
    return None

