"""The supervisors' daily digest (issue 14): at SOPORTE_SLA_DIGEST_TIME in each supervisor's own
zone, once per local day (an sla_digest row), an email in their language listing the tickets
past a target, those due later that day, the oldest waiting for our answer, and the hour banks
at 80 % or more. Nothing is sent, and nothing recorded, when there is nothing to say.

The due times are ticket_clocks's, the same values the list, the ticket page and the warnings
show. The tick (app.services.sla.ticks) reads every open ticket in batches when a digest is owed
(owed_digests) and gives each batch to the digests' collectors (DigestCollector), which keep only
what a digest shows: no list of every ticket's clocks is held.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.client import Contract
from app.models.enums import ClockState, NoteKind
from app.models.sla import SlaDigest
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock as the_clock
from app.services.billing import hour_banks
from app.services.errors import ValidationFailed
from app.services.notifications import active_supervisors
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.sla.clocks import DONE, TicketClocks
from app.services.sla.check_times import named_clocks
from app.services.sla.escalation import local_due

BANK_PERCENT = 80
OLDEST = 10


@dataclass(frozen=True)
class DigestLine:
    """A ticket in the digest: its number, subject, the clock's label and the moment shown
    (the due time, or since when the customer waits)."""

    number: str
    subject: str
    clock_label: str
    moment: dt.datetime


@dataclass(frozen=True)
class BankLine:
    """A contract's hour bank at 80 % or more in its current period."""

    client: str
    contract: str
    percent: int


@dataclass(frozen=True)
class DigestContent:
    """What one supervisor's digest says."""

    breached: list[DigestLine]
    due_today: list[DigestLine]
    oldest_unanswered: list[DigestLine]
    banks: list[BankLine]

    @property
    def empty(self) -> bool:
        """Nothing to say."""
        return not (self.breached or self.due_today or self.oldest_unanswered or self.banks)


def digest_time() -> dt.time:
    """SOPORTE_SLA_DIGEST_TIME ("HH:MM") as a time. Raises ValidationFailed naming the setting
    when it is not a time of day."""
    setting = str(current_app.config["SOPORTE_SLA_DIGEST_TIME"]).strip()
    try:
        return dt.datetime.strptime(setting, "%H:%M").time()
    except ValueError:
        raise ValidationFailed(_l("Set the digest's time as HH:MM, for example 08:00."),
                               field="SOPORTE_SLA_DIGEST_TIME") from None


def owed_digests(now: dt.datetime | None = None) -> list[DigestCollector]:
    """A collector for each active supervisor whose local time has reached
    SOPORTE_SLA_DIGEST_TIME and who has no digest of their local day yet. Raises
    ValidationFailed naming the setting when the time is malformed."""
    now = (now or the_clock.now()).astimezone(dt.timezone.utc)
    at, owed = digest_time(), []
    for user in active_supervisors():
        local = now.astimezone(the_clock.user_zone(user))
        if local.time() >= at and not _sent(user, local.date()):
            owed.append(DigestCollector(user, now))
    return owed


def may_list_tickets(collectors: list[DigestCollector]) -> bool:
    """Whether any open ticket may give these digests a line, from what is stored on tickets:
    a due time before the latest of their days' ends (breached or due today: Ticket.sla_due),
    or a customer waiting for us (never answered, or wrote after our last reply). When none
    may, the digests need no read of every ticket (only their hour banks remain)."""
    day_end = max(collector.day_end for collector in collectors)
    open_ticket = select(Ticket.id).where(Ticket.status.not_in(DONE))
    return any(db.session.scalar(open_ticket.where(condition).limit(1)) is not None
               for condition in (Ticket.sla_due < day_end, Ticket.customer_waiting,
                                 Ticket.last_staff_reply_at.is_(None)))


def send_collected(collectors: list[DigestCollector]) -> int:
    """Send each collector's digest unless empty or sent meanwhile (an sla_digest row); how
    many were sent. Flushes, never commits."""
    sent = 0
    for collector in collectors:
        user, day = collector.user, collector.day
        content = collector.content()
        if content.empty or not _record(user, day):
            continue
        enqueue_mail("sla_digest", to_address=user.email, to_name=user.name,
                     language=user.language.value, auto_submitted=AUTO_GENERATED, staff=user,
                     day=day, digest=content,
                     when=lambda moment, reader=user: local_due(moment, reader))
        sent += 1
    return sent


@dataclass(frozen=True)
class TicketLines:
    """What one ticket may give the digests: its most overdue breached clock, its running clock
    due first from now on, and since when its customer waits for our answer."""

    breached: DigestLine | None
    next_due: DigestLine | None
    waiting: DigestLine | None

    @classmethod
    def of(cls, ticket: Ticket, clocks: TicketClocks, now: dt.datetime) -> TicketLines:
        """The ticket's lines from its clocks at `now`."""
        running = named_clocks(clocks)
        late = [(name, c) for name, c in running if c.state is ClockState.BREACHED]
        soon = [(name, c) for name, c in running
                if c.state is ClockState.RUNNING and now <= c.due]
        lines = []
        for found in (late, soon):
            name, c = min(found, key=lambda pair: pair[1].due, default=(None, None))
            lines.append(DigestLine(ticket.number, ticket.subject, name.label, c.due)
                         if c is not None else None)
        since = customer_waiting_since(ticket)
        waiting = DigestLine(ticket.number, ticket.subject, "", since) if since else None
        return cls(lines[0], lines[1], waiting)


class DigestCollector:
    """One supervisor's digest gathered ticket by ticket: the breached and due-today lines (in
    the order given, sorted at the end), and only the OLDEST earliest waiting ones."""

    def __init__(self, user: User, now: dt.datetime):
        zone = the_clock.user_zone(user)
        self.user, self.now = user, now
        self.day = now.astimezone(zone).date()
        _, self.day_end = the_clock.day_bounds(self.day, zone)
        self.breached: list[DigestLine] = []
        self.due_today: list[DigestLine] = []
        self.waiting: list[DigestLine] = []

    def add(self, lines: TicketLines) -> None:
        """Keep what the ticket gives this digest."""
        if lines.breached is not None:
            self.breached.append(lines.breached)
        if lines.next_due is not None and lines.next_due.moment < self.day_end:
            self.due_today.append(lines.next_due)
        if lines.waiting is not None:
            self.waiting.append(lines.waiting)
            if len(self.waiting) > 4 * OLDEST:  # a stable sort keeps the first of equal ones
                self.waiting = sorted(self.waiting, key=attrgetter("moment"))[:OLDEST]

    def content(self) -> DigestContent:
        """The digest as gathered, with the hour banks of the company's day."""
        by_moment = attrgetter("moment")
        return DigestContent(sorted(self.breached, key=by_moment),
                             sorted(self.due_today, key=by_moment),
                             sorted(self.waiting, key=by_moment)[:OLDEST],
                             bank_alerts(self.now.astimezone(the_clock.company_zone()).date()))


def customer_waiting_since(ticket: Ticket) -> dt.datetime | None:
    """When the customer's unanswered writing began: the ticket's opening or their first
    message after our last public reply; None when we wrote last."""
    replies = [n.created_at for n in ticket.notes if n.kind is NoteKind.PUBLIC_REPLY]
    last_reply = max(replies, default=None)
    if last_reply is None:
        return ticket.created_at
    return min((n.created_at for n in ticket.notes
                if n.kind is NoteKind.CUSTOMER_EMAIL and n.created_at > last_reply),
               default=None)


def bank_alerts(day: dt.date) -> list[BankLine]:
    """Active contracts with an hour bank whose period holding the company's day is used
    BANK_PERCENT or more."""
    lines = []
    for contract in db.session.scalars(select(Contract).where(
            Contract.active.is_(True), Contract.included_hours.is_not(None),
            Contract.bank_period.is_not(None)).order_by(Contract.id)):
        used = hour_banks.usage(contract, hour_banks.period_of(contract, day))
        if used.reached(BANK_PERCENT):
            lines.append(BankLine(contract.client.name, contract.name, used.percent))
    return lines


def _sent(user: User, day: dt.date) -> bool:
    return db.session.scalar(select(SlaDigest.id).where(
        SlaDigest.user_id == user.id, SlaDigest.day == day)) is not None


def _record(user: User, day: dt.date) -> bool:
    """Write the day's row in a savepoint; False when another run wrote it first."""
    try:
        with db.session.begin_nested():
            db.session.add(SlaDigest(user_id=user.id, day=day))
    except IntegrityError:
        return False
    return True
