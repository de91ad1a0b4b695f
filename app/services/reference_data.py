"""Contracts, projects and ticket types as an administrator saves them.

A contract or a project belongs to one client: it cannot move to another while tickets refer to
it (they would name another client's contract). A ticket type's name is unique whatever its case.
Only a role that manages reference data saves these. An ERP keeps contracts and projects in step
by their external id (upsert_contract, upsert_project; the key's rule: app.services.external_ids).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.client import Client, Contract, Project, TicketType
from app.models.ticket import Ticket
from app.services import external_ids
from app.services.billing import hour_banks, rates
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.uniqueness import taken_by_another

NAME_MAX = 200
TYPE_NAME_MAX = 100


@dataclass(frozen=True)
class ContractFields:
    """What an administrator types about a contract."""

    client: Client | None
    name: str
    covers_support: bool = False
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    active: bool = True
    external_id: str | None = None
    hourly_rate: object = None  # a decimal string or Decimal; None: the client's rate
    currency: str | None = None  # ISO 4217; None: the client's currency
    included_hours: object = None  # an hour bank: hours per period (None: no bank)
    bank_period: object = None  # BankPeriod or its value: MONTH or CONTRACT
    overage_rate: object = None  # time beyond the bank; None: the contract's rate


@dataclass(frozen=True)
class ProjectFields:
    """What an administrator types about a project."""

    client: Client | None
    name: str
    active: bool = True
    external_id: str | None = None


def check_manage_reference(actor: Actor) -> None:
    """Whether the actor may create or change reference data (clients, contacts, contracts,
    projects, ticket types). Raises NotPermitted."""
    require(actor, Permission.MANAGE_REFERENCE)


def save_contract(actor: Actor, contract: Contract | None, fields: ContractFields) -> Contract:
    """Create (contract None) or change a contract. Raises NotPermitted, ValidationFailed (no
    client or name; ends before it starts; another client while tickets refer to it; an
    external id that cannot be one or is another contract's; a rate or currency that is not
    one: app.services.billing.rates; an hour bank without its hours or its period:
    app.services.billing.hour_banks)."""
    require(actor, Permission.MANAGE_REFERENCE)
    client, name = _owner(fields.client), _name(fields.name, NAME_MAX)
    if fields.starts_on and fields.ends_on and fields.ends_on < fields.starts_on:
        raise ValidationFailed(_l("The contract ends before it starts: check both dates."),
                               field="ends_on")
    external_id = external_ids.free_external_id(Contract, fields.external_id, contract)
    hourly_rate, currency = rates.parse_rate(fields.hourly_rate), rates.parse_currency(
        fields.currency)
    included_hours = hour_banks.parse_included_hours(fields.included_hours)
    bank_period = hour_banks.parse_bank_period(fields.bank_period)
    hour_banks.check_bank(included_hours, bank_period)
    overage_rate = rates.parse_rate(fields.overage_rate, field="overage_rate")
    if contract is None:
        contract = Contract(client=client)
        db.session.add(contract)
    elif contract.client_id != client.id:
        _check_move(contract, Ticket.contract_id == contract.id,
                    Ticket.billing_contract_id == contract.id)
    contract.client, contract.name, contract.covers_support = client, name, fields.covers_support
    contract.starts_on, contract.ends_on = fields.starts_on, fields.ends_on
    contract.active, contract.external_id = fields.active, external_id
    contract.hourly_rate, contract.currency = hourly_rate, currency
    contract.included_hours, contract.bank_period = included_hours, bank_period
    contract.overage_rate = overage_rate
    db.session.flush()
    return contract


def save_project(actor: Actor, project: Project | None, fields: ProjectFields) -> Project:
    """Create (project None) or change a project. Raises NotPermitted, ValidationFailed (no client
    or name; another client while tickets refer to it; an external id that cannot be one or is
    another project's)."""
    require(actor, Permission.MANAGE_REFERENCE)
    client, name = _owner(fields.client), _name(fields.name, NAME_MAX)
    external_id = external_ids.free_external_id(Project, fields.external_id, project)
    if project is None:
        project = Project(client=client)
        db.session.add(project)
    elif project.client_id != client.id:
        _check_move(project, Ticket.project_id == project.id)
    project.client, project.name, project.active = client, name, fields.active
    project.external_id = external_id
    db.session.flush()
    return project


def contract_fields(contract: Contract) -> ContractFields:
    """The contract's fields as they are now (what a partial change starts from)."""
    return ContractFields(contract.client, contract.name, contract.covers_support,
                          contract.starts_on, contract.ends_on, contract.active,
                          contract.external_id, contract.hourly_rate, contract.currency,
                          contract.included_hours, contract.bank_period, contract.overage_rate)


def project_fields(project: Project) -> ProjectFields:
    """The project's fields as they are now (what a partial change starts from)."""
    return ProjectFields(project.client, project.name, project.active, project.external_id)


def upsert_contract(actor: Actor, external_id: str, changes: Mapping[str, object]
                    ) -> tuple[Contract, bool]:
    """Create the contract with this external id from `changes` (ContractFields' names), or
    change the one that has it: only the fields in `changes`. Returns the contract and whether
    it was created. Raises NotPermitted, ValidationFailed (save_contract's, and external_id)."""
    require(actor, Permission.MANAGE_REFERENCE)
    return external_ids.upsert(Contract, external_id, changes, fields_of=contract_fields,
                               blank=ContractFields(None, ""),
                               save=lambda contract, fields: save_contract(actor, contract, fields))


def upsert_project(actor: Actor, external_id: str, changes: Mapping[str, object]
                   ) -> tuple[Project, bool]:
    """Create the project with this external id from `changes` (ProjectFields' names), or
    change the one that has it: only the fields in `changes`. Returns the project and whether
    it was created. Raises NotPermitted, ValidationFailed (save_project's, and external_id)."""
    require(actor, Permission.MANAGE_REFERENCE)
    return external_ids.upsert(Project, external_id, changes, fields_of=project_fields,
                               blank=ProjectFields(None, ""),
                               save=lambda project, fields: save_project(actor, project, fields))


def save_ticket_type(actor: Actor, ticket_type: TicketType | None, name: str,
                     active: bool = True) -> TicketType:
    """Create (ticket_type None) or rename a ticket type. Raises NotPermitted, ValidationFailed
    (no name; another type has it)."""
    require(actor, Permission.MANAGE_REFERENCE)
    name = _name(name, TYPE_NAME_MAX)
    if taken_by_another(TicketType.name, name, ticket_type):
        raise ValidationFailed(_l("A ticket type named %(name)s already exists: edit that one.",
                                  name=name), field="name")
    if ticket_type is None:
        ticket_type = TicketType()
        db.session.add(ticket_type)
    ticket_type.name, ticket_type.active = name, active
    db.session.flush()
    return ticket_type


def _owner(client: Client | None) -> Client:
    """The client chosen, or ValidationFailed."""
    if client is None:
        raise ValidationFailed(_l("Pick the client it belongs to."), field="client")
    return client


def _name(value: str, limit: int) -> str:
    """The name with its spaces tidied, or ValidationFailed when there is none."""
    name = " ".join((value or "").split())[:limit]
    if not name:
        raise ValidationFailed(_l("Write a name."), field="name")
    return name


def _check_move(row: Contract | Project, *refers) -> None:
    """Refuse giving a row another client while tickets refer to it."""
    count = db.session.scalar(select(func.count(Ticket.id)).where(or_(*refers)))
    if count:
        raise ValidationFailed(_l(
            "%(name)s is used by %(num)d ticket(s) of %(client)s, so it stays with that client. "
            "Create a new one for the other client instead.",
            name=row.name, num=count, client=row.client.name), field="client")
