"""Contacts: who wrote (a known active contact by address, else a new contact of the client
owning the domain; an inactive contact's mail waits for staff), the contact staff place a sender
under in triage (its own client reactivates it; another client is refused), and an
administrator's saves (save_contact: a contact belongs to its client; addresses follow the rules
of staff accounts: normalised, valid, unique), and an ERP's, by the contact's external id
(upsert_contact; the key's rule: app.services.external_ids); and the language a ticket's customer
reads (requester_language)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.client import Client, ClientDomain, Contact
from app.models.enums import Language
from app.models.ticket import Ticket
from app.services import external_ids
from app.services.accounts import language_named, valid_email
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.uniqueness import taken_by_another

NAME_MAX = 200
UNKNOWN_SENDER = "unknown sender"
"""The inbound reason of mail from an address that is no contact's and under no client's domain."""
INACTIVE_CONTACT = "inactive contact"
"""The inbound reason of mail from an inactive contact's address: staff decide (triage)."""


def requester_language(ticket: Ticket) -> str:
    """The language a ticket's customer reads (its mails, and the pages its signed links open):
    its requester's, or the company's default (BABEL_DEFAULT_LOCALE) when it has none."""
    contact = ticket.contact
    return contact.language.value if contact is not None \
        else current_app.config["BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class ContactFields:
    """What an administrator types about a contact."""

    client: Client | None
    email: str
    name: str = ""
    language: Language | str = Language.ES
    active: bool = True
    external_id: str | None = None


def save_contact(actor: Actor, contact: Contact | None, fields: ContactFields) -> Contact:
    """Create (contact None) or change a contact. A contact that requested tickets of its client
    stays with that client. Raises NotPermitted, ValidationFailed (no client; a bad or taken
    address; a move to another client while it is a requester of the old one's tickets; an
    external id that cannot be one or is another contact's)."""
    require(actor, Permission.MANAGE_REFERENCE)
    if fields.client is None:
        raise ValidationFailed(_l("Pick the contact's client."), field="client")
    email = _free_address(fields.email, contact)
    language = language_named(fields.language)
    external_id = external_ids.free_external_id(Contact, fields.external_id, contact)
    if contact is None:
        contact = Contact(client=fields.client)
        db.session.add(contact)
    elif contact.client_id != fields.client.id:
        _check_move(contact, fields.client)
    contact.client, contact.email, contact.language = fields.client, email, language
    contact.name, contact.active = " ".join((fields.name or "").split())[:NAME_MAX], fields.active
    contact.external_id = external_id
    db.session.flush()
    return contact


def contact_fields(contact: Contact) -> ContactFields:
    """The contact's fields as they are now (what a partial change starts from)."""
    return ContactFields(contact.client, contact.email, contact.name, contact.language,
                         contact.active, contact.external_id)


def upsert_contact(actor: Actor, external_id: str, changes: Mapping[str, object]
                   ) -> tuple[Contact, bool]:
    """Create the contact with this external id from `changes` (ContactFields' names), or
    change the one that has it: only the fields in `changes`. Returns the contact and whether
    it was created. Raises NotPermitted, ValidationFailed (save_contact's, and external_id)."""
    require(actor, Permission.MANAGE_REFERENCE)
    return external_ids.upsert(Contact, external_id, changes, fields_of=contact_fields,
                               blank=ContactFields(None, ""),
                               save=lambda contact, fields: save_contact(actor, contact, fields))


def _free_address(value: str, contact: Contact | None) -> str:
    """A valid address no other contact has (ValidationFailed, field "email")."""
    email = valid_email(value)
    if taken_by_another(Contact.email, email, contact):
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
    contact = contact_with_address(address)
    return contact if contact is not None and contact.active else None


def contact_with_address(address: str) -> Contact | None:
    """The contact with this email address, active or not (an address is one contact's), its
    client read in the same query (every caller goes on to it). Addresses are stored lower-case
    (valid_email), so the lower-cased address is looked up as it is, by the unique index."""
    address = (address or "").strip().lower()
    if not address:
        return None
    return db.session.execute(_CONTACT_BY_ADDRESS, {"address": address}).scalar_one_or_none()


def client_by_domain(address: str) -> Client | None:
    """The active client whose email domain is the address's domain, if any."""
    domain = (address or "").rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return db.session.execute(_CLIENT_BY_DOMAIN, {"domain": domain}).scalar_one_or_none()


# Built once: the poller looks up every sender (not building the statement and its cache key
# again each time).
_CONTACT_BY_ADDRESS = select(Contact).where(Contact.email == bindparam("address")) \
    .options(joinedload(Contact.client))
_CLIENT_BY_DOMAIN = select(Client).join(ClientDomain).where(
    ClientDomain.domain == bindparam("domain"), Client.active.is_(True))


def identify_sender(address: str, name: str = "") -> Contact | None:
    """The sender's contact for the poller: the active contact of that address, or a new contact
    of the client owning its domain; None when staff must decide (unplaced_reason says why): the
    address is nobody's, or an inactive contact's (placing its mail is staff's call, see
    contact_for_triage)."""
    contact = contact_with_address(address)
    if contact is not None:
        return contact if contact.active else None
    client = client_by_domain(address)
    if client is None:
        return None
    return add_contact(client, address, name)


def unplaced_reason(address: str) -> str:
    """Why identify_sender placed no contact, as the inbound record's reason: INACTIVE_CONTACT
    or UNKNOWN_SENDER."""
    contact = contact_with_address(address)
    return INACTIVE_CONTACT if contact is not None and not contact.active else UNKNOWN_SENDER


def contact_for_triage(client: Client, address: str) -> Contact:
    """The sender's contact once staff picked its client (triage): a new contact of that
    client, or its existing one there (reactivated: staff vouched for it). Raises
    ValidationFailed (field client_id) when the address is another client's contact, naming
    that client and saying what to do."""
    contact = contact_with_address(address)
    if contact is None:
        return add_contact(client, address)
    if contact.client_id != client.id:
        raise ValidationFailed(_other_clients_contact(contact, client), field="client_id")
    contact.active = True
    db.session.flush()
    return contact


def _other_clients_contact(contact: Contact, chosen: Client):
    """The refusal of placing another client's contact: pick its client, or move it first."""
    if contact.active:
        return _l("%(email)s is a contact of %(client)s: pick %(client)s, or ask an "
                  "administrator to move the contact to %(chosen)s (Administration, Contacts) "
                  "first.", email=contact.email, client=contact.client.name, chosen=chosen.name)
    return _l("%(email)s is an inactive contact of %(client)s: pick %(client)s to reactivate "
              "it, or ask an administrator to move the contact to %(chosen)s (Administration, "
              "Contacts) first.", email=contact.email, client=contact.client.name,
              chosen=chosen.name)


def add_contact(client: Client, address: str, name: str = "") -> Contact:
    """Create a contact of the client for this address."""
    contact = Contact(client=client, email=address.strip().lower(), name=(name or "")[:200])
    db.session.add(contact)
    db.session.flush()
    return contact
