"""The API's request and response schemas (marshmallow): they validate what comes in (a value
they refuse is a 422 with the field named, never a 500) and are the OpenAPI document, so the two
cannot drift. Enum values are the enum names (NEW, LOW …); ids are whole numbers from 1 to the
largest a row can have."""
from __future__ import annotations

import json
import re

from flask import abort
from marshmallow import Schema, ValidationError, fields, validate
from webargs.flaskparser import FlaskParser, is_json_request

from app.models.columns import INTEGER_MAX
from app.models.enums import ClockState, PaymentStatus, TicketSource, TicketStatus, Urgency
from app.services.control_characters import fits_multi_line, fits_one_line
from app.services.ticket_list import PER_PAGE, SEARCH_MAX, SORTS
from app.services.tickets import SUBJECT_MAX

SORT_CHOICES = sorted(SORTS) + sorted(f"-{key}" for key in SORTS)


def no_control_characters(value: str) -> None:
    """Refuse multi-line text with control characters other than tab and line breaks
    (app.services.control_characters)."""
    if not fits_multi_line(value):
        raise ValidationError("Control characters are not allowed.")


def no_control_characters_in_line(value: str) -> None:
    """Refuse one line of text with any control character, tab and line breaks included
    (app.services.control_characters)."""
    if not fits_one_line(value):
        raise ValidationError("Control characters are not allowed.")


class RecordId(fields.Integer):
    """A record id in a body: a JSON whole number, not true or false (which Python counts as
    the integers 1 and 0)."""

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class JsonParser(FlaskParser):
    """webargs' parser for the API's JSON bodies: a body of another type is a 415 (webargs
    would read it as no body at all, which a schema of optional fields accepts), and one nested
    too deep for Python's decoder (a RecursionError) is a 400 like any other body that is not
    JSON, not a fault."""

    def _raw_load_json(self, req):
        if not is_json_request(req) and (req.content_length or req.get_data(cache=True)):
            abort(415)
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            raise json.JSONDecodeError("nested too deep", "…", 0) from None


def record_id(**kwargs) -> fields.Integer:
    """A record id field: a whole number from 1 to INTEGER_MAX."""
    return RecordId(strict=True, validate=validate.Range(min=1, max=INTEGER_MAX), **kwargs)


class QueryId(fields.Integer):
    """A record id in the query string: ASCII digits only (int() would also take " 7", "1_0"
    and other scripts' digits), from 1 to INTEGER_MAX."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=INTEGER_MAX), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,10}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def query_id(**kwargs) -> fields.Integer:
    """A record id in the query string."""
    return QueryId(**kwargs)


class TicketListQuery(Schema):
    """The ticket list's filters, as the dashboard's list reads them, and the page's cursor."""

    client = query_id(metadata={"description": "client id"})
    status = fields.List(fields.Enum(TicketStatus), metadata={
        "description": "repeat for several; none: every status but CLOSED (see archived)"})
    type = query_id(metadata={"description": "ticket type id"})
    urgency = fields.Enum(Urgency)
    assignee = query_id(metadata={"description": "assigned user's id"})
    mine = fields.Boolean(metadata={"description": "assigned to the token's user"})
    contract = query_id(metadata={"description": "contract id"})
    date_from = fields.Date(data_key="from", metadata={
        "description": "created on or after this day (the token user's time zone)"})
    date_to = fields.Date(data_key="to", metadata={"description": "created on or before this day"})
    needs_assignee = fields.Boolean()
    waiting_on_customer = fields.Boolean()
    customer_waiting = fields.Boolean()
    overdue = fields.Boolean(metadata={
        "description": "a service-level clock is past its due time and still running"})
    due_today = fields.Boolean(metadata={
        "description": "not overdue, and a clock falls due before the end of today (the "
                       "token user's time zone)"})
    q = fields.String(validate=[validate.Length(max=SEARCH_MAX), no_control_characters_in_line],
                      metadata={"description": "a ticket number, a client's name or words"})
    archived = fields.Boolean(metadata={"description": "include CLOSED tickets"})
    sort = fields.String(load_default="-created", validate=validate.OneOf(SORT_CHOICES),
                         metadata={"description": "a field; a leading '-' for descending"})
    cursor = fields.String(validate=validate.Length(max=500), metadata={
        "description": "next_cursor of the previous page, sent with the same filters"})
    limit = fields.Integer(load_default=PER_PAGE, validate=validate.Range(min=1, max=100),
                           metadata={"description": "tickets per page (1 to 100)"})


class TicketActionsSchema(Schema):
    """What the token's user may do to the ticket now: the dashboard's buttons, each from its
    action's check."""

    edit = fields.Boolean(metadata={"description": "PATCH"})
    assign = fields.Boolean()
    quote = fields.Boolean()
    record_decision = fields.Boolean()
    mark_free = fields.Boolean(metadata={
        "description": "POST …/free may switch the ticket to the other basis (free: the "
                       "opposite of the ticket's `free`)"})
    reevaluate = fields.Boolean()
    payment = fields.Boolean()
    log_time = fields.Boolean()
    note = fields.Boolean()
    reply = fields.Boolean()
    close = fields.Boolean()
    reopen = fields.Boolean()
    status_targets = fields.List(fields.Enum(TicketStatus), metadata={
        "description": "the statuses a status change may move the ticket to"})


class TicketSummarySchema(Schema):
    """A ticket as the list shows it."""

    number = fields.String()
    status = fields.Enum(TicketStatus)
    urgency = fields.Enum(Urgency)
    subject = fields.String()
    client_id = fields.Integer()
    contact_id = fields.Integer(allow_none=True)
    type_id = fields.Integer(allow_none=True)
    contract_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    source = fields.Enum(TicketSource)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    version = fields.Integer(attribute="lock_version", metadata={
        "description": "the ticket's version: its ETag"})


class ServiceLevelClockSchema(Schema):
    """One service-level clock (app.services.sla.clocks.ticket_clocks, the computation the
    ticket page shows), in business time on the ticket's calendar."""

    state = fields.Enum(ClockState, metadata={
        "description": "RUNNING, PAUSED (the customer must answer), MET (within its target) "
                       "or BREACHED (past it, open or met late)"})
    due = fields.AwareDateTime(metadata={
        "description": "when the target is (or was) reached, UTC; for a clock paused or met "
                       "in time, where it would fall counting on from now or from when met"})
    business_minutes_left = fields.Integer(attribute="minutes_left", metadata={
        "description": "the target less the business minutes counted; negative when overdue; "
                       "frozen while paused or once met"})
    target_minutes = fields.Integer(metadata={"description": "the target, in business minutes"})
    met_at = fields.AwareDateTime(attribute="completed_at", allow_none=True, metadata={
        "description": "when the clock stopped (the public reply, the resolution), UTC; null "
                       "while it runs"})


class ServiceLevelsSchema(Schema):
    """A ticket's three service-level clocks now."""

    first_response = fields.Nested(ServiceLevelClockSchema)
    next_response = fields.Nested(ServiceLevelClockSchema, allow_none=True, metadata={
        "description": "the latest wait for an answer to the customer; null until the customer "
                       "writes after the first public reply"})
    resolution = fields.Nested(ServiceLevelClockSchema)


class TicketSchema(TicketSummarySchema):
    """One ticket, with what the caller may do to it now."""

    description = fields.String()
    closed_at = fields.AwareDateTime(allow_none=True)
    free = fields.Boolean(attribute="is_free", metadata={
        "description": "no quote needed: marked free, or covered by a contract"})
    payment_status = fields.Enum(PaymentStatus)
    total_minutes = fields.Integer(metadata={"description": "time logged, in minutes"})
    service_levels = fields.Nested(ServiceLevelsSchema, metadata={
        "description": "its response and resolution clocks (docs/service_levels.md)"})
    actions = fields.Nested(TicketActionsSchema)


class TicketListItemSchema(TicketSummarySchema):
    """A ticket of the list, with its clocks as the ticket shows them."""

    service_levels = fields.Nested(ServiceLevelsSchema, metadata={
        "description": "its response and resolution clocks (docs/service_levels.md)"})


class TicketPageSchema(Schema):
    """One page of the list."""

    items = fields.List(fields.Nested(TicketListItemSchema))
    total = fields.Integer(metadata={"description": "tickets the filters select, every page; "
                                     "counted up to 1,000 (see total_capped)"})
    total_capped = fields.Boolean(metadata={
        "description": "true when more tickets than `total` match (counting stops at 1,000; "
                       "the cursor still walks them all)"})
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "opaque; null on the last page"})


class TicketCreateSchema(Schema):
    """A new ticket (the rules, such as a contact of the client, are the service's: their
    refusals are 422 with the field and code validation_failed)."""

    client_id = record_id(required=True)
    contact_id = record_id(allow_none=True)
    subject = fields.String(load_default="", validate=validate.Length(max=SUBJECT_MAX))
    description = fields.String(required=True)
    urgency = fields.Enum(Urgency, load_default=Urgency.MEDIUM)
    type_id = record_id(allow_none=True)
    contract_id = record_id(allow_none=True)
    project_id = record_id(allow_none=True)
