"""GET /portal/valorar/<token>: the rating form (five scores and a comment); opening it changes
nothing. POST to the same address records the rating (CSRF as every form; refused POSTs are
throttled per client address: SOPORTE_RATING_POST_LIMIT). Pages in the requester's language."""
from __future__ import annotations

import math
import time

from flask import current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded

from app.extensions import db, limiter
from app.portal import bp
from app.services import ratings
from app.services.contacts import requester_language
from app.services.errors import Conflict, DomainError, LinkProblem
from app.web.auth.throttle import client_network
from app.web.errors import http_status

# Scores from the worst to the best, each with the words a screen reader and the eye read.
SCORE_LABELS = (
    (1, _l("Very poor")),
    (2, _l("Poor")),
    (3, _l("Fair")),
    (4, _l("Good")),
    (5, _l("Excellent")),
)


def _refused(response) -> bool:
    return response.status_code >= 400


_throttled = limiter.limit(lambda: current_app.config["SOPORTE_RATING_POST_LIMIT"],
                           key_func=client_network, methods=["POST"], deduct_when=_refused)


def _problem(error: DomainError, token: str):
    """The page for a link that cannot be used (expired, tampered) or a ticket that cannot be
    rated now: in the customer's language when the link is ours (contacts.requester_language),
    else the browser's."""
    status = 404 if getattr(error, "kind", None) == "tampered" else http_status(error)
    ticket = ratings.signed_ticket(token) if status != 404 else None
    language = requester_language(ticket) if ticket is not None else None
    if language is None:
        page = render_template("portal/link_problem.html", error=error)
    else:
        with force_locale(language):
            page = render_template("portal/link_problem.html", error=error)
    db.session.rollback()
    return page, status


def _page(link: ratings.RatingLink, token: str, status: int = 200, **context):
    """The form, or the thanks when the ticket is rated, in the requester's language."""
    with force_locale(link.language):
        if link.rating is not None:
            page = render_template("portal/rated.html", ticket=link.ticket, rating=link.rating,
                                   score_labels=dict(SCORE_LABELS), **context)
        else:
            page = render_template("portal/rate.html", ticket=link.ticket, token=token,
                                   score_labels=SCORE_LABELS, **context)
    db.session.rollback()  # a read: end the transaction (SQLite holds its lock until then)
    return page, status


@bp.get("/portal/valorar/<token>")
def rating_form(token: str):
    """The form while the ticket may be rated; the rating given, once it was."""
    try:
        link = ratings.open_link(token)
    except DomainError as error:  # LinkProblem, or a reopened ticket (InvalidTransition)
        db.session.rollback()
        return _problem(error, token)
    return _page(link, token)


@bp.post("/portal/valorar/<token>")
@_throttled
def rate(token: str):
    """Record the rating; a second one is refused (409) with the rating already given."""
    score, comment = request.form.get("score"), request.form.get("comment") or ""
    try:
        rating = ratings.rate(token, score, comment)
        link = ratings.RatingLink(rating.ticket, rating)
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        return _page(ratings.open_link(token), token, http_status(error), refusal=error)
    except LinkProblem as error:
        db.session.rollback()
        return _problem(error, token)
    except DomainError as error:
        db.session.rollback()
        if error.field not in ("score", "comment"):
            return _problem(error, token)
        link = ratings.open_link(token)
        return _page(link, token, http_status(error), error=error,
                     form={"score": score, "comment": comment[:ratings.COMMENT_MAX * 2]})
    return _page(link, token, just_rated=True)


@bp.errorhandler(RateLimitExceeded)
def _too_many(_error: RateLimitExceeded):
    """Throttled: a page saying when to try again (429, Retry-After)."""
    breached = limiter.current_limit
    wait = max(0.0, breached.reset_at - time.time()) if breached else 60.0
    error = LinkProblem("throttled", _("Too many attempts from your connection. Wait %(minutes)s "
                                       "minutes and try again.",
                                       minutes=max(1, math.ceil(wait / 60))))
    db.session.rollback()
    return render_template("portal/link_problem.html", error=error), 429, {"Retry-After": str(math.ceil(wait))}
