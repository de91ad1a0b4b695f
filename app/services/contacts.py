"""Contacts: who wrote (a known contact by address, else a new contact of the client owning the
domain), and an administrator's saves (save_contact: a contact belongs to its client; addresses
follow the rules of staff accounts: normalised, valid, unique)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.client import Client, ClientDomain, Contact
from app.models.enums import Language
from app.models.ticket import Ticket
from app.services.accounts import language_named, valid_email
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require

NAME_MAX = 200


@dataclass(frozen=True)
class ContactFields:
    """What an administrator types about a contact."""

    client: Client | None
    email: str
    name: str = ""
    language: Language | str = Language.ES
    active: bool = True


def save_contact(actor: Actor, contact: Contact | None, fields: ContactFields) -> Contact:
    """Create (contact None) or change a contact. A contact that requested tickets of its client
    stays with that client. Raises NotPermitted, ValidationFailed (no client; a bad or taken
    address; a move to another client while it is a requester of the old one's tickets)."""
    require(actor, Permission.MANAGE_REFERENCE)
    if fields.client is None:
        raise ValidationFailed(_l("Pick the contact's client."), field="client")
    email = _free_address(fields.email, contact)
    language = language_named(fields.language)
    if contact is None:
        contact = Contact(client=fields.client)
        db.session.add(contact)
    elif contact.client_id != fields.client.id:
        _check_move(contact, fields.client)
    contact.client, contact.email, contact.language = fields.client, email, language
    contact.name, contact.active = " ".join((fields.name or "").split())[:NAME_MAX], fields.active
    db.session.flush()
    return contact


def _free_address(value: str, contact: Contact | None) -> str:
    """A valid address no other contact has (ValidationFailed, field "email")."""
    email = valid_email(value)
    query = select(Contact.id).where(func.lower(Contact.email) == email)
    if contact is not None and contact.id is not None:
        query = query.where(Contact.id != contact.id)
    if db.session.execute(query).first():
        raise ValidationFailed(_l("A contact with that email already exists: edit that one."),
                               field="email")
    return email


def _check_move(contact: Contact, client: Client) -> None:
    """Refuse moving a contact that requested tickets of its client to another client."""
    requested = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.contact_id == contact.id, Ticket.client_id == contact.client_id))
    if requested:
        raise ValidationFailed(_l(
            "%(email)s is the requester of %(num)d ticket(s) of %(client)s, so it stays with that "
            "client. Change the requester of those tickets first (on each ticket's page), or add "
            "a contact with another address for %(new)s.",
            email=contact.email, num=requested, client=contact.client.name, new=client.name),
            field="client")


def contact_by_address(address: str) -> Contact | None:
    """The active contact with this email address (case-insensitive: addresses are stored
    lower-case), if any."""
    address = (address or "").strip().lower()
    if not address:
        return None
    return db.session.execute(
        select(Contact).where(Contact.email == address, Contact.active.is_(True))
    ).scalar_one_or_none()


def client_by_domain(address: str) -> Client | None:
    """The active client whose email domain is the address's domain, if any."""
    domain = (address or "").rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return db.session.execute(
        select(Client).join(ClientDomain)
        .where(ClientDomain.domain == domain, Client.active.is_(True))
    ).scalar_one_or_none()


def identify_sender(address: str, name: str = "") -> Contact | None:
    """The sender's contact: known by address, or created for the client of its domain; else None."""
    contact = contact_by_address(address)
    if contact is not None:
        return contact
    client = client_by_domain(address)
    if client is None:
        return None
    return add_contact(client, address, name)


def add_contact(client: Client, address: str, name: str = "") -> Contact:
    """Create a contact of the client for this address."""
    contact = Contact(client=client, email=address.strip().lower(), name=(name or "")[:200])
    db.session.add(contact)
    db.session.flush()
    return contact
