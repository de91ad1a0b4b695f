"""Reference data: clients (with their email domains), contacts, contracts, projects, ticket
types and staff.

Every staff role lists and reads them (app.services.reference_reads). Administrators create
them (POST) and change them (PATCH: only the fields sent), and for the four kinds the company's
ERP keeps in step (clients, contacts, contracts, projects) upsert them by the ERP's own key:
`PUT /{kind}/by-external-id/{external_id}` creates the row with that key (201, with Location)
or changes the one that has it (200): only the fields sent; the same request sent again changes
nothing. `GET` at the same address reads it. Contacts, contracts and projects name their client
by `client_id` or by `client_external_id`. Staff are only read here (no passwords: accounts are
managed in /admin and with `flask users`).

An external id may hold "/": send it as %2F (or as it is); the rest of the path after
`by-external-id/` is the key. Its rule (trimmed, 1 to 100 characters, no control characters,
unique for the kind with its letter case) is app.services.external_ids'; a taken one is refused
like a taken name, 422 on the field external_id.

Adapters only: each write is one service call (app.services.clients, contacts,
reference_data), whose permission check comes first, and one commit. Lists are in id order,
`limit` rows a page (50; at most 200), `next_cursor` continuing with the same filters (a row
created meanwhile joins the end: a walk sees every row once).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, TypeVar

from flask import url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BaseConverter

from app.api import reference_schemas as rs
from app.api.auth import acting_user
from app.api.cursors import BAD_CURSOR, make_cursor, read_cursor
from app.api.resources import ResourceBlueprint
from app.extensions import db
from app.models.client import Client, Contact, Contract, Project
from app.models.user import User
from app.services import clients, contacts, reference_data, reference_reads
from app.services.errors import Conflict, DomainError, ValidationFailed
from app.services.reference_reads import ReferenceQuery

T = TypeVar("T")

bp = ResourceBlueprint("api-reference", __name__, url_prefix="",
               description="Reference data: clients, contacts, contracts, projects, ticket "
                           "types, staff; upserts by an ERP's external_id.")

SAVED_MEANWHILE = _l("Someone else saved the same name, address or external id at the same "
                     "moment, and theirs was kept; nothing of this request was saved. Send it "
                     "again.")
# A service's field → the API's, where they differ.
API_FIELDS = {"client": "client_id"}
ERRORS = (401, 403, 404, 409, 422)


class ExternalIdConverter(BaseConverter):
    """`<external_id:name>`: the rest of the path, "/" included (an ERP's key may hold it; the
    server has decoded %2F to "/" before routing)."""

    regex = r"[\s\S]+"  # line breaks too: the service refuses them with a message
    part_isolating = False


@bp.record_once
def _converters(state) -> None:
    """`<external_id:…>` in this module's paths (ResourceBlueprint serves `<id:…>`)."""
    state.app.url_map.converters.setdefault("external_id", ExternalIdConverter)


@dataclass(frozen=True)
class Kind:
    """One kind of reference data as the API serves it: its reads, and the writes it takes
    (None: not over the API)."""

    kind: str  # app.services.reference_reads' name of it
    path: str
    name: str  # singular, for endpoints and the document
    row: type[Schema]
    query: type[Schema] = rs.ReferenceListQuery
    create: type[Schema] | None = None
    change: type[Schema] | None = None
    values: type[Schema] | None = None  # the PUT by external id's body; None: no upserts
    model: type | None = None
    new: Callable[[User, dict], Any] | None = None
    changed: Callable[[User, Any, dict], Any] | None = None
    upsert: Callable[[User, str, dict], tuple[Any, bool]] | None = None


def _save_type(user: User, row, values: dict):
    """A ticket type created (row None) or changed: the fields sent, the rest as they are."""
    name = values.get("name", row.name if row is not None else "")
    active = values.get("active", row.active if row is not None else True)
    return reference_data.save_ticket_type(user, row, name, active)


KINDS = (
    Kind("client", "/clients", "Client", rs.ClientSchema, create=rs.ClientCreateSchema,
         change=rs.ClientChangeSchema, values=rs.ClientValuesSchema, model=Client,
         new=lambda user, v: clients.save_client(user, None, replace(
             clients.ClientFields(""), **v)),
         changed=lambda user, row, v: clients.save_client(user, row, replace(
             clients.client_fields(row), **v)),
         upsert=clients.upsert_client),
    Kind("contact", "/contacts", "Contact", rs.ContactSchema, rs.ClientRowsQuery,
         rs.ContactCreateSchema, rs.ContactChangeSchema, rs.ContactValuesSchema, Contact,
         new=lambda user, v: contacts.save_contact(user, None, replace(
             contacts.ContactFields(None, ""), **v)),
         changed=lambda user, row, v: contacts.save_contact(user, row, replace(
             contacts.contact_fields(row), **v)),
         upsert=contacts.upsert_contact),
    Kind("contract", "/contracts", "Contract", rs.ContractSchema, rs.ClientRowsQuery,
         rs.ContractCreateSchema, rs.ContractChangeSchema, rs.ContractValuesSchema, Contract,
         new=lambda user, v: reference_data.save_contract(user, None, replace(
             reference_data.ContractFields(None, ""), **v)),
         changed=lambda user, row, v: reference_data.save_contract(user, row, replace(
             reference_data.contract_fields(row), **v)),
         upsert=reference_data.upsert_contract),
    Kind("project", "/projects", "Project", rs.ProjectSchema, rs.ClientRowsQuery,
         rs.ProjectCreateSchema, rs.ProjectChangeSchema, rs.ProjectValuesSchema, Project,
         new=lambda user, v: reference_data.save_project(user, None, replace(
             reference_data.ProjectFields(None, ""), **v)),
         changed=lambda user, row, v: reference_data.save_project(user, row, replace(
             reference_data.project_fields(row), **v)),
         upsert=reference_data.upsert_project),
    Kind("ticket_type", "/ticket-types", "TicketType", rs.TicketTypeSchema,
         create=rs.TicketTypeCreateSchema, change=rs.TicketTypeChangeSchema,
         new=lambda user, v: _save_type(user, None, v), changed=_save_type),
    Kind("staff", "/staff", "Staff", rs.StaffSchema),
)



def _register(kind: Kind) -> None:
    """The routes of one kind: its list (and creates), a row by id (and changes), and for the
    kinds an ERP keeps, a row by external id (read and upsert)."""
    page = rs.page_schema(kind.row, f"{kind.name}Page")
    by_id = f"{kind.name}ById"
    views: dict[str, Any] = {}

    @bp.arguments(kind.query, location="query", as_kwargs=True)
    @bp.response(200, page)
    @bp.errors(401, 403, 422)
    @bp.doc(summary=f"List: {kind.path[1:]}")
    def list_rows(_view, **query):
        """The rows the filters select, in id order, a page at a time."""
        return _listed(kind.kind, query)

    views["get"] = list_rows
    if kind.create is not None:
        @bp.arguments(kind.create)
        @bp.response(201, kind.row)
        @bp.errors(401, 403, 409, 422)
        @bp.doc(summary=f"Create: {kind.path[1:]} (administrators)")
        def create(_view, data: dict):
            """A new row, through its service's rules."""
            row = _written(lambda user: kind.new(user, _service_values(data)))
            return row, {"Location": url_for(f".{by_id}", row_id=row.id)}

        views["post"] = create
    bp.route(kind.path, endpoint=f"{kind.name}List")(type(f"{kind.name}List", (MethodView,),
                                                          views))

    @bp.response(200, kind.row)
    @bp.errors(401, 403, 404)
    @bp.doc(summary=f"Read one: {kind.path[1:]}")
    def read(_view, row_id: int):
        """The row with this id."""
        return reference_reads.row_by_id(acting_user(), kind.kind, row_id)

    views = {"get": read}
    if kind.change is not None:
        @bp.arguments(kind.change)
        @bp.response(200, kind.row)
        @bp.errors(*ERRORS)
        @bp.doc(summary=f"Change: {kind.path[1:]} (administrators; only the fields sent)")
        def change(_view, data: dict, row_id: int):
            """Change the fields sent; the others stay as they are."""
            return _written(lambda user: kind.changed(
                user, reference_reads.row_by_id(user, kind.kind, row_id),
                _service_values(data)))

        views["patch"] = change
    bp.route(f"{kind.path}/<id:row_id>", endpoint=by_id)(type(by_id, (MethodView,), views))
    if kind.upsert is not None:
        _register_upsert(kind)


def _register_upsert(kind: Kind) -> None:
    """GET and PUT /{kind}/by-external-id/{external_id}."""
    name = f"{kind.name}ByExternalId"

    @bp.response(200, kind.row)
    @bp.errors(401, 403, 404, 422)
    @bp.doc(summary=f"Read one by external id: {kind.path[1:]}")
    def read(_view, external_id: str):
        """The row with this external id (exactly, letter case included)."""
        return reference_reads.row_by_external_id(acting_user(), kind.model, external_id)

    @bp.arguments(kind.values)
    @bp.response(200, kind.row, description="changed")
    @bp.alt_response(201, schema=kind.row, description="created")
    @bp.errors(401, 403, 409, 422)
    @bp.doc(summary=f"Create or change by external id: {kind.path[1:]} (administrators)",
            description="Creates the row with this external id (201) or changes the one that "
                        "has it (200): only the fields sent. Sending it again changes nothing.")
    def upsert(_view, data: dict, external_id: str):
        """Create or change the row with this external id."""
        row, created = _written(lambda user: kind.upsert(user, external_id,
                                                         _service_values(data)))
        if created:
            return row, 201, {"Location": url_for(f".{kind.name}ById", row_id=row.id)}
        return row

    bp.route(f"{kind.path}/by-external-id/<external_id:external_id>", endpoint=name,
             merge_slashes=False)(type(name, (MethodView,), {"get": read, "put": upsert}))


def _service_values(data: dict) -> dict:
    """The request's values as its service's fields: client_id or client_external_id become
    the client (clients.client_named), domains a tuple."""
    values = dict(data)
    client_id = values.pop("client_id", None)
    client_key = values.pop("client_external_id", None)
    if client_id is not None or client_key is not None:
        values["client"] = clients.client_named(client_id, client_key)
    if "domains" in values:
        values["domains"] = tuple(values["domains"])
    return values


def _written(write: Callable[[User], T]) -> T:
    """One write through its service, then one commit. Whether the token's user may manage
    reference data is checked first (a 403 before any other refusal). A service's refusal
    names the API's field (client_id, not client); the same name, address or external id
    saved by someone else meanwhile is a 409 with nothing of this request saved."""
    user = acting_user()
    reference_data.check_manage_reference(user)
    try:
        result = write(user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        error.field = API_FIELDS.get(error.field, error.field)
        raise
    except IntegrityError:
        db.session.rollback()
        raise Conflict(SAVED_MEANWHILE) from None
    return result


def _listed(kind: str, query: dict) -> dict:
    """One page of a list, and the cursor of the next (None on the last)."""
    cursor = query.pop("cursor", None)
    after_id = _after_id(read_cursor(kind, cursor, query)) if cursor else None
    page = reference_reads.list_rows(acting_user(), kind, ReferenceQuery(
        q=query.get("q") or "", active=query.get("active"), client_id=query.get("client_id"),
        after_id=after_id, limit=query["limit"]))
    next_cursor = make_cursor(kind, [page.items[-1].id], query) if page.more else None
    return {"items": page.items, "total": page.total, "next_cursor": next_cursor}


def _after_id(position: list) -> int:
    """The last id of the page before the one a cursor points to (a position this API made
    holds one whole number from 1)."""
    if len(position) != 1 or not isinstance(position[0], int) or isinstance(position[0], bool) \
            or position[0] < 1:
        raise ValidationFailed(BAD_CURSOR, field="cursor")
    return position[0]


for _kind in KINDS:
    _register(_kind)
