"""A ticket's files (uploaded and downloaded) and its timeline:
GET/POST /api/v1/tickets/{number}/attachments, GET …/attachments/{id},
GET /api/v1/tickets/{number}/timeline.

Adapters only. Reading: app.services.ticket_view (the ticket, its timeline) and
app.services.attachment_downloads (a file, with its permission check). Writing:
app.services.notes (an internal note or a public reply, with the files' count and size rules of
app.services.attachments), the files read from the request as the dashboard reads them
(app.web.uploads). A download is served as the dashboard serves one: only an image type known
from its bytes is shown inline; anything else (HTML, SVG, a program) is an attachment of type
application/octet-stream, with nosniff and a sandboxing CSP.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from app.api.auth import acting_user
from app.api.concurrency import (ETAG_HEADER, IF_MATCH_PARAMETER, etag, ticket_for_write,
                                 ticket_named, written)
from app.api.errors import ErrorSchema
from app.api.file_schemas import (AttachmentListSchema, TimelineSchema, UploadedSchema,
                                  UploadForm)
from app.api.resources import ResourceBlueprint
from app.api.timeline import attachment_body, timeline_body
from app.models.enums import NoteKind
from app.models.ticket import Note, Ticket
from app.models.user import User
from app.services import notes
from app.services.attachment_downloads import attachment_for_download
from app.services.attachments import clean_filename
from app.services.errors import ValidationFailed
from app.services.notes import Upload
from app.services.ticket_view import ticket_view
from app.web.security import file_download
from app.web.uploads import uploads_from_request

NO_FILE = _l("Attach at least one file: a part named \"file\" of a multipart/form-data body.")
FILE_HEADERS = {
    "Content-Disposition": {"description": "attachment (inline only for PNG, JPEG, GIF and "
                                           "WebP images, known from their bytes), with the "
                                           "file's name", "schema": {"type": "string"}},
    "X-Content-Type-Options": {"schema": {"type": "string", "const": "nosniff"}},
}


class MultipartParser(FlaskParser):
    """webargs' parser whose "form" location holds a multipart body's files as well as its
    fields, so one schema validates (and documents) the whole body."""

    def load_form(self, req, schema):
        """The form's fields and files together."""
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


bp = ResourceBlueprint("api-ticket-files", __name__, url_prefix="/tickets",
                       parser=MultipartParser(),
                       description="A ticket's files (uploaded and downloaded) and its timeline.")


@bp.route("/<number>/attachments")
class Attachments(MethodView):
    """The ticket's files."""

    @bp.response(200, AttachmentListSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def get(self, number: str):
        """Every file of the ticket (those of its notes and its own), oldest first."""
        ticket = ticket_named(acting_user(), number)
        files = sorted(ticket.attachments, key=lambda item: item.id)
        return {"items": [attachment_body(ticket, item) for item in files]}

    @bp.arguments(UploadForm, location="form", content_type="multipart/form-data")
    @bp.response(201, UploadedSchema, headers=ETAG_HEADER)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    @bp.alt_response(409, schema=ErrorSchema)
    @bp.alt_response(412, schema=ErrorSchema)
    @bp.alt_response(413, schema=ErrorSchema)
    @bp.alt_response(422, schema=ErrorSchema)
    @bp.doc(parameters=[IF_MATCH_PARAMETER])
    def post(self, form: dict, number: str):
        """Add files to the ticket as one note: an internal note, or with `reply` true a public
        reply mailed to the requester with the files attached. The rules are the dashboard's
        (who may add a note or reply, an open ticket, a requester to reply to, how many files
        and how large). Without `text`, an internal note says which files it holds (in the
        caller's language); a reply is refused (422 on "text"): what the customer reads is
        written by a person. If-Match is optional (412 when the ticket changed)."""
        user = acting_user()
        uploads = uploads_from_request("file")
        reply = form["reply"]
        check = notes.check_reply if reply else notes.check_add_note
        ticket = ticket_for_write(user, number, check=check)
        note = written(ticket, lambda: _add_files(user, ticket, uploads, form["text"], reply))
        return _uploaded_body(ticket, note), {"ETag": etag(ticket)}


@bp.route("/<number>/attachments/<int:attachment_id>")
class AttachmentFile(MethodView):
    """One file of the ticket."""

    @bp.response(200, {"type": "string", "format": "binary"},
                 content_type="application/octet-stream", headers=FILE_HEADERS)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def get(self, number: str, attachment_id: int):
        """The file's bytes: as a download (application/octet-stream), or inline with its type
        for a PNG, JPEG, GIF or WebP image known from its bytes. 404 for a file of another
        ticket, and for a file whose contents are no longer stored."""
        user = acting_user()
        ticket = ticket_named(user, number)
        download = attachment_for_download(user, attachment_id, ticket=ticket)
        # As the dashboard serves it: an image shown, anything else downloaded, never run.
        return file_download(download, inline=True)


@bp.route("/<number>/timeline")
class Timeline(MethodView):
    """The ticket's timeline."""

    @bp.response(200, TimelineSchema)
    @bp.alt_response(401, schema=ErrorSchema)
    @bp.alt_response(403, schema=ErrorSchema)
    @bp.alt_response(404, schema=ErrorSchema)
    def get(self, number: str):
        """Everything that happened to the ticket, oldest first, as the ticket page shows it:
        the customer's mail, public replies, internal notes (the API is for staff), history
        lines, quote versions and time logged, each with who and its files' ids."""
        user = acting_user()
        view = ticket_view(user, ticket_named(user, number).number)
        return {"items": timeline_body(view.timeline)}


def _add_files(user: User, ticket: Ticket, uploads: list[Upload], text: str,
               reply: bool) -> Note:
    """The files as one note: a public reply (its text required), or an internal note (its
    text, else the files' names). Raises the services' refusals, ValidationFailed (file)
    without a file."""
    if not uploads:
        raise ValidationFailed(NO_FILE, field="file")
    if reply:
        return notes.reply_publicly(user, ticket, text, uploads)
    if not text.strip():
        text = _("Files attached: %(names)s",
                 names=", ".join(clean_filename(upload.filename) for upload in uploads))
    return notes.add_internal_note(user, ticket, text, uploads)


def _uploaded_body(ticket: Ticket, note: Note) -> dict:
    kind = "public_reply" if note.kind is NoteKind.PUBLIC_REPLY else "internal_note"
    return {"note_id": note.id, "kind": kind,
            "attachments": [attachment_body(ticket, item) for item in note.attachments]}

