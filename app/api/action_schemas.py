"""The schemas of a ticket's changes (ticket_actions.py): each request body, validated before
any service runs (a value of the wrong type, out of bounds, with control characters or an
unknown field is a 422 naming the field), and the things a change creates. They check shape
only: what a value may be for this ticket (an active assignee, a known currency, at most
24 hours, a note that is not blank) is the services' rule, refused with its own message.

Decimals travel as strings ("150.00"), never as JSON numbers (binary floating point); whole
numbers are JSON integers; enum values are their names (HIGH, IN_PROGRESS, PAID).
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.schemas import TicketSchema, no_control_characters, record_id
from app.models.columns import INTEGER_MAX
from app.models.enums import NoteKind, PaymentStatus, QuoteStatus, TicketStatus, Urgency
from app.services.tickets import SUBJECT_MAX
from app.web.params import DATE_MAX, DATE_MIN

# Text a person writes (a note, a reply, a description): far more than anyone types, far less
# than a request may carry.
TEXT_MAX = 100_000
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,6})?")
DECISIONS = (QuoteStatus.APPROVED.name, QuoteStatus.REJECTED.name)


def text(required: bool = False, max_length: int = TEXT_MAX, **kwargs) -> fields.String:
    """A text field: a JSON string (not null) without control characters (tab and line breaks
    are text), at most `max_length` characters; optional ones default to ""."""
    if not required:
        kwargs.setdefault("load_default", "")
    return edited_text(max_length, required=required, **kwargs)


def edited_text(max_length: int = TEXT_MAX, **kwargs) -> fields.String:
    """A text field that is absent unless sent (a PATCH's)."""
    return fields.String(validate=[validate.Length(max=max_length), no_control_characters],
                         **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, nothing else (not 1, "yes" or "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DecimalString(fields.Field):
    """A decimal number written as a JSON string: digits, optionally a point and up to six more
    ("150", "150.00"); no sign, exponent, NaN or Infinity, no JSON number. Loaded as a Decimal
    (the service decides how many decimals and how large)."""

    default_error_messages = {"invalid": "Send a positive decimal number as a string, for "
                                         "example \"150.00\"."}

    def __init__(self, **kwargs):
        metadata = {"type": "string", "format": "decimal", "pattern": "^" + _DECIMAL.pattern + "$",
                    "example": "150.00", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise self.make_error("invalid")
        return Decimal(value)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


class TicketPatchSchema(Schema):
    """The fields a PATCH changes; those not sent keep their value. A null type, requester,
    contract or project clears it; client_id may only repeat the ticket's client."""

    subject = edited_text(SUBJECT_MAX, metadata={"description": "empty: the description's "
                                                                "start"})
    description = edited_text()
    urgency = fields.Enum(Urgency)
    type_id = record_id(allow_none=True)
    contact_id = record_id(allow_none=True, metadata={"description": "the requester"})
    contract_id = record_id(allow_none=True)
    project_id = record_id(allow_none=True)
    client_id = record_id(metadata={"description": "a ticket stays with its client: only its "
                                                   "own client's id is accepted"})

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError(_("Send at least one field to change."))


class AssignSchema(Schema):
    """Who works the ticket."""

    assignee_id = record_id(required=True, allow_none=True, metadata={
        "description": "an active user who may work tickets; null: nobody"})


class QuoteBodySchema(Schema):
    """A new quote version, mailed to the requester for approval."""

    price = DecimalString(required=True, metadata={"description": "positive, at most two "
                                                                  "decimals"})
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"), metadata={
        "description": "ISO 4217 code", "example": "EUR"})
    estimated_hours = DecimalString(required=True, metadata={"example": "2.5"})
    message = text(metadata={"description": "for the customer, with the quote"})


class ApprovalSchema(Schema):
    """The customer's decision on the quote awaiting one, received another way (phone, …)."""

    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = text(required=True, metadata={"description": "how and when the customer decided"})


class TimeEntryBodySchema(Schema):
    """Work to log: `minutes` alone (90), or `hours` and `minutes` (1 and 30); on `work_date`
    (today if absent); `billable` only when it differs from the ticket's default (not on a free
    ticket, else billable) by a supervisor."""

    hours = fields.Integer(strict=True, validate=validate.Range(min=0, max=INTEGER_MAX))
    minutes = fields.Integer(strict=True, validate=validate.Range(min=0, max=INTEGER_MAX))
    work_date = fields.Date(validate=validate.Range(min=DATE_MIN, max=DATE_MAX))
    description = text()
    note = text(metadata={"description": "the description's former name"})
    billable = StrictBoolean()


class StatusSchema(Schema):
    """A status change, explained by a note (mailed to the requester for RESOLVED)."""

    status = fields.Enum(TicketStatus, required=True)
    note = text(required=True)


class NoteBodySchema(Schema):
    """An internal note, seen by staff only."""

    text = text(required=True)


class ReplyBodySchema(Schema):
    """A public reply, mailed to the requester, and the reply guard's fields (the dashboard's
    reply form sends the same): `seen_through` is the id of the newest customer message the
    writer saw (0: none); without it nothing is compared. A reply over a customer message newer
    than that is refused (409 customer_wrote_again, listing them) unless `confirm_newer`."""

    text = text(required=True)
    seen_through = fields.Integer(strict=True, validate=validate.Range(min=0, max=INTEGER_MAX))
    confirm_newer = StrictBoolean(load_default=False)


class ResolutionSchema(Schema):
    """Closing: the final resolution, mailed to the requester with the closing notice."""

    note = text(required=True, metadata={"description": "the resolution"})


class ReopenSchema(Schema):
    """Reopening a closed ticket: why."""

    note = text(required=True)


class PaymentBodySchema(Schema):
    """Whether a billed ticket is paid."""

    payment_status = fields.Enum(PaymentStatus, required=True)


class FreeSchema(Schema):
    """Free (work needs no quote) or billed again."""

    free = StrictBoolean(required=True)
    note = text(metadata={"description": "why (kept in the history)"})


class ReevaluateSchema(Schema):
    """Apply today's contract and quote to the ticket's billing basis."""

    note = text()


class CreatedSchema(Schema):
    """What every created thing carries: the ticket after the change."""

    ticket = fields.Nested(TicketSchema)


class QuoteCreatedSchema(CreatedSchema):
    """A quote version as saved."""

    version = fields.Integer()
    price = DecimalString()
    currency = fields.String()
    estimated_hours = DecimalString()
    message = fields.String()
    status = fields.Enum(QuoteStatus)
    created_at = fields.AwareDateTime()


class NoteCreatedSchema(CreatedSchema):
    """A note of the ticket's timeline."""

    id = fields.Integer()
    kind = fields.Enum(NoteKind)
    text = fields.String(attribute="body_text")
    author_user_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
