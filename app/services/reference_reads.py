"""Reading reference data (clients with their domains, contacts, contracts, projects, ticket
types) and the staff directory: every staff role may read them (Permission.VIEW), as the
dashboard's forms and filters already show them all. Changing them is the administrators' (the
save_… and upsert_… services).

A list is in id order, a page at a time: `after_id`, the last id of the previous page (ids only
grow, so a row created meanwhile joins the end and no row is seen twice or skipped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.client import Client, Contact, Contract, Project, TicketType
from app.models.user import User
from app.services import external_ids
from app.services.errors import NotFound
from app.services.literal_match import contains_text
from app.services.permissions import Actor, Permission, require

PAGE_MAX = 200
SEARCH_MAX = 200


@dataclass(frozen=True)
class ReferenceQuery:
    """What a list selects: words in the name (or address, or external id), active or not,
    of one client (where rows have one), after an id, at most `limit` rows."""

    q: str = ""
    active: bool | None = None
    client_id: int | None = None
    after_id: int | None = None
    limit: int = 50


@dataclass
class ReferencePage:
    """One page of a list: its rows, how many rows the query selects in all, and whether
    there are more after these."""

    items: list[Any] = field(default_factory=list)
    total: int = 0
    more: bool = False


@dataclass(frozen=True)
class _Kind:
    """How one kind is listed, searched and named when missing."""

    model: Any
    searched: tuple
    missing: Any  # a function of the id: the NotFound message
    of_client: bool = False


_KINDS = {
    "client": _Kind(Client, (Client.name, Client.external_id),
                    lambda id_: _l("There is no client with the id %(id)s.", id=id_)),
    "contact": _Kind(Contact, (Contact.name, Contact.email, Contact.external_id),
                     lambda id_: _l("There is no contact with the id %(id)s.", id=id_), True),
    "contract": _Kind(Contract, (Contract.name, Contract.external_id),
                      lambda id_: _l("There is no contract with the id %(id)s.", id=id_), True),
    "project": _Kind(Project, (Project.name, Project.external_id),
                     lambda id_: _l("There is no project with the id %(id)s.", id=id_), True),
    "ticket_type": _Kind(TicketType, (TicketType.name,),
                         lambda id_: _l("There is no ticket type with the id %(id)s.", id=id_)),
    "staff": _Kind(User, (User.name, User.email),
                   lambda id_: _l("There is no staff user with the id %(id)s.", id=id_)),
}
_NO_EXTERNAL_ID = {
    Client: lambda key: _l("No client has the external id %(external_id)s.", external_id=key),
    Contact: lambda key: _l("No contact has the external id %(external_id)s.", external_id=key),
    Contract: lambda key: _l("No contract has the external id %(external_id)s.",
                             external_id=key),
    Project: lambda key: _l("No project has the external id %(external_id)s.", external_id=key),
}
KINDS = tuple(_KINDS)


def list_rows(actor: Actor, kind: str, query: ReferenceQuery) -> ReferencePage:
    """One page of the kind's rows (a key of KINDS) that the query selects, in id order.
    Raises NotPermitted without the view permission."""
    require(actor, Permission.VIEW)
    spec = _KINDS[kind]
    model = spec.model
    selected = select(model)
    if query.q.strip():
        searched = query.q.strip()[:SEARCH_MAX]
        selected = selected.where(or_(*(contains_text(column, searched)
                                        for column in spec.searched)))
    if query.active is not None:
        selected = selected.where(model.active.is_(query.active))
    if spec.of_client and query.client_id is not None:
        selected = selected.where(model.client_id == query.client_id)
    total = db.session.scalar(select(func.count()).select_from(selected.subquery()))
    if query.after_id is not None:
        selected = selected.where(model.id > query.after_id)
    limit = max(1, min(query.limit, PAGE_MAX))
    selected = selected.order_by(model.id).limit(limit + 1)
    if spec.of_client:
        selected = selected.options(selectinload(model.client))  # each row names its client
    elif model is Client:
        selected = selected.options(selectinload(Client.domains))
    rows = list(db.session.scalars(selected))
    return ReferencePage(rows[:limit], total or 0, len(rows) > limit)


def row_by_id(actor: Actor, kind: str, row_id: int):
    """The kind's row with this id. Raises NotPermitted, NotFound."""
    require(actor, Permission.VIEW)
    spec = _KINDS[kind]
    row = db.session.get(spec.model, row_id)
    if row is None:
        raise NotFound(spec.missing(row_id), field="id")
    return row


def row_by_external_id(actor: Actor, model: type[external_ids.R], external_id: str
                       ) -> external_ids.R:
    """The client, contact, contract or project (`model`) with this external id. Raises
    NotPermitted, ValidationFailed (not an external id), NotFound."""
    require(actor, Permission.VIEW)
    key = external_ids.required_external_id(external_id)
    row = external_ids.with_external_id(model, key)
    if row is None:
        raise NotFound(_NO_EXTERNAL_ID[model](key), field="external_id")
    return row

