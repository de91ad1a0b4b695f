"""The schemas of time entries over the API (issue 13): an entry as answered (with the rate,
currency and amount it was valued at, as decimal strings, and whether it was billed), what a
PATCH changes, and the entry a POST to a ticket's time-entries creates (with the ticket)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from flask_babel import gettext as _

from app.api.action_schemas import CreatedSchema, DecimalString, StrictBoolean, edited_text
from app.services.worklog import MAX_MINUTES_PER_ENTRY
from app.web.params import DATE_MAX, DATE_MIN


def work_day(**kwargs) -> fields.Date:
    """The day of the work (YYYY-MM-DD); the service refuses a day after tomorrow."""
    return fields.Date(validate=validate.Range(min=DATE_MIN, max=DATE_MAX), **kwargs)


class ValuedTimeEntrySchema(Schema):
    """Logged work, valued when it was logged: a later change of rate never changes it."""

    id = fields.Integer()
    ticket_number = fields.Function(lambda entry: entry.ticket.number,
                                    metadata={"type": "string"})
    user_id = fields.Integer()
    minutes = fields.Integer()
    work_date = fields.Date()
    description = fields.String(attribute="note")
    billable = fields.Boolean(metadata={"description": "false: never billed (the amount is "
                                                       "kept all the same)"})
    rate = DecimalString(allow_none=True, metadata={
        "description": "per hour, as valued when logged; null: logged before rates existed "
                       "(not valued)"})
    currency = fields.String(allow_none=True, metadata={"description": "ISO 4217"})
    amount = DecimalString(allow_none=True, metadata={
        "description": "minutes / 60 × rate, rounded half up to the cent"})
    billed = fields.Boolean(attribute="is_billed", metadata={
        "description": "included in a billing batch"})
    locked = fields.Boolean(attribute="is_locked", metadata={
        "description": "billed in a batch still locked: PATCH and DELETE answer 409 "
                       "entry_billed until a supervisor unlocks it"})
    billing_batch = fields.Function(
        lambda entry: entry.billing_batch.number if entry.billing_batch else None,
        allow_none=True, metadata={"type": "string", "description": "the batch's number"})
    created_at = fields.AwareDateTime()


class TimeEntryCreatedSchema(CreatedSchema, ValuedTimeEntrySchema):
    """Logged work, with the ticket after it (its number there)."""

    class Meta:
        exclude = ("ticket_number",)

    note = fields.Function(lambda entry: entry.note, metadata={
        "type": "string", "description": "the description (its former name)"})


class TimeEntryPatchSchema(Schema):
    """What a PATCH changes; the fields not sent keep their value. New minutes are valued at
    the entry's own rate; billable is a supervisor's."""

    minutes = fields.Integer(strict=True, validate=validate.Range(
        min=1, max=MAX_MINUTES_PER_ENTRY))
    work_date = work_day()
    description = edited_text()
    billable = StrictBoolean()

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError(_("Send at least one field to change."))
