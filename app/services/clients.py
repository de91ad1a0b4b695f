"""Clients and their email domains: a new client named while triaging an unknown sender's mail
(create_client), and an administrator's saves (save_client).

Clients are reference data: only a role that manages reference data creates or changes one.
A client's name is unique whatever its case; a domain is stored lower-case and belongs to one
client (mail from an unknown address there becomes a contact of that client). An ERP keeps its
clients in step by their external id (upsert_client; the key's rule: app.services.external_ids).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, ClientDomain
from app.services import external_ids
from app.services.billing import rates
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.uniqueness import taken_by_another

NAME_MAX = 200
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


@dataclass(frozen=True)
class ClientFields:
    """What an administrator types about a client."""

    name: str
    active: bool = True
    notes: str = ""
    domains: tuple[str, ...] = field(default_factory=tuple)
    external_id: str | None = None
    hourly_rate: object = None  # a decimal string or Decimal; None: the configured default
    currency: str | None = None  # ISO 4217; None: the configured currency


def check_create_client(actor: Actor) -> None:
    """Whether the actor may create a client (a role that manages reference data, e.g. naming a
    new client while triaging). Raises NotPermitted."""
    require(actor, Permission.MANAGE_REFERENCE)


def create_client(actor: Actor, name: str) -> Client:
    """Create an active client with this name (flushed, so it has an id).

    Raises NotPermitted, ValidationFailed (no name; a client of that name exists).
    """
    check_create_client(actor)
    name = _tidy_name(name, "new_client_name", _l("Write the new client's name."))
    if _name_taken(name, None):
        raise ValidationFailed(_l("A client named %(name)s already exists: pick it from the list.",
                                  name=name), field="new_client_name")
    client = Client(name=name)
    db.session.add(client)
    db.session.flush()
    return client


def save_client(actor: Actor, client: Client | None, fields: ClientFields) -> Client:
    """Create (client None) or change a client and its set of domains. Raises NotPermitted,
    ValidationFailed (no name or a taken one; a domain that is not one or is another client's;
    an external id that cannot be one or is another client's; a rate or currency that is not
    one: app.services.billing.rates)."""
    require(actor, Permission.MANAGE_REFERENCE)
    name = _tidy_name(fields.name, "name", _l("Write the client's name."))
    if _name_taken(name, client):
        raise ValidationFailed(_l("A client named %(name)s already exists: edit that one.",
                                  name=name), field="name")
    domains = _free_domains(fields.domains, client)
    external_id = external_ids.free_external_id(Client, fields.external_id, client)
    hourly_rate, currency = rates.parse_rate(fields.hourly_rate), rates.parse_currency(
        fields.currency)
    if client is None:
        client = Client()
        db.session.add(client)
    client.name, client.active, client.notes = name, fields.active, fields.notes or ""
    client.external_id = external_id
    client.hourly_rate, client.currency = hourly_rate, currency
    kept = [d for d in client.domains if d.domain in domains]
    known = {d.domain for d in kept}
    client.domains = kept + [ClientDomain(domain=d) for d in domains if d not in known]
    db.session.flush()
    return client


def client_fields(client: Client) -> ClientFields:
    """The client's fields as they are now (what a partial change starts from)."""
    return ClientFields(client.name, client.active, client.notes or "",
                        tuple(d.domain for d in client.domains), client.external_id,
                        client.hourly_rate, client.currency)


def upsert_client(actor: Actor, external_id: str, changes: Mapping[str, object]
                  ) -> tuple[Client, bool]:
    """Create the client with this external id from `changes` (ClientFields' names), or change
    the one that has it: only the fields in `changes` (its external id stays this one). Returns
    the client and whether it was created. Raises NotPermitted, ValidationFailed (save_client's,
    and external_id)."""
    require(actor, Permission.MANAGE_REFERENCE)
    return external_ids.upsert(Client, external_id, changes, fields_of=client_fields,
                               blank=ClientFields(name=""),
                               save=lambda client, fields: save_client(actor, client, fields))


def client_named(client_id: int | None, external_id: str | None) -> Client | None:
    """The client a contact, contract or project names, by id (field client_id) or by
    external id (client_external_id); both must name the same client; None when neither is
    given. Raises ValidationFailed when no client has the id or the external id, or they name
    two clients."""
    by_id = db.session.get(Client, client_id) if client_id is not None else None
    if client_id is not None and by_id is None:
        raise ValidationFailed(_l("There is no client with the id %(id)s.", id=client_id),
                               field="client_id")
    if external_id is None:
        return by_id
    try:
        key = external_ids.tidy_external_id(external_id)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field="client_external_id") from None
    if key is None:
        raise ValidationFailed(_l("Write the client's external id in client_external_id, or "
                                  "leave that field out."), field="client_external_id")
    by_key = external_ids.with_external_id(Client, key)
    if by_key is None:
        raise ValidationFailed(_l("No client has the external id %(external_id)s.",
                                  external_id=key), field="client_external_id")
    if by_id is not None and by_id.id != by_key.id:
        raise ValidationFailed(_l("client_id and client_external_id name two different "
                                  "clients: send one of them."), field="client_external_id")
    return by_key


def normalised_domain(value: str) -> str:
    """A domain as stored: trimmed, lower-case, without a leading "@"; ValidationFailed when it is
    not a domain name."""
    domain = (value or "").strip().lower().lstrip("@")
    if not DOMAIN_RE.match(domain):
        raise ValidationFailed(_l("%(domain)s is not an email domain. Write it like "
                                  "empresa.example, without the name before the @.",
                                  domain=value.strip()), field="domains")
    return domain


def _tidy_name(value: str, field_name: str, missing) -> str:
    """The name with its spaces tidied, or ValidationFailed (`missing`) when there is none."""
    name = " ".join((value or "").split())[:NAME_MAX]
    if not name:
        raise ValidationFailed(missing, field=field_name)
    return name


def _name_taken(name: str, client: Client | None) -> bool:
    """Whether another client has this name, whatever its case."""
    return taken_by_another(Client.name, name, client)


def _free_domains(values, client: Client | None) -> list[str]:
    """The domains normalised, each once, none another client's (ValidationFailed)."""
    domains = list(dict.fromkeys(normalised_domain(v) for v in values if (v or "").strip()))
    if not domains:
        return []
    query = select(ClientDomain.domain, Client.name).join(Client).where(
        ClientDomain.domain.in_(domains))
    if client is not None and client.id is not None:
        query = query.where(ClientDomain.client_id != client.id)
    taken = db.session.execute(query).first()
    if taken:
        raise ValidationFailed(_l("The domain %(domain)s already belongs to %(client)s: mail "
                                  "from it becomes that client's. Remove it there first.",
                                  domain=taken.domain, client=taken.name), field="domains")
    return domains
