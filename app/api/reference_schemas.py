"""The reference data's schemas (clients, contacts, contracts, projects, ticket types, staff):
what a list takes in its query, what a row is in an answer, and what a create (POST), a change
(PATCH) or an upsert by external id (PUT) takes. They refuse a value of the wrong type, a null
where none is allowed, an unknown field, and text longer than its column (422, the field
named); the rules beyond that (a taken name, a bad address, an external id's form) are the
services', whose refusals are 422 too, with their message in the reader's language."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.action_schemas import DecimalString
from app.api.schemas import no_control_characters_in_line, query_id, record_id
from app.models.enums import BankPeriod, Language, Role
from app.services.external_ids import EXTERNAL_ID_MAX
from app.services.reference_reads import PAGE_MAX, SEARCH_MAX
from app.web.params import DATE_MAX, DATE_MIN

NAME_MAX = 200
NOTES_MAX = 10_000
DOMAINS_MAX = 100
EXTERNAL_ID_DOC = (f"the key the company's ERP knows the row by: 1 to {EXTERNAL_ID_MAX} "
                   "characters, trimmed, no control characters, unique for the kind with its "
                   "letter case (\"C-1\" and \"c-1\" are two keys); null: none")
RATE_DOC = ("per hour of work, a decimal string: more than 0, at most two decimals; null: none "
            "here (a contract's: its client's; a client's: the configured default)")
CURRENCY_DOC = ("ISO 4217 (EUR, USD, …); null: none here (a contract's: its client's; a "
                "client's: the configured currency)")
BANK_DOCS = {
    "included_hours": "an hour bank: support hours included per period, a decimal string (more "
                      "than 0, at most two decimals); null: no bank. Set with bank_period.",
    "bank_period": "what the bank is counted over: MONTH (each calendar month of the company's "
                   "time zone) or CONTRACT (starts_on to ends_on); null: no bank",
    "overage_rate": "per hour of time beyond the bank, a decimal string; null: the contract's "
                    "rate",
}


def _boolean(**kwargs) -> fields.Boolean:
    """A JSON true or false (not "yes", "on" or 1)."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


def _line(limit: int, **kwargs) -> fields.String:
    """One line of text of at most `limit` characters."""
    return fields.String(validate=[validate.Length(max=limit), no_control_characters_in_line],
                         **kwargs)


def _external_id(**kwargs) -> fields.String:
    """An external id (its form is the service's rule: app.services.external_ids)."""
    return fields.String(allow_none=True, metadata={"description": EXTERNAL_ID_DOC}, **kwargs)


def _day(**kwargs) -> fields.Date:
    return fields.Date(allow_none=True, validate=validate.Range(min=DATE_MIN, max=DATE_MAX),
                       **kwargs)


# Lists ------------------------------------------------------------------------------------

class ReferenceListQuery(Schema):
    """A list's filters and page: rows in id order, `limit` at a time."""

    q = fields.String(validate=[validate.Length(max=SEARCH_MAX), no_control_characters_in_line],
                      metadata={"description": "words in the name (for contacts and staff also "
                                               "the address; for ERP-kept kinds the external id)"})
    active = fields.Boolean(metadata={"description": "only active (true) or inactive (false)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=PAGE_MAX),
                           metadata={"description": f"rows per page, 1 to {PAGE_MAX}"})
    cursor = fields.String(validate=validate.Length(max=500), metadata={
        "description": "next_cursor of the previous page, sent with the same filters"})


class ClientRowsQuery(ReferenceListQuery):
    """The filters of a list whose rows belong to a client."""

    client_id = query_id(metadata={"description": "the client's id"})


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The schema of one page of a list of `item`."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item)),
        "total": fields.Integer(metadata={"description": "rows the filters select, every page"}),
        "next_cursor": fields.String(allow_none=True, metadata={
            "description": "opaque; null on the last page"}),
    }, name=name)


# Rows as answered ---------------------------------------------------------------------------

class DomainSchema(Schema):
    """An email domain of a client."""

    domain = fields.String()


class ClientSchema(Schema):
    """A client and its email domains (mail from an unknown address there becomes a contact
    of the client)."""

    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    name = fields.String()
    active = fields.Boolean()
    notes = fields.String()
    domains = fields.Pluck(DomainSchema, "domain", many=True)
    hourly_rate = DecimalString(allow_none=True, metadata={"description": RATE_DOC})
    currency = fields.String(allow_none=True, metadata={"description": CURRENCY_DOC})
    created_at = fields.AwareDateTime()


class _OfClient(Schema):
    """A row that belongs to a client, named by id and by its external id."""

    id = fields.Integer()
    external_id = fields.String(allow_none=True)
    client_id = fields.Integer()
    client_external_id = fields.Function(lambda row: row.client.external_id, allow_none=True,
                                         metadata={"type": "string"})


class ContactSchema(_OfClient):
    """A person of a client, known by their email address."""

    name = fields.String()
    email = fields.String()
    language = fields.Enum(Language)
    active = fields.Boolean()
    created_at = fields.AwareDateTime()


class ContractSchema(_OfClient):
    """A contract of a client; one that covers support makes its new tickets free."""

    name = fields.String()
    covers_support = fields.Boolean()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    hourly_rate = DecimalString(allow_none=True, metadata={"description": RATE_DOC})
    currency = fields.String(allow_none=True, metadata={"description": CURRENCY_DOC})
    included_hours = DecimalString(allow_none=True,
                                   metadata={"description": BANK_DOCS["included_hours"]})
    bank_period = fields.Enum(BankPeriod, allow_none=True,
                              metadata={"description": BANK_DOCS["bank_period"]})
    overage_rate = DecimalString(allow_none=True,
                                 metadata={"description": BANK_DOCS["overage_rate"]})


class ProjectSchema(_OfClient):
    """A project of a client."""

    name = fields.String()
    active = fields.Boolean()


class TicketTypeSchema(Schema):
    """A kind of ticket (Incidente, Consulta, …)."""

    id = fields.Integer()
    name = fields.String()
    active = fields.Boolean()


class StaffSchema(Schema):
    """A staff user as every role sees them (never their password or sessions)."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    role = fields.Enum(Role)
    language = fields.Enum(Language)
    active = fields.Boolean()


# What a write takes -------------------------------------------------------------------------
# Each kind has three: its values (the PUT by external id: the key is the path's), a change
# (PATCH: the values and the external id, all optional) and a create (POST: a change whose
# identifying values are required). On a PUT that creates, the values a create requires must
# be there; on one that changes, only the values sent change.

class ClientValuesSchema(Schema):
    """A client's values (PUT by external id)."""

    name = _line(NAME_MAX, metadata={"description": "unique whatever its letter case"})
    active = _boolean()
    notes = fields.String(validate=validate.Length(max=NOTES_MAX))
    domains = fields.List(_line(253), validate=validate.Length(max=DOMAINS_MAX), metadata={
        "description": "the whole set: domains not listed are removed from the client"})
    hourly_rate = DecimalString(allow_none=True, metadata={"description": RATE_DOC})
    currency = _line(3, allow_none=True, metadata={"description": CURRENCY_DOC})


class ClientChangeSchema(ClientValuesSchema):
    """What a PATCH of a client may change."""

    external_id = _external_id()


class ClientCreateSchema(ClientChangeSchema):
    """A new client."""

    name = _line(NAME_MAX, required=True)


class _OfClientValues(Schema):
    """The client a row belongs to, by id or by external id (both: the same client)."""

    client_id = record_id()
    client_external_id = fields.String(validate=validate.Length(min=1, max=EXTERNAL_ID_MAX))


class ContactValuesSchema(_OfClientValues):
    """A contact's values (PUT by external id; a new one needs its client and email)."""

    email = _line(254)
    name = _line(NAME_MAX)
    language = fields.Enum(Language)
    active = _boolean()


class ContactChangeSchema(ContactValuesSchema):
    """What a PATCH of a contact may change."""

    external_id = _external_id()


class ContactCreateSchema(ContactChangeSchema):
    """A new contact (its client by client_id or client_external_id)."""

    email = _line(254, required=True)


class ContractValuesSchema(_OfClientValues):
    """A contract's values (PUT by external id; a new one needs its client and name)."""

    name = _line(NAME_MAX)
    covers_support = _boolean()
    starts_on = _day()
    ends_on = _day()
    active = _boolean()
    hourly_rate = DecimalString(allow_none=True, metadata={"description": RATE_DOC})
    currency = _line(3, allow_none=True, metadata={"description": CURRENCY_DOC})
    included_hours = DecimalString(allow_none=True,
                                   metadata={"description": BANK_DOCS["included_hours"]})
    bank_period = fields.Enum(BankPeriod, allow_none=True,
                              metadata={"description": BANK_DOCS["bank_period"]})
    overage_rate = DecimalString(allow_none=True,
                                 metadata={"description": BANK_DOCS["overage_rate"]})


class ContractChangeSchema(ContractValuesSchema):
    """What a PATCH of a contract may change."""

    external_id = _external_id()


class ContractCreateSchema(ContractChangeSchema):
    """A new contract (its client by client_id or client_external_id)."""

    name = _line(NAME_MAX, required=True)


class ProjectValuesSchema(_OfClientValues):
    """A project's values (PUT by external id; a new one needs its client and name)."""

    name = _line(NAME_MAX)
    active = _boolean()


class ProjectChangeSchema(ProjectValuesSchema):
    """What a PATCH of a project may change."""

    external_id = _external_id()


class ProjectCreateSchema(ProjectChangeSchema):
    """A new project (its client by client_id or client_external_id)."""

    name = _line(NAME_MAX, required=True)


class TicketTypeChangeSchema(Schema):
    """What a PATCH of a ticket type may change."""

    name = _line(100, metadata={"description": "unique whatever its letter case"})
    active = _boolean()


class TicketTypeCreateSchema(TicketTypeChangeSchema):
    """A new ticket type."""

    name = _line(100, required=True)
