"""Time logging: whole minutes of work, only once the ticket is free or its quote is approved;
each entry valued when logged (app.services.billing.coverage: what a quote or an hour bank
covers, the rest at its rate), billable or not, changed or removed by its author or a supervisor
until a billing batch locks it; the billing warnings checked after each (billing.alerts)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services import clock
from app.models.user import User
from app.models.ticket import Ticket
from app.models.worklog import TimeEntry
from app.services.billing import alerts, coverage, payment
from app.services.errors import (DomainError, EntryBilled, NotFound, NotPermitted,
                                 ValidationFailed, passes)
from app.services.history import record_change
from app.services.permissions import Actor, Permission, can, require
from app.services.workflow import require_open, require_work_allowed
from app.services.webhooks import events as webhook_events

MAX_MINUTES_PER_ENTRY = 24 * 60


def parse_duration(hours, minutes) -> int:
    """Hours and minutes as typed into whole minutes (≥ 1, ≤ 24 h); ValidationFailed otherwise."""
    try:
        h = int(str(hours).strip() or 0) if hours is not None else 0
        m = int(str(minutes).strip() or 0) if minutes is not None else 0
    except ValueError:
        raise ValidationFailed(
            _l("Enter the time as whole hours and minutes, for example 1 hour and 30 minutes."),
            field="minutes") from None
    if h < 0 or m < 0 or m > 59:
        raise ValidationFailed(
            _l("Hours cannot be negative and minutes must be between 0 and 59."), field="minutes")
    return check_minutes(h * 60 + m, too_long_field="hours")


def check_minutes(total: int, too_long_field: str = "minutes") -> int:
    """Whole minutes of one entry: at least one, at most 24 hours; ValidationFailed otherwise."""
    if total < 1:
        raise ValidationFailed(_l("Log at least one minute of work."), field="minutes")
    if total > MAX_MINUTES_PER_ENTRY:
        raise ValidationFailed(_l("One entry can hold at most 24 hours; split longer work by day."),
                               field=too_long_field)
    return total


def check_log_time(actor: Actor, ticket: Ticket) -> None:
    """Raise NotPermitted, TicketClosed or QuoteNotApproved unless the actor may log time on
    the ticket now (staff with WORK, an open ticket whose billing basis authorises work)."""
    require(actor, Permission.WORK)
    if not isinstance(actor, User):
        raise NotPermitted(_l("Only staff members can log time."))
    require_open(ticket)
    require_work_allowed(ticket)


def log_time(actor: Actor, ticket: Ticket, hours, minutes, note: str = "",
             work_date: dt.date | None = None, billable: bool | None = None) -> TimeEntry:
    """Log work on the ticket, valued now (coverage.valuation_for: what its quote or hour bank
    covers, the rest at the ticket's rate), and add it to the ticket's total; then the billing
    warnings. `billable` None: the valuation's default; another value only by a supervisor.

    Raises NotPermitted, TicketClosed, QuoteNotApproved (billed ticket without an
    approved quote), ValidationFailed (bad duration or a date in the future).
    """
    check_log_time(actor, ticket)
    total = parse_duration(hours, minutes)
    work_date = _work_date(work_date)
    valuation = coverage.valuation_for(ticket, total, work_date)
    if billable is not None and billable != valuation.billable:
        require(actor, Permission.SET_BILLING)
    entry = TimeEntry(ticket=ticket, user_id=actor.id, minutes=total, work_date=work_date,
                      note=(note or "").strip(),
                      billable=valuation.billable if billable is None else billable)
    valuation.apply_to(entry)
    db.session.add(entry)
    old_total = ticket.total_minutes or 0
    ticket.total_minutes = old_total + total
    record_change(ticket, actor, "time", old_total, ticket.total_minutes)
    db.session.flush()
    alerts.check_after_logging(entry)
    payment.follow_billable_work(actor, entry)
    webhook_events.time_logged(entry)
    return entry


def _work_date(work_date: dt.date | None) -> dt.date:
    """The day of the work (today by default); ValidationFailed for a day after tomorrow (a
    colleague's time zone may be a day ahead)."""
    today = clock.today()
    work_date = work_date or today
    if work_date > today + dt.timedelta(days=1):
        raise ValidationFailed(_l("Work cannot be logged on a future date."), field="work_date")
    return work_date


def time_entry_for(actor: Actor, entry_id: int) -> TimeEntry:
    """The time entry with this id, for whoever may view tickets. Raises NotPermitted,
    NotFound."""
    require(actor, Permission.VIEW)
    entry = db.session.get(TimeEntry, entry_id)
    if entry is None:
        raise NotFound(_l("There is no time entry %(id)s.", id=entry_id), field="id")
    return entry


def require_not_billed(entry: TimeEntry) -> None:
    """Raise EntryBilled while a billing batch that is still locked holds the entry."""
    if entry.is_locked:
        raise EntryBilled(_l(
            "This time was billed in batch %(number)s: it cannot be changed or deleted unless "
            "a supervisor unlocks the batch.", number=entry.billing_batch.number))


def check_change_entry(actor: Actor, entry: TimeEntry) -> None:
    """Raise NotPermitted, TicketClosed or EntryBilled unless the actor may edit or delete the
    entry: its author (staff who may work) or a supervisor, on an open ticket, not billed."""
    require(actor, Permission.WORK)
    if not isinstance(actor, User):
        raise NotPermitted(_l("Only staff members can log time."))
    if entry.user_id != actor.id and not can(actor, Permission.SET_BILLING):
        raise NotPermitted(_l("Only who logged this time or a supervisor can change or delete it."))
    require_open(entry.ticket)
    require_not_billed(entry)


def edit_time_entry(actor: Actor, entry: TimeEntry, *, minutes: int | None = None,
                    work_date: dt.date | None = None, description: str | None = None) -> None:
    """Change an entry's minutes, day or description (None: kept), recorded in the history.
    New minutes or a new day are valued again (coverage.value_again: what the quote or the
    bank covers now, at the entry's own stored rate, never today's), the ticket's total follows,
    and the billing warnings are checked.

    Raises NotPermitted, TicketClosed, EntryBilled, ValidationFailed (bad minutes, a future day).
    """
    check_change_entry(actor, entry)
    before, old_minutes, old_day = describe_entry(entry), entry.minutes, entry.work_date
    if minutes is not None and minutes != entry.minutes:
        check_minutes(minutes)
        ticket = entry.ticket
        old_total = ticket.total_minutes or 0
        ticket.total_minutes = old_total - entry.minutes + minutes
        entry.minutes = minutes
        record_change(ticket, actor, "time", old_total, ticket.total_minutes)
    if work_date is not None:
        entry.work_date = _work_date(work_date)
    if description is not None:
        entry.note = description.strip()
    revalued = (entry.minutes, entry.work_date) != (old_minutes, old_day)
    if revalued:
        coverage.value_again(entry, old_minutes)
    if describe_entry(entry) != before:
        record_change(entry.ticket, actor, "time_entry", before, describe_entry(entry))
    db.session.flush()
    alerts.check_after_logging(entry)
    if revalued:
        payment.follow_billable_work(actor, entry)


def delete_time_entry(actor: Actor, entry: TimeEntry) -> None:
    """Remove an entry; the ticket's total loses its minutes; recorded in the history.

    Raises NotPermitted, TicketClosed, EntryBilled.
    """
    check_change_entry(actor, entry)
    ticket = entry.ticket
    old_total = ticket.total_minutes or 0
    ticket.total_minutes = max(old_total - entry.minutes, 0)
    record_change(ticket, actor, "time", old_total, ticket.total_minutes)
    record_change(ticket, actor, "time_entry", describe_entry(entry), None)
    ticket.time_entries.remove(entry)
    db.session.delete(entry)
    db.session.flush()


def check_set_billable(actor: Actor, entry: TimeEntry) -> None:
    """Raise NotPermitted or EntryBilled unless the actor (a supervisor) may mark the entry
    billable or not; a closed ticket's entries too, as its payment (billing follows work)."""
    require(actor, Permission.SET_BILLING)
    require_not_billed(entry)


def set_billable(actor: Actor, entry: TimeEntry, billable: bool) -> None:
    """Mark the entry billable or not, recorded in the history; its amount stays stored (a
    non-billable entry is simply not billed). Raises NotPermitted, EntryBilled."""
    check_set_billable(actor, entry)
    if entry.billable == billable:
        return
    record_change(entry.ticket, actor, "time_billable", f"#{entry.id}: {entry.billable}",
                  f"#{entry.id}: {billable}")
    entry.billable = billable
    if not billable and entry.is_billed:  # in an unlocked batch: it leaves the batch
        record_change(entry.ticket, actor, "billing_batch", entry.billing_batch.number, None)
        entry.billing_batch = None
    db.session.flush()
    payment.follow_billable_work(actor, entry)


def describe_entry(entry: TimeEntry) -> str:
    """An entry as the history keeps it: "#id YYYY-MM-DD, N min: description"."""
    text = f"#{entry.id} {entry.work_date.isoformat()}, {entry.minutes} min"
    return f"{text}: {entry.note}" if entry.note else text


@dataclass(frozen=True)
class EntryFlags:
    """What the actor may do with one entry (each a check that did not raise), and why a billed
    entry cannot be changed (the refusal's message; None otherwise)."""

    can_change: bool
    can_set_billable: bool
    billed_refusal: str | None


def entry_flags(actor: Actor, entry: TimeEntry) -> EntryFlags:
    """The flags of the ticket page's forms for one entry (edit, delete, billable)."""
    refusal = None
    try:
        check_change_entry(actor, entry)
        can_change = True
    except EntryBilled as error:
        can_change, refusal = False, str(error)
    except DomainError:
        can_change = False
    return EntryFlags(can_change, passes(check_set_billable, actor, entry), refusal)
