"""The schemas of a ticket's files and timeline in the API (app.api.ticket_files): what an upload
sends (a multipart/form-data body) and what the attachment list and the timeline answer. They are
the OpenAPI document of those addresses."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from app.models.enums import NoteKind, QuoteStatus

TIMELINE_KINDS = ("customer_email", "public_reply", "internal_note", "system_note", "change",
                  "quote", "time")


class FilePart(fields.Field):
    """A file part of a multipart/form-data body (documented as binary)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", format="binary")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Send a file here (a part with a filename), not a text value.")
        return value


class UploadForm(Schema):
    """Files for the ticket, as one note: multipart/form-data."""

    file = fields.List(FilePart(), required=True, metadata={
        "description": "the files; repeat the part for several (at most "
                       "SOPORTE_ATTACHMENT_MAX_COUNT, each at most SOPORTE_ATTACHMENT_MAX_BYTES)"})
    text = fields.String(load_default="", metadata={
        "description": "the note's text; without it an internal note says which files it "
                       "holds, and a reply is refused (422 on text)"})
    reply = fields.Boolean(load_default=False, metadata={
        "description": "true: a public reply mailed to the requester with the files; "
                       "false (default): an internal note"})


class AttachmentSchema(Schema):
    """One file of the ticket."""

    id = fields.Integer()
    filename = fields.String(metadata={"description": "the name it came with, cleaned"})
    size = fields.Integer(metadata={"description": "bytes"})
    content_type = fields.String(allow_none=True, attribute="sniffed_type", metadata={
        "description": "the type its bytes are (sniffed), null when unknown; never what the "
                       "sender declared"})
    note_id = fields.Integer(allow_none=True, metadata={
        "description": "the timeline entry it came with; null for the ticket's own files"})
    inline = fields.Boolean(metadata={"description": "an image inside an email's body"})
    created_at = fields.AwareDateTime()
    download_url = fields.String(metadata={"description": "GET it for the bytes"})


class AttachmentListSchema(Schema):
    """Every file of the ticket, oldest first."""

    items = fields.List(fields.Nested(AttachmentSchema))


class UploadedSchema(Schema):
    """The note the files were added with."""

    note_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(TIMELINE_KINDS))
    attachments = fields.List(fields.Nested(AttachmentSchema))


class WhoSchema(Schema):
    """Who did it: a staff user, a customer's contact, or neither (the system, or a customer
    known only by address)."""

    user_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    name = fields.String(metadata={"description": "as the ticket page names them, in the "
                                                  "caller's language"})


class ChangeSchema(Schema):
    """A history line: the field and its values as stored."""

    field = fields.String()
    old_value = fields.String(allow_none=True)
    new_value = fields.String(allow_none=True)


_EXACT = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
          "description": "a decimal number written as a string, so it stays exact"}


class QuoteVersionSchema(Schema):
    """A quote version as it was sent."""

    version = fields.Integer()
    price = fields.Decimal(as_string=True, metadata=_EXACT)
    estimated_hours = fields.Decimal(as_string=True, metadata=_EXACT)
    currency = fields.String()
    status = fields.Enum(QuoteStatus)
    decided_at = fields.AwareDateTime(allow_none=True)


class TimeEntrySchema(Schema):
    """Time logged."""

    minutes = fields.Integer()
    work_date = fields.Date()


class TimelineEventSchema(Schema):
    """One thing that happened to the ticket; `kind` says which of note_id, change, quote and
    time is set."""

    kind = fields.String(validate=validate.OneOf(TIMELINE_KINDS))
    at = fields.AwareDateTime()
    who = fields.Nested(WhoSchema)
    text = fields.String(metadata={"description": "a note's text (plain), a history line in "
                                                  "the caller's language, a quote's message, "
                                                  "a time entry's note"})
    note_id = fields.Integer(allow_none=True)
    note_kind = fields.Enum(NoteKind, allow_none=True)
    attachment_ids = fields.List(fields.Integer(), metadata={
        "description": "the note's files (GET …/attachments/{id})"})
    change = fields.Nested(ChangeSchema, allow_none=True)
    quote = fields.Nested(QuoteVersionSchema, allow_none=True)
    time = fields.Nested(TimeEntrySchema, allow_none=True)


class TimelineSchema(Schema):
    """The ticket's timeline, oldest first: mail from the customer, public replies, internal
    notes (staff only, as is the API), history lines, quote versions and time logged."""

    items = fields.List(fields.Nested(TimelineEventSchema))
