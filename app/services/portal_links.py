"""Signed ticket links for customers: one per contact and ticket, expiring, revocable by staff.

A token names the contact, the ticket and the contact's link generation
(Contact.portal_link_generation) and carries the moment it was signed (the one clock,
app.services.clock, so tests fix it). It opens only its own ticket, and only while that contact
is still the ticket's requester: never another contact's or another client's ticket. Staff
sending a new link bumps the generation, so every earlier link of the contact stops working. A
customer whose link expired asks for new ones by address; they go only to that address.

The tokens are secrets in a URL: app/log_redaction.py keeps /portal/t/<token> out of the logs.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models.client import Contact
from app.models.enums import TicketStatus
from app.models.ticket import Ticket
from app.services import clock
from app.services.contacts import requester_language
from app.services.errors import LinkProblem, ValidationFailed
from app.services.history import record_change
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.permissions import Actor, Permission, require

SALT = "soporte.portal-ticket"
PATH = "/portal/t/"
MAX_TICKETS_PER_REQUEST = 20  # links in one "send me my links" mail, open tickets first


class _ClockSigner(TimestampSigner):
    """Signs with the moment of the one clock (SOPORTE_FIXED_NOW in tests), not the server's."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT,
                                  signer=_ClockSigner)


def make_token(contact: Contact, ticket: Ticket) -> str:
    """The signed token of one contact's link to one ticket (the ticket is flushed first when it
    has no id yet: a new ticket's acknowledgement)."""
    if ticket.id is None or contact.id is None:
        db.session.flush()
    return _serializer().dumps({"c": contact.id, "t": ticket.id,
                                "g": contact.portal_link_generation or 0})


def link_for(contact: Contact, ticket: Ticket) -> str:
    """The absolute URL of the ticket's page for this contact (the "view the ticket" link)."""
    base = current_app.config["SOPORTE_BASE_URL"].rstrip("/")
    return f"{base}{PATH}{make_token(contact, ticket)}"


@dataclass(frozen=True)
class PortalAccess:
    """What a genuine, current link opens: its contact and its ticket."""

    contact: Contact
    ticket: Ticket


_TAMPERED = _l("This link is not valid. Open it again from our email, without changing it.")
_EXPIRED = _l("This link has expired. Ask for a new one below: we will send it to your email "
              "address.")
_REVOKED = _l("This link no longer works: a newer one was sent to you. Open the link of our "
              "latest email, or ask for a new one below.")


def signed_contact(token: str) -> Contact | None:
    """The contact a token genuinely signed by us names, however old or revoked (only to pick the
    language of the page saying it cannot be used); None for a token we did not sign."""
    genuine, data = _serializer().loads_unsafe(token)
    if not genuine or not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return db.session.get(Contact, data["c"])


def open_link(token: str) -> PortalAccess:
    """The contact and ticket of a genuine, unexpired, unrevoked link whose contact is active and
    still the ticket's requester. Raises LinkProblem: "tampered" (not ours, or naming what does
    not exist), "expired" (older than SOPORTE_PORTAL_LINK_DAYS), "revoked" (a newer link was
    sent, the contact was deactivated, or the ticket has another requester now)."""
    max_age = current_app.config["SOPORTE_PORTAL_LINK_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkProblem("expired", _EXPIRED) from None
    except BadSignature:
        raise LinkProblem("tampered", _TAMPERED) from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in "ctg"):
        raise LinkProblem("tampered", _TAMPERED)
    contact = db.session.get(Contact, data["c"])
    ticket = db.session.get(Ticket, data["t"])
    if contact is None or ticket is None:
        raise LinkProblem("tampered", _TAMPERED)
    if (data["g"] != (contact.portal_link_generation or 0) or not contact.active
            or ticket.contact_id != contact.id or ticket.client_id != contact.client_id):
        raise LinkProblem("revoked", _REVOKED)
    return PortalAccess(contact, ticket)


def check_send_new_link(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted unless the actor may write to customers, ValidationFailed when the
    ticket has no active requester to send a link to."""
    require(actor, Permission.REPLY)
    contact = ticket.contact
    if contact is None:
        raise ValidationFailed(_l("This ticket has no requester to send a link to. Set the "
                                  "requester contact first."), field="contact")
    if not contact.active:
        raise ValidationFailed(_l("The requester %(contact)s is inactive: reactivate the contact "
                                  "before sending a link.", contact=str(contact)), field="contact")


def send_new_link(actor: Actor, ticket: Ticket) -> Contact:
    """Revoke every earlier link of the ticket's requester (all their tickets) and mail them a
    fresh link to this ticket; the history says who sent it to whom. Returns the contact.

    Raises NotPermitted, ValidationFailed (see check_send_new_link).
    """
    check_send_new_link(actor, ticket)
    contact = ticket.contact
    contact.portal_link_generation = (contact.portal_link_generation or 0) + 1
    record_change(ticket, actor, "portal_link", None, contact.email)
    enqueue_mail("portal_link", to_address=contact.email, to_name=contact.name,
                 language=requester_language(ticket), ticket=ticket,
                 auto_submitted=AUTO_GENERATED, portal_url=link_for(contact, ticket))
    return contact


def request_links(address: str) -> bool:
    """A customer asking for their links by address: when an active contact has that address,
    mail it (and only it) a link to each of its tickets, open ones first; else nothing. Returns
    whether a mail was written: for tests and logs only, never to tell the visitor (the page
    says the same either way). Raises ValidationFailed when the address is not one."""
    address = (address or "").strip().lower()
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise ValidationFailed(_l("Enter the email address our mail was sent to, for example "
                                  "ana@example.com."), field="email")
    # addresses are stored lower-case (Contact._normalise): the unique index finds it
    contact = db.session.scalar(select(Contact).where(Contact.email == address))
    if contact is None or not contact.active:
        return False
    tickets = list(db.session.scalars(
        select(Ticket).where(Ticket.contact_id == contact.id,
                             Ticket.client_id == contact.client_id)
        .order_by(Ticket.status == TicketStatus.CLOSED, Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_TICKETS_PER_REQUEST)))
    links = [(ticket, link_for(contact, ticket)) for ticket in tickets]
    enqueue_mail("portal_links", to_address=contact.email, to_name=contact.name,
                 language=contact.language.value, auto_submitted=AUTO_GENERATED, links=links)
    return True
