"""Status changes made by staff: change status with a note, close with a resolution, reopen.

The rules they obey (allowed moves, the work gate) live in workflow.py.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models.enums import NoteKind, TicketStatus
from app.models.ticket import Note, Ticket
from app.services import notes, ratings
from app.services.errors import InvalidTransition, ValidationFailed
from app.services.permissions import Actor, Permission, require
from app.services.workflow import check_manual_transition, move_to, require_a_manual_move, \
    require_open, work_allowed

S = TicketStatus

# Statuses whose note goes to the customer: the resolution and the closing notice.
CUSTOMER_NOTIFIED = frozenset({S.RESOLVED, S.CLOSED})


def customer_notified_statuses(choices) -> list[TicketStatus]:
    """Those of the statuses `choices` (in their order) whose note is mailed to the customer:
    what a status form says before sending (the ticket page's and the bulk toolbar's)."""
    return [status for status in choices if status in CUSTOMER_NOTIFIED]


def check_may_change_status(actor: Actor) -> None:
    """Raise NotPermitted unless the actor's role may change tickets' status (the role part of
    check_change_status, which the bulk toolbar offers by)."""
    require(actor, Permission.WORK)


def check_change_status(actor: Actor, ticket: Ticket, target: TicketStatus) -> None:
    """Raise NotPermitted, TicketClosed, InvalidTransition or QuoteNotApproved unless the actor
    may move this ticket to the target status now (with a note)."""
    check_may_change_status(actor)
    require_open(ticket)
    check_manual_transition(ticket, target)


def check_status_choice(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted, TicketClosed or InvalidTransition (saying what would allow a move)
    unless "change status" has at least one status to offer this actor now."""
    check_may_change_status(actor)
    require_open(ticket)
    require_a_manual_move(ticket)


def change_status(actor: Actor, ticket: Ticket, target: TicketStatus, note_text: str) -> Note:
    """Move the ticket to another status, explained by a note (SPEC §3 allowed moves only).

    Raises NotPermitted, TicketClosed, ValidationFailed (no note), InvalidTransition,
    QuoteNotApproved (starting work on a billed ticket before approval).
    """
    target = TicketStatus(target)
    check_change_status(actor, ticket, target)
    note_text = _required_note(note_text)
    kind = NoteKind.PUBLIC_REPLY if target in CUSTOMER_NOTIFIED else NoteKind.INTERNAL
    note = notes.create_note(ticket, kind, note_text, actor)
    move_to(ticket, target, actor, note)
    if target in CUSTOMER_NOTIFIED:
        notes.mail_requester(ticket, "status_resolved", note=note)
    return note


def check_may_close(actor: Actor) -> None:
    """Raise NotPermitted unless the actor's role may close tickets (the role part of
    check_close, which the bulk toolbar offers by)."""
    require(actor, Permission.CLOSE)


def check_close(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or TicketClosed unless the actor may close the ticket now."""
    check_may_close(actor)
    require_open(ticket)


def close_ticket(actor: Actor, ticket: Ticket, resolution: str) -> Note:
    """Close an open ticket with a final resolution note; it becomes read-only and archived.

    The resolution is sent to the requester with the closing notice and the rating link
    (app.services.ratings).
    Raises NotPermitted, TicketClosed, ValidationFailed (no resolution).
    """
    check_close(actor, ticket)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(
            _l("Write a final note describing the resolution before closing the ticket."),
            field="note",
        )
    note = notes.create_note(ticket, NoteKind.PUBLIC_REPLY, resolution, actor)
    move_to(ticket, S.CLOSED, actor, note)
    notes.mail_requester(ticket, "closed", note=note, rating_url=ratings.link_for(ticket))
    return note


def check_reopen(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted or InvalidTransition (not closed) unless the actor may reopen it."""
    require(actor, Permission.REOPEN_CLOSED)
    if not ticket.is_closed:
        raise InvalidTransition(_l("Only a closed ticket can be reopened."))


def reopen_ticket(actor: Actor, ticket: Ticket, note_text: str) -> Note:
    """Reopen a closed ticket (supervisors): back to work if allowed, else to New.

    Raises NotPermitted, InvalidTransition (not closed), ValidationFailed (no note).
    """
    check_reopen(actor, ticket)
    note_text = _required_note(note_text)
    note = notes.create_note(ticket, NoteKind.INTERNAL, note_text, actor)
    move_to(ticket, S.IN_PROGRESS if work_allowed(ticket) else S.NEW, actor, note)
    return note


def _required_note(note_text: str) -> str:
    """The note's text, or ValidationFailed when it is empty."""
    note_text = (note_text or "").strip()
    if not note_text:
        raise ValidationFailed(_l("Write a note explaining the status change."), field="note")
    return note_text
