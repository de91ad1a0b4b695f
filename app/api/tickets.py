"""GET /api/v1/tickets (the list's filters, a cursor per page), POST /api/v1/tickets,
GET /api/v1/tickets/{number} (with its ETag, its service-level clocks and the actions the
caller may take now).

Adapters only: the list is app.services.ticket_list, a ticket app.services.ticket_view, its
actions app.services.ticket_actions, a new one app.services.tickets.create_ticket.

The list's cursor (app.api.cursors) holds the sort value and id of the last ticket of a page:
the next page is the tickets after it in the list's order (keyset paging), so a ticket that
leaves the list meanwhile (closed, moved to another status) makes none skipped, and a ticket
created or changed meanwhile joins where its order puts it (a walk by sort=number, oldest
first, sees every new ticket at its end). `limit` sets the page size (25 by default, up to 100).
"""
from __future__ import annotations

import datetime as dt

from flask import url_for
from flask.views import MethodView

from app.api.auth import acting_user
from app.api.concurrency import etag, ticket_named
from app.api.cursors import BAD_CURSOR, make_cursor, read_cursor
from app.api.errors import ErrorSchema
from app.api.resources import ResourceBlueprint
from app.api.schemas import TicketCreateSchema, TicketListQuery, TicketPageSchema, \
    TicketSchema
from app.extensions import db
from app.models.enums import TicketSource, TicketStatus, Urgency
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock
from app.services.errors import ValidationFailed
from app.services.sla.clocks import clocks_of
from app.services.sla.ticket_levels import ticket_service_levels
from app.services.ticket_actions import available_actions
from app.services import ticket_list
from app.services.ticket_list import TicketFilters, keyset_of, list_tickets, sort_column
from app.services.tickets import TicketFields, create_ticket

bp = ResourceBlueprint("api-tickets", __name__, url_prefix="/tickets",
               description="Tickets by number: the list, one ticket, a new one.")

ACTION_FLAGS = ("edit", "assign", "quote", "record_decision", "mark_free", "reevaluate",
                "payment", "log_time", "note", "reply", "close", "reopen")


@bp.route("")
class Tickets(MethodView):
    """The ticket list and new tickets."""

    @bp.arguments(TicketListQuery, location="query", as_kwargs=True)
    @bp.response(200, TicketPageSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    def get(self, cursor: str | None = None, **query):
        """The tickets the filters select, a page at a time (newest first by default)."""
        user = acting_user()
        filters = {name: value for name, value in query.items() if name != "limit"}
        after = _position(read_cursor("tickets", cursor, filters), query["sort"]) if cursor \
            else None
        result = list_tickets(user, _filters(user, query, after))
        items = result.items
        next_cursor = None
        if len(items) == query["limit"]:  # perhaps more: the next page starts after this one
            value, ticket_id = keyset_of(items[-1], query["sort"])
            next_cursor = make_cursor("tickets", [_as_json(value), ticket_id], filters)
        # the list computed the clocks that run; a resolved or closed ticket's show how they ended
        clocks = {**clocks_of([ticket for ticket in items if ticket.id not in result.clocks]),
                  **result.clocks}
        return {"items": [_Listed(ticket, clocks[ticket.id]) for ticket in items],
                "total": min(result.total, ticket_list.COUNT_CAP),
                "total_capped": ticket_list.more_than_cap(result.total),
                "next_cursor": next_cursor}

    @bp.arguments(TicketCreateSchema)
    @bp.response(201, TicketSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    def post(self, data: dict):
        """Create a ticket; it starts NEW, with the next number."""
        user = acting_user()
        ticket = create_ticket(user, TicketFields(**data), source=TicketSource.API)
        db.session.commit()
        return with_etag(ticket_resource(user, ticket), ticket,
                             Location=url_for(".TicketByNumber", number=ticket.number))


@bp.route("/<number>")
class TicketByNumber(MethodView):
    """One ticket by its number."""

    @bp.response(200, TicketSchema, headers={"ETag": {
        "description": "the ticket's version, for If-Match", "schema": {"type": "string"}}})
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def get(self, number: str):
        """The ticket, and which actions the caller may take on it now."""
        user = acting_user()
        ticket = ticket_named(user, number)
        return with_etag(ticket_resource(user, ticket), ticket)


def ticket_resource(user: User, ticket: Ticket) -> dict:
    """The ticket resource (TicketSchema): its fields, its service-level clocks
    (app.services.sla.ticket_levels, as the ticket page shows them) and the caller's actions,
    each flag from its action's check (app.services.ticket_actions), the checks the write
    endpoints (ticket_actions.py) run."""
    actions = available_actions(user, ticket)
    flags = {name: bool(actions[name]) for name in ACTION_FLAGS}
    flags["status_targets"] = actions["transitions"]
    body = {}
    for name, field in _RESOURCE_FIELDS.fields.items():
        if name not in ("actions", "service_levels"):
            attribute = field.attribute or name
            body[attribute] = getattr(ticket, attribute)
    body["service_levels"] = ticket_service_levels(user, ticket).clocks
    body["actions"] = flags
    return body


_RESOURCE_FIELDS = TicketSchema()


def with_etag(body: dict, ticket: Ticket, **headers):
    """The answer's body with the ticket's ETag (and any other headers)."""
    headers["ETag"] = etag(ticket)
    return body, headers


class _Listed:
    """A ticket of the list as TicketListItemSchema reads it: the ticket's fields, and its
    clocks as the list computed them (one moment for the page)."""

    def __init__(self, ticket: Ticket, service_levels):
        self._ticket = ticket
        self.service_levels = service_levels

    def __getattr__(self, name: str):
        return getattr(self._ticket, name)


def _filters(user: User, query: dict, after: tuple | None) -> TicketFilters:
    """The list's filters from the validated query ("mine": assigned to the token's user)."""
    return TicketFilters(
        client_id=query.get("client"), statuses=list(query.get("status") or []),
        type_id=query.get("type"), urgency=query.get("urgency"),
        assignee_id=user.id if query.get("mine") else query.get("assignee"),
        contract_id=query.get("contract"), date_from=query.get("date_from"),
        date_to=query.get("date_to"), zone=clock.user_zone(user),
        needs_assignee=bool(query.get("needs_assignee")),
        waiting_on_customer=bool(query.get("waiting_on_customer")),
        customer_waiting=bool(query.get("customer_waiting")),
        overdue=bool(query.get("overdue")), due_today=bool(query.get("due_today")),
        q=query.get("q") or "",
        archived=bool(query.get("archived")), sort=query["sort"], after=after,
        per_page=query["limit"])


def _as_json(value):
    """A sort value as the cursor keeps it: a time as ISO 8601, a status or urgency by name."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return getattr(value, "name", value)


def _position(position: list, sort: str) -> tuple:
    """The (sort value, id) a cursor of this list holds, as the service compares them. Raises
    ValidationFailed (cursor) for anything this API did not make."""
    column, _descending = sort_column(sort)
    try:
        raw, ticket_id = position
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or ticket_id < 1:
            raise ValueError(ticket_id)
        if column.key == "sla_due" and raw is None:  # after the tickets with no clock running
            value = None
        elif column.key in ("created_at", "updated_at", "sla_due"):
            value = dt.datetime.fromisoformat(raw)
            if value.tzinfo is None:
                raise ValueError(raw)
        elif column.key == "status":
            value = TicketStatus[raw]
        elif column.key == "urgency":
            value = Urgency[raw]
        elif isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        else:
            raise ValueError(raw)
    except (TypeError, ValueError, KeyError):
        raise ValidationFailed(BAD_CURSOR, field="cursor") from None
    return value, ticket_id
