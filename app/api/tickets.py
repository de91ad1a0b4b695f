"""GET /api/v1/tickets (the list's filters, a cursor per page), POST /api/v1/tickets,
GET /api/v1/tickets/{number} (with its ETag and the actions the caller may take now).

Adapters only: the list is app.services.ticket_list, a ticket app.services.ticket_view, its
actions app.services.ticket_actions, a new one app.services.tickets.create_ticket.

The cursor is opaque to clients: a signed position in the list's order for the filters it was
given with (another filter, or a cursor altered or made up, is a 422 on the field "cursor").
Pages hold the list's page size; a ticket created or changed meanwhile may move between pages
of a descending order, so an integration that must see every ticket walks sort=number (oldest
first), where new tickets only join at the end.
"""
from __future__ import annotations

import hashlib
import json

from flask import current_app, url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from itsdangerous import BadSignature, URLSafeSerializer

from app.api.auth import acting_user, forget_scopes, require_token
from app.api.concurrency import etag, ticket_named
from app.api.errors import ErrorSchema
from app.api.schemas import JsonParser, TicketCreateSchema, TicketListQuery, TicketPageSchema, \
    TicketSchema
from app.extensions import db
from app.models.enums import TicketSource
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock
from app.services.errors import ValidationFailed
from app.services.ticket_actions import available_actions
from app.services.ticket_list import TicketFilters, list_tickets
from app.services.tickets import TicketFields, create_ticket

bp = Blueprint("api-tickets", __name__, url_prefix="/tickets",
               description="Tickets by number: the list, one ticket, a new one.")
bp.ARGUMENTS_PARSER = JsonParser()
bp.before_request(require_token)
bp.teardown_request(forget_scopes)

BAD_CURSOR = _l("This cursor was not given by this list for these filters. Send the filters "
                "of the page that gave it, or start again without a cursor.")
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
        fingerprint = _fingerprint(query)
        page = _page_of(cursor, fingerprint) if cursor else 1
        result = list_tickets(user, _filters(user, query, page))
        items = result.items if result.page == page else []  # a page past the end is empty
        return {"items": items, "total": result.total,
                "next_cursor": _cursor(page + 1, fingerprint) if page < result.pages else None}

    @bp.arguments(TicketCreateSchema)
    @bp.response(201, TicketSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    def post(self, data: dict):
        """Create a ticket; it starts NEW, with the next number."""
        user = acting_user()
        ticket = create_ticket(user, TicketFields(**data), source=TicketSource.WEB)
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
    """The ticket resource (TicketSchema): its fields and the caller's actions, each flag from
    its action's check (app.services.ticket_actions), the checks the write endpoints
    (ticket_actions.py) run."""
    actions = available_actions(user, ticket)
    flags = {name: bool(actions[name]) for name in ACTION_FLAGS}
    flags["status_targets"] = actions["transitions"]
    body = {}
    for name, field in _RESOURCE_FIELDS.fields.items():
        if name != "actions":
            attribute = field.attribute or name
            body[attribute] = getattr(ticket, attribute)
    body["actions"] = flags
    return body


_RESOURCE_FIELDS = TicketSchema()


def with_etag(body: dict, ticket: Ticket, **headers):
    """The answer's body with the ticket's ETag (and any other headers)."""
    headers["ETag"] = etag(ticket)
    return body, headers


def _filters(user: User, query: dict, page: int) -> TicketFilters:
    """The list's filters from the validated query ("mine": assigned to the token's user)."""
    return TicketFilters(
        client_id=query.get("client"), statuses=list(query.get("status") or []),
        type_id=query.get("type"), urgency=query.get("urgency"),
        assignee_id=user.id if query.get("mine") else query.get("assignee"),
        contract_id=query.get("contract"), date_from=query.get("date_from"),
        date_to=query.get("date_to"), zone=clock.user_zone(user),
        needs_assignee=bool(query.get("needs_assignee")),
        waiting_on_customer=bool(query.get("waiting_on_customer")),
        customer_waiting=bool(query.get("customer_waiting")), q=query.get("q") or "",
        archived=bool(query.get("archived")), sort=query["sort"], page=page)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api.tickets.cursor")


def _fingerprint(query: dict) -> str:
    """What a cursor must be sent with: the filters of the list that gave it."""
    canonical = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _cursor(page: int, fingerprint: str) -> str:
    return _serializer().dumps([page, fingerprint])


def _page_of(cursor: str, fingerprint: str) -> int:
    """The page a cursor points to. Raises ValidationFailed (cursor) for a cursor this list
    did not give, or gave for other filters."""
    try:
        page, given_for = _serializer().loads(cursor)
    except (BadSignature, TypeError, ValueError):
        raise ValidationFailed(BAD_CURSOR, field="cursor") from None
    if given_for != fingerprint or not isinstance(page, int) or page < 1:
        raise ValidationFailed(BAD_CURSOR, field="cursor")
    return page
