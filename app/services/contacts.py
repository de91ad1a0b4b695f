"""Who wrote: a known contact by address, else a new contact of the client owning the domain."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, ClientDomain, Contact


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
