"""GET shows the quote and the buttons; only the POST from that page decides."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import force_locale

from app.extensions import db
from app.portal import bp
from app.services.errors import DomainError, LinkProblem
from app.services.quote_decisions import decide_from_link, quote_for_link

REASON_MAX = 2000


def _language(quote) -> str:
    contact = quote.ticket.contact
    return contact.language.value if contact else "es"


def _problem(error: LinkProblem):
    """The page for a link that cannot be used (in the browser's language: we do not know whose)."""
    status = 410 if error.kind in ("expired", "used", "superseded") else 404
    return render_template("portal/link_problem.html", error=error), status


@bp.get("/cotizacion/<token>")
def show_quote(token: str):
    """The quote, with Approve and Reject; opening it changes nothing."""
    try:
        quote = quote_for_link(token)
    except LinkProblem as error:
        db.session.rollback()
        return _problem(error)
    decision = request.args.get("decision")
    with force_locale(_language(quote)):
        response = render_template("portal/quote.html", quote=quote, ticket=quote.ticket,
                                   token=token, decision=decision)
    db.session.rollback()  # a read: end the transaction (SQLite holds its lock until then)
    return response


@bp.post("/cotizacion/<token>/<any(aprobar, rechazar):action>")
def decide(token: str, action: str):
    """Record the decision (exactly one decision per quote version can win)."""
    reason = (request.form.get("reason") or "")[:REASON_MAX]
    try:
        quote = decide_from_link(token, approve=(action == "aprobar"), reason=reason)
        language = _language(quote)
        db.session.commit()
    except LinkProblem as error:
        db.session.rollback()
        return _problem(error)
    except DomainError as error:  # lost the race: the other decision won
        db.session.rollback()
        return _problem(LinkProblem("used", error.message))
    with force_locale(language):
        return render_template("portal/decided.html", quote=quote, ticket=quote.ticket)
