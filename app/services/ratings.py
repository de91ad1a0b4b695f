"""The customer's rating of how it went: the closing email's signed link opens a page (GET
changes nothing, so a mail scanner that follows links rates nothing); only the POST from that
page records the rating, once per ticket.

The link names the ticket and its requester (itsdangerous, SECRET_KEY, its own salt) and works
SOPORTE_RATING_LINK_DAYS days. A ticket is rated while it is Resolved or Closed; a rating of
LOW_SCORE or lower tells every active supervisor, in the dashboard and by email, in their
language. The per-agent and per-client figures are app.services.rating_reports'.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.enums import TicketStatus
from app.models.rating import SCORE_MAX, SCORE_MIN, TicketRating
from app.models.ticket import Ticket
from app.services.contacts import requester_language
from app.services.control_characters import fits_multi_line
from app.services.errors import Conflict, InvalidTransition, LinkProblem, ValidationFailed
from app.services.notifications import active_supervisors, notify
from app.services.outbox import AUTO_GENERATED, enqueue_mail

log = logging.getLogger(__name__)

SALT = "soporte.ticket-rating"
PATH = "/portal/valorar/"  # the page's address; app.portal keeps its tokens out of the logs
COMMENT_MAX = 2000
RATEABLE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
LOW_RATING = "low_rating"  # the notification's kind

_TAMPERED = _l("This link is not valid. Open it again from our email, without changing it.")


@dataclass(frozen=True)
class RatingLink:
    """What a genuine, unexpired rating link opens: its ticket and the rating already given
    (None while it may still be rated)."""

    ticket: Ticket
    rating: TicketRating | None

    @property
    def language(self) -> str:
        """The requester's language, which the page speaks."""
        return requester_language(self.ticket)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(ticket: Ticket) -> str:
    """The signed token naming the ticket and its requester."""
    return _serializer().dumps({"t": ticket.id, "c": ticket.contact_id})


def link_for(ticket: Ticket) -> str | None:
    """The absolute URL of the ticket's rating page for the closing email; None when there is
    nobody to ask (no requester) or the ticket was rated already (closed again after a reopening:
    one rating per ticket)."""
    if ticket.contact_id is None or rating_of(ticket) is not None:
        return None
    db.session.flush()  # a ticket created in this transaction needs its id in the token
    base = current_app.config["SOPORTE_BASE_URL"].rstrip("/")
    return f"{base}{PATH}{make_token(ticket)}"


def rating_of(ticket: Ticket) -> TicketRating | None:
    """The ticket's rating, if it was given."""
    if ticket.id is None:
        return None
    return db.session.scalar(select(TicketRating).where(TicketRating.ticket_id == ticket.id))


def ticket_of_token(token: str, *, lock: bool = False) -> Ticket:
    """The ticket a genuine, unexpired link names, still with the requester it was sent to
    (read afresh, locked on request); LinkProblem ("expired" or "tampered") otherwise."""
    max_age = current_app.config["SOPORTE_RATING_LINK_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkProblem("expired", _l("This link has expired: ratings are taken for "
                                        "%(days)s days after we close a ticket.",
                                        days=current_app.config["SOPORTE_RATING_LINK_DAYS"])
                          ) from None
    except BadSignature:
        raise LinkProblem("tampered", _TAMPERED) from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise LinkProblem("tampered", _TAMPERED)
    ticket = db.session.get(Ticket, data["t"], populate_existing=True,
                            with_for_update=lock or None)
    if ticket is None or ticket.contact_id != data.get("c"):
        raise LinkProblem("tampered", _TAMPERED)
    return ticket


def signed_ticket(token: str) -> Ticket | None:
    """The ticket a link genuinely signed by us names, however old (only to choose the language
    of the page saying it cannot be used); None for a link we did not sign."""
    genuine, data = _serializer().loads_unsafe(token)  # checks the signature, not the age
    if not genuine or not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    return db.session.get(Ticket, data["t"])


def check_rateable(ticket: Ticket) -> None:
    """Raise InvalidTransition unless the ticket is Resolved or Closed (reopened after the
    email: it is rated when it is closed again)."""
    if ticket.status not in RATEABLE:
        raise InvalidTransition(_l("Ticket %(number)s was reopened and we are working on it "
                                   "again: you can rate our help once it is closed.",
                                   number=ticket.number))


def open_link(token: str) -> RatingLink:
    """What the link's page shows: its ticket and the rating already given. Changes nothing.
    Raises LinkProblem (expired, tampered), InvalidTransition (not rateable and not rated)."""
    ticket = ticket_of_token(token)
    rating = rating_of(ticket)
    if rating is None:
        check_rateable(ticket)
    return RatingLink(ticket, rating)


def parse_score(value) -> int:
    """The score as a whole number from SCORE_MIN to SCORE_MAX; ValidationFailed otherwise."""
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = None
    if score is None or not SCORE_MIN <= score <= SCORE_MAX:
        raise ValidationFailed(_l("Choose a score from %(low)s to %(high)s.", low=SCORE_MIN,
                                  high=SCORE_MAX), field="score")
    return score


def clean_comment(text: str | None) -> str:
    """The comment without surrounding blanks; ValidationFailed when longer than COMMENT_MAX
    characters or holding control characters (tab and line breaks are text)."""
    text = (text or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(_l("The comment is too long: keep it under %(max)s characters.",
                                  max=COMMENT_MAX), field="comment")
    if not fits_multi_line(text):
        raise ValidationFailed(_l("The comment contains control characters; remove them and "
                                  "send it again."), field="comment")
    return text


def rate(token: str, score, comment: str | None) -> TicketRating:
    """Record the requester's rating of the ticket the link names: once per ticket (a second,
    even at the same moment, raises Conflict), crediting the ticket's assignee; a low rating
    tells the supervisors. Raises LinkProblem (expired, tampered), InvalidTransition (the ticket
    is not Resolved or Closed), ValidationFailed (score, comment), Conflict (rated already)."""
    ticket = ticket_of_token(token, lock=True)
    if rating_of(ticket) is not None:
        raise Conflict(_already_rated(ticket), field="score")
    check_rateable(ticket)
    rating = TicketRating(ticket_id=ticket.id, contact_id=ticket.contact_id,
                          agent_id=ticket.assignee_id, score=parse_score(score),
                          comment=clean_comment(comment))
    try:
        with db.session.begin_nested():  # the unique ticket_id decides between two at once
            db.session.add(rating)
    except IntegrityError:
        raise Conflict(_already_rated(ticket), field="score") from None
    log.info("rating ticket=%s score=%s", ticket.number, rating.score)
    if rating.is_low:
        _tell_supervisors(rating)
    return rating


def _already_rated(ticket: Ticket):
    return _l("Ticket %(number)s has been rated already; thank you. A ticket is rated once.",
              number=ticket.number)


def _tell_supervisors(rating: TicketRating) -> None:
    """Every active supervisor hears of a low rating: in the dashboard and by email, in their
    language."""
    ticket = rating.ticket
    for user in active_supervisors():
        with force_locale(user.language.value):
            message = _("Ticket %(number)s of %(client)s was rated %(score)s of 5: %(subject)s",
                        number=ticket.number, client=ticket.client.name, score=rating.score,
                        subject=ticket.subject)
        notify(user, LOW_RATING, message, ticket)
        enqueue_mail("rating_low", to_address=user.email, to_name=user.name,
                     language=user.language.value, ticket=ticket, auto_submitted=AUTO_GENERATED,
                     staff=user, rating=rating)
