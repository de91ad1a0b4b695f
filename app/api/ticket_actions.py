"""A ticket's changes: PATCH /api/v1/tickets/{number} (If-Match required) and one POST per
action under it (If-Match optional): assign, quotes, approval, time-entries, status, notes,
replies, close, reopen, payment, free, reevaluate.

Adapters only, as the dashboard's (app/web/tickets/actions.py, edit.py): each turns its body
into one service call, and the service's own check (the one the ticket resource's `actions`
flag is computed from) decides. app.api.concurrency reads and locks the ticket, runs that check
before If-Match (so a refusal the request would get anyway is not hidden behind a 412), and
commits the write with the ticket's version moved: every answer carries the new ETag. A change
answers the ticket resource (200); one that creates a thing (a quote, a time entry, a note, a
reply) answers it (201), with the ticket after the change in `ticket`.
"""
from __future__ import annotations

from typing import Callable


from app.api.action_schemas import (ApprovalSchema, AssignSchema, FreeSchema, NoteBodySchema,
                                    NoteCreatedSchema, PaymentBodySchema, QuoteBodySchema,
                                    QuoteCreatedSchema, ReevaluateSchema, ReopenSchema,
                                    ReplyBodySchema, ResolutionSchema,
                                    StatusSchema, TicketPatchSchema, TimeEntryBodySchema)
from app.api.auth import acting_user
from app.api.concurrency import (ETAG_HEADER, IF_MATCH_PARAMETER, IF_MATCH_REQUIRED, Check,
                                 ticket_for_write, written)
from app.api.errors import ErrorSchema
from app.api.resources import ResourceBlueprint
from app.api.schemas import TicketSchema
from app.api.time_entry_schemas import TimeEntryCreatedSchema
from app.api.tickets import ticket_resource, with_etag
from app.models.ticket import Ticket
from app.models.user import User
from app.services import assignment, notes, quote_decisions, quotes, status_changes, tickets, \
    worklog
from app.services.billing import basis, payment
from app.services.quotes import QuoteInput
from app.services.tickets import TicketFields

bp = ResourceBlueprint("api-ticket-actions", __name__, url_prefix="/tickets",
               description="A ticket's changes: PATCH with If-Match, and one endpoint per "
                           "action.")

ERRORS = (400, 401, 403, 404, 409, 412, 413, 422)
EDITED = ("subject", "description", "urgency", "type_id", "contact_id", "contract_id",
          "project_id", "client_id")


def _documented(body, status: int = 200, answer=TicketSchema, if_match=IF_MATCH_PARAMETER):
    """The decorators of one write endpoint: its body's schema, its answer with the ETag, its
    error answers (ErrorSchema), the If-Match header."""
    def decorate(view):
        statuses = ERRORS + ((428,) if if_match.get("required") else ())
        for code in statuses:
            view = bp.alt_response(code, schema=ErrorSchema)(view)
        view = bp.response(status, answer, headers=ETAG_HEADER)(view)
        view = bp.arguments(body)(view)
        return bp.doc(parameters=[if_match])(view)
    return decorate


def _change(number: str, check: Check, write: Callable[[User, Ticket], object], *,
            if_match_required: bool = False):
    """Run one action on the ticket (see the module doc); returns the user, the ticket after
    it and what the service returned."""
    user = acting_user()
    ticket = ticket_for_write(user, number, if_match_required=if_match_required, check=check)
    result = written(ticket, lambda: write(user, ticket))
    return user, ticket, result


def _ticket_answer(number: str, check: Check, write: Callable[[User, Ticket], object], **kw):
    """The ticket resource after the action, with its new ETag."""
    user, ticket, _result = _change(number, check, write, **kw)
    return with_etag(ticket_resource(user, ticket), ticket)


def _created_answer(number: str, check: Check, write: Callable[[User, Ticket], object]):
    """What the action created, with the ticket after it, and the ticket's new ETag."""
    user, ticket, result = _change(number, check, write)
    return with_etag(_WithTicket(result, ticket_resource(user, ticket)), ticket)


class _WithTicket:
    """A created thing whose answer also carries the ticket resource."""

    def __init__(self, thing, ticket: dict):
        self._thing = thing
        self.ticket = ticket

    def __getattr__(self, name):
        return getattr(self._thing, name)


@bp.route("/<number>", methods=["PATCH"])
@_documented(TicketPatchSchema, if_match=IF_MATCH_REQUIRED)
def edit(data: dict, number: str):
    """Change the ticket's data.

    Only the fields sent change (a null id clears that reference). The ticket's ETag in
    If-Match is required. The rules are the edit form's: an open ticket, references of the
    ticket's own client, active choices (the current ones may stay)."""
    def write(user: User, ticket: Ticket):
        current = {"subject": ticket.subject, "description": ticket.description,
                   "urgency": ticket.urgency, "type_id": ticket.type_id,
                   "contact_id": ticket.contact_id, "contract_id": ticket.contract_id,
                   "project_id": ticket.project_id, "client_id": ticket.client_id}
        current.update((name, data[name]) for name in EDITED if name in data)
        return tickets.edit_ticket(user, ticket, TicketFields(**current),
                                   expected_version=ticket.lock_version)

    return _ticket_answer(number, tickets.check_edit, write, if_match_required=True)


@bp.route("/<number>/assign", methods=["POST"])
@_documented(AssignSchema)
def assign(data: dict, number: str):
    """Assign the ticket.

    null unassigns it; the assignee is told in the app and by email (supervisors)."""
    return _ticket_answer(number, assignment.check_assign,
                          lambda user, ticket: assignment.assign(user, ticket,
                                                                 data["assignee_id"]))


@bp.route("/<number>/quotes", methods=["POST"])
@_documented(QuoteBodySchema, 201, QuoteCreatedSchema)
def quote(data: dict, number: str):
    """Quote the ticket.

    A new quote version, mailed to the requester with the links to approve or reject it; the
    ticket becomes QUOTED (a billed ticket that is NEW or QUOTED, with a requester)."""
    return _created_answer(number, quotes.check_save_quote,
                           lambda user, ticket: quotes.save_quote(user, ticket, QuoteInput(
                               data["price"], data["estimated_hours"], data["currency"],
                               data["message"])))


@bp.route("/<number>/approval", methods=["POST"])
@_documented(ApprovalSchema)
def approval(data: dict, number: str):
    """Record the customer's decision on the quote.

    For a decision received another way (phone, …; supervisors): APPROVED lets work start,
    REJECTED sends the ticket back to NEW."""
    return _ticket_answer(number, quote_decisions.check_record_decision,
                          lambda user, ticket: quote_decisions.record_decision(
                              user, ticket, data["decision"] == "APPROVED", data["note"]))


@bp.route("/<number>/time-entries", methods=["POST"])
@_documented(TimeEntryBodySchema, 201, TimeEntryCreatedSchema)
def time_entry(data: dict, number: str):
    """Log time.

    Work on the ticket (at most 24 hours an entry), once it is free, covered by a contract or
    its quote approved; valued at the ticket's rate now (contract, client, default), kept with
    the entry."""
    hours, minutes = data.get("hours"), data.get("minutes")
    if hours is None and minutes is not None:
        hours, minutes = divmod(minutes, 60)
    return _created_answer(number, worklog.check_log_time,
                           lambda user, ticket: worklog.log_time(
                               user, ticket, hours, minutes,
                               data["description"] or data["note"], data.get("work_date"),
                               data.get("billable")))


@bp.route("/<number>/status", methods=["POST"])
@_documented(StatusSchema)
def status(data: dict, number: str):
    """Change the ticket's status.

    With a note; the allowed moves are the ticket's `actions.status_targets`. A RESOLVED
    note is mailed to the requester."""
    target = data["status"]
    return _ticket_answer(number,
                          lambda user, ticket: status_changes.check_change_status(
                              user, ticket, target),
                          lambda user, ticket: status_changes.change_status(
                              user, ticket, target, data["note"]))


@bp.route("/<number>/notes", methods=["POST"])
@_documented(NoteBodySchema, 201, NoteCreatedSchema)
def note(data: dict, number: str):
    """Add an internal note.

    Seen by staff only."""
    return _created_answer(number, notes.check_add_note,
                           lambda user, ticket: notes.add_internal_note(user, ticket,
                                                                        data["text"]))


@bp.route("/<number>/replies", methods=["POST"])
@_documented(ReplyBodySchema, 201, NoteCreatedSchema)
def reply(data: dict, number: str):
    """Reply to the requester.

    By email; the reply joins the timeline. With `seen_through`, a reply over a customer
    message newer than it is not sent (409 customer_wrote_again with those messages) unless
    `confirm_newer` is true."""
    return _created_answer(number, notes.check_reply,
                           lambda user, ticket: notes.reply_publicly(
                               user, ticket, data["text"], seen_through=data.get("seen_through"),
                               confirmed=data["confirm_newer"]))


@bp.route("/<number>/close", methods=["POST"])
@_documented(ResolutionSchema)
def close(data: dict, number: str):
    """Close the ticket.

    With its resolution, mailed to the requester; it becomes read-only."""
    return _ticket_answer(number, status_changes.check_close,
                          lambda user, ticket: status_changes.close_ticket(user, ticket,
                                                                           data["note"]))


@bp.route("/<number>/reopen", methods=["POST"])
@_documented(ReopenSchema)
def reopen(data: dict, number: str):
    """Reopen a closed ticket.

    Supervisors: back to IN_PROGRESS when work is allowed, else NEW."""
    return _ticket_answer(number, status_changes.check_reopen,
                          lambda user, ticket: status_changes.reopen_ticket(user, ticket,
                                                                            data["note"]))


@bp.route("/<number>/payment", methods=["POST"])
@_documented(PaymentBodySchema)
def set_payment(data: dict, number: str):
    """Record whether the ticket is paid.

    A billed ticket is UNPAID or PAID; closed tickets too (supervisors)."""
    return _ticket_answer(number, payment.check_set_payment,
                          lambda user, ticket: payment.set_payment_status(
                              user, ticket, data["payment_status"]))


@bp.route("/<number>/free", methods=["POST"])
@_documented(FreeSchema)
def free(data: dict, number: str):
    """Mark the ticket free or billed.

    Free: work needs no quote; billed again only while NEW; not while a quote awaits the
    customer's decision (supervisors)."""
    wanted = data["free"]
    return _ticket_answer(number,
                          lambda user, ticket: basis.check_mark_free(user, ticket, wanted),
                          lambda user, ticket: basis.mark_free(user, ticket, wanted,
                                                               data["note"]))


@bp.route("/<number>/reevaluate", methods=["POST"])
@_documented(ReevaluateSchema)
def reevaluate(data: dict, number: str):
    """Re-evaluate the ticket's billing.

    Today's contract and quote decide its billing basis (supervisors)."""
    return _ticket_answer(number, basis.check_reevaluate,
                          lambda user, ticket: basis.reevaluate(user, ticket, data["note"]))
