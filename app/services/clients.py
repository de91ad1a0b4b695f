"""Clients created outside Flask-Admin: a new client named while triaging an unknown sender's mail.

Clients are reference data: only a role that manages reference data creates one.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.client import Client
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require

NAME_MAX = 200


def create_client(actor: Actor, name: str) -> Client:
    """Create an active client with this name (flushed, so it has an id).

    Raises NotPermitted, ValidationFailed (no name; a client of that name exists).
    """
    require(actor, Permission.MANAGE_REFERENCE)
    name = " ".join((name or "").split())[:NAME_MAX]
    if not name:
        raise ValidationFailed(_l("Write the new client's name."), field="new_client_name")
    if db.session.scalar(select(Client.id).where(func.lower(Client.name) == name.lower())):
        raise ValidationFailed(_l("A client named %(name)s already exists: pick it from the list.",
                                  name=name), field="new_client_name")
    client = Client(name=name)
    db.session.add(client)
    db.session.flush()
    return client
