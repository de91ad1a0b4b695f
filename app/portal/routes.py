"""GET shows the quote and the buttons; only the POST from that page decides."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.portal import bp
from app.models.quote import Quote
from app.services.contacts import requester_language
from app.services.errors import DomainError, LinkProblem
from app.services.quote_decisions import decide_from_link, quote_for_link
from app.services.quote_links import SALT, expires_at

REASON_MAX = 2000


def signed_quote(token: str) -> Quote | None:
    """The quote a link genuinely signed by us names, however old (only to pick the language of
    the page saying it cannot be used); None for a link we did not sign."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    genuine, data = serializer.loads_unsafe(token)  # checks the signature, not the age
    if not genuine or not isinstance(data, dict) or not isinstance(data.get("q"), int):
        return None
    return db.session.get(Quote, data["q"])


def _problem(error: LinkProblem, token: str):
    """The page for a link that cannot be used: in the customer's language when the link is
    ours (expired, used, superseded), in the browser's when it was tampered with (whose is it?)."""
    status = 410 if error.kind in ("expired", "used", "superseded") else 404
    quote = signed_quote(token) if error.kind != "tampered" else None
    language = requester_language(quote.ticket) if quote is not None else None
    db.session.rollback()
    if language is None:
        return render_template("portal/link_problem.html", error=error), status
    with force_locale(language):
        return render_template("portal/link_problem.html", error=error), status


@bp.get("/cotizacion/<token>")
def show_quote(token: str):
    """The quote, with Approve and Reject; opening it changes nothing."""
    try:
        quote = quote_for_link(token)
    except LinkProblem as error:
        db.session.rollback()
        return _problem(error, token)
    decision = request.args.get("decision")
    with force_locale(requester_language(quote.ticket)):
        response = render_template("portal/quote.html", quote=quote, ticket=quote.ticket,
                                   token=token, decision=decision,
                                   expires_at=expires_at(quote))
    db.session.rollback()  # a read: end the transaction (SQLite holds its lock until then)
    return response


@bp.post("/cotizacion/<token>/<any(aprobar, rechazar):action>")
def decide(token: str, action: str):
    """Record the decision (exactly one decision per quote version can win)."""
    reason = (request.form.get("reason") or "")[:REASON_MAX]
    try:
        quote = decide_from_link(token, approve=(action == "aprobar"), reason=reason)
        language = requester_language(quote.ticket)
        db.session.commit()
    except LinkProblem as error:
        db.session.rollback()
        return _problem(error, token)
    except DomainError as error:  # lost the race: the other decision won
        db.session.rollback()
        return _problem(LinkProblem("used", error.message), token)
    with force_locale(language):
        return render_template("portal/decided.html", quote=quote, ticket=quote.ticket)
