"""How much of a time entry a fixed price covers, and what the rest is worth (docs/billing.md,
"Valuing an entry").

A ticket billed under an approved quote (basis QUOTE) is covered by the quote's estimated hours
unless a supervisor bills it by time; a ticket covered by a contract with an hour bank is covered
by what is left of the bank in the entry's period. The uncovered minutes are valued at the
ticket's rate (rates.rate_for), or, beyond an hour bank, at the contract's overage_rate. An entry
keeps the valuation it got when logged; a supervisor's "by time" or "bill overage" values the
ticket's entries not yet billed again, in work order (work_date, id), at their own stored rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from app.extensions import db
from app.models.client import Contract
from app.models.enums import BillingBasis, NoteKind, QuoteStatus
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.models.worklog import TimeEntry
from app.services import notes
from app.services.billing import hour_banks, rates
from app.services.errors import InvalidTransition
from app.services.history import record_change
from app.services.permissions import Actor, Permission, require

B = BillingBasis


@dataclass(frozen=True)
class Valuation:
    """What an entry is worth: minutes a fixed price covers, the rate and currency of the rest,
    its amount (None when not valued) and whether it is billable by default."""

    covered_minutes: int
    rate: Decimal | None
    currency: str | None
    amount: Decimal | None
    billable: bool

    def apply_to(self, entry: TimeEntry) -> None:
        """Store the valuation on the entry (billable is the caller's: a default)."""
        entry.covered_minutes = self.covered_minutes
        entry.rate, entry.currency, entry.amount = self.rate, self.currency, self.amount


def work_order(entry: TimeEntry) -> tuple:
    """The order work was done in: day, then the order it was logged (a new entry last)."""
    return (entry.work_date, entry.id is None, entry.id or 0)


def billing_quote(ticket: Ticket) -> Quote | None:
    """The approved quote the ticket is billed under (basis QUOTE vN), else None."""
    if ticket.billing_basis is not B.QUOTE:
        return None
    return next((quote for quote in ticket.quotes
                 if quote.version == ticket.billing_quote_version
                 and quote.status is QuoteStatus.APPROVED), None)


def bills_quote_price():
    """The same rule as billing_quote and quote_covers, as a SQL condition on Quote joined to
    its Ticket: the approved quote version the ticket is billed under, not billed by time (the
    lines of a period select fixed-price quotes with it)."""
    return and_(Quote.status == QuoteStatus.APPROVED, Ticket.billing_basis == B.QUOTE,
                Ticket.billing_quote_version == Quote.version, Ticket.billing_by_time.is_(False))


def bank_contract(ticket: Ticket) -> Contract | None:
    """The contract whose hour bank covers the ticket's time (basis CONTRACT, with a bank)."""
    contract = ticket.billing_contract if ticket.billing_basis is B.CONTRACT else None
    return contract if hour_banks.has_bank(contract) else None


def quote_covers(ticket: Ticket) -> bool:
    """The quote's hours cover the ticket's time (basis QUOTE, not billed by time)."""
    return billing_quote(ticket) is not None and not ticket.billing_by_time


def default_billable(ticket: Ticket, minutes: int, covered: int) -> bool:
    """Whether an entry is billable by default: not on a free ticket or a contract without a
    bank; beyond a bank, yes; under a quote's price, only time beyond its hours and only when
    the ticket bills the overage; by time, or any other billed ticket, yes."""
    if ticket.billing_basis is B.FREE:
        return False
    if ticket.billing_basis is B.CONTRACT:
        return bank_contract(ticket) is not None and covered < minutes
    if quote_covers(ticket):
        return ticket.bill_overage and covered < minutes
    return True


def _valued(minutes: int, covered: int, rate: Decimal | None, currency: str | None,
            ticket: Ticket) -> Valuation:
    amount = rates.amount_for(minutes - covered, rate) if rate is not None else None
    return Valuation(covered, rate, currency if rate is not None else None, amount,
                     default_billable(ticket, minutes, covered))


def valuation_for(ticket: Ticket, minutes: int, work_date, exclude: TimeEntry | None = None
                  ) -> Valuation:
    """The valuation of `minutes` of work on the ticket on that day, logged now after the
    ticket's other entries (all but `exclude`): quote hours left after them, or bank minutes
    left in the day's period; the ticket's rate now, the overage rate beyond a bank."""
    rate, currency = rates.rate_for(ticket)
    covered = 0
    with db.session.no_autoflush:  # the entry being valued is not counted (nor flushed half-made)
        if quote_covers(ticket):
            others = sum(e.minutes for e in ticket.time_entries if e is not exclude)
            covered = _within(minutes, hour_banks.minutes_of_hours(
                billing_quote(ticket).estimated_hours) - others)
        elif (contract := bank_contract(ticket)) is not None:
            _lock_bank(contract)
            period = hour_banks.period_of(contract, work_date)
            if period.contains(work_date):
                left = hour_banks.minutes_of_hours(contract.included_hours) \
                    - hour_banks.used_minutes(contract, period, exclude=exclude)
                covered = _within(minutes, left)
            if covered < minutes and contract.overage_rate is not None:
                rate = contract.overage_rate
    return _valued(minutes, covered, rate, currency, ticket)


def value_entry(entry: TimeEntry) -> Valuation:
    """Decide and store a logged entry's covered minutes, rate, currency and amount (now, after
    the ticket's other entries); returns the valuation, whose `billable` is the default."""
    valuation = valuation_for(entry.ticket, entry.minutes, entry.work_date, exclude=entry)
    valuation.apply_to(entry)
    return valuation


def value_again(entry: TimeEntry, old_minutes: int) -> None:
    """An edited entry (its minutes were `old_minutes`, or its day changed) valued again after
    the ticket's other entries, at its own stored rate and currency; a bank entry's time newly
    beyond the bank at the contract's overage rate (it had no uncovered time to rate before).
    Its billable follows the new default unless a supervisor chose it."""
    ticket = entry.ticket
    old_covered = entry.covered_minutes or 0
    old_default = default_billable(ticket, old_minutes, old_covered)
    fresh = valuation_for(ticket, entry.minutes, entry.work_date, exclude=entry)
    rate, currency = entry.rate, entry.currency
    contract = bank_contract(ticket)
    if contract is not None and contract.overage_rate is not None and rate is not None \
            and fresh.covered_minutes < entry.minutes and old_covered >= old_minutes:
        rate = contract.overage_rate
    _valued(entry.minutes, fresh.covered_minutes, rate, currency, ticket).apply_to(entry)
    if not _billable_chosen(entry, old_default):
        entry.billable = fresh.billable


def _billable_chosen(entry: TimeEntry, old_default: bool) -> bool:
    """A supervisor chose the entry's billable: it differs from its default, or the history
    records their choice (worklog.set_billable), which a revaluation keeps."""
    if entry.billable != old_default:
        return True
    mark = f"#{entry.id}: "
    return entry.id is not None and any(
        change.field == "time_billable" and (change.new_value or "").startswith(mark)
        for change in entry.ticket.changes)


def _within(minutes: int, left: int) -> int:
    return min(minutes, max(left, 0))


def _lock_bank(contract: Contract) -> None:
    """Hold the contract's row until the transaction ends, so two people logging on its tickets
    at once draw on the bank one after the other (PostgreSQL; SQLite writes one at a time)."""
    if contract.id is not None:
        db.session.execute(select(Contract.id).where(Contract.id == contract.id)
                           .with_for_update())


# --- a supervisor's choices on a ticket under a quote --------------------------------------------

def _require_quote_basis(actor: Actor, ticket: Ticket) -> None:
    require(actor, Permission.SET_BILLING)
    if billing_quote(ticket) is None:
        raise InvalidTransition(_l(
            "Only a ticket billed under an approved quote can be billed by time or at the "
            "quote's price, or bill the time beyond the quote."), field="billing_by_time")


def check_set_billing_by_time(actor: Actor, ticket: Ticket, by_time: bool) -> None:
    """Raise NotPermitted (a supervisor decides) or InvalidTransition (the ticket is not billed
    under an approved quote; or some of it is billed already: its quote's price or any of its
    time, which the other way would bill a second time) unless the actor may bill the ticket by
    time (by_time=True) or at the quote's price (False). Also on a closed ticket: billing
    follows the work."""
    _require_quote_basis(actor, ticket)
    if ticket.billing_by_time != by_time and (
            billing_quote(ticket).billing_batch_id is not None
            or any(entry.is_billed for entry in ticket.time_entries)):
        raise InvalidTransition(_l(
            "Part of this ticket is billed already (in a billing batch): billing it the other "
            "way would bill the same work twice. Keep how it is billed, or correct the batch "
            "first."), field="billing_by_time")


def set_billing_by_time(actor: Actor, ticket: Ticket, by_time: bool,
                        note_text: str = "") -> None:
    """Bill the ticket by time (every entry at its rate) or at the quote's price (its hours
    covered); the entries not yet billed are valued again, recorded in the history with the
    optional note. Raises what check_set_billing_by_time raises."""
    check_set_billing_by_time(actor, ticket, by_time)
    if ticket.billing_by_time == by_time:
        return
    _change_choice(actor, ticket, "billing_by_time", by_time, note_text)


def check_set_bill_overage(actor: Actor, ticket: Ticket, allowed: bool) -> None:
    """Raise NotPermitted or InvalidTransition (not under an approved quote; billed by time:
    all its time is billable already) unless the actor may bill (allowed=True) or not bill the
    time beyond the quote's hours."""
    _require_quote_basis(actor, ticket)
    if ticket.billing_by_time:
        raise InvalidTransition(_l(
            "This ticket is billed by time: all its time is billed already. Bill it at the "
            "quote's price first."), field="bill_overage")


def set_bill_overage(actor: Actor, ticket: Ticket, allowed: bool, note_text: str = "") -> None:
    """Bill, or not, the time beyond the quote's hours at the rate; the entries not yet billed
    are valued again, recorded in the history with the optional note. Raises what
    check_set_bill_overage raises."""
    check_set_bill_overage(actor, ticket, allowed)
    if ticket.bill_overage == allowed:
        return
    _change_choice(actor, ticket, "bill_overage", allowed, note_text)


def _change_choice(actor: Actor, ticket: Ticket, field: str, value: bool, note_text: str) -> None:
    entries = sorted((e for e in ticket.time_entries if not e.is_billed), key=work_order)
    old_defaults = [default_billable(ticket, e.minutes, e.covered_minutes) for e in entries]
    text = (note_text or "").strip()
    note = notes.create_note(ticket, NoteKind.INTERNAL, text, actor) if text else None
    record_change(ticket, actor, field, getattr(ticket, field), value, note=note)
    setattr(ticket, field, value)
    revalue_unbilled(ticket, entries, old_defaults)
    db.session.flush()


def revalue_unbilled(ticket: Ticket, entries: list[TimeEntry], old_defaults: list[bool]) -> None:
    """Value the unbilled entries again in work order, each at its own stored rate: the quote's
    hours are what billed entries left (they count as consumed). An entry whose billable a
    supervisor chose keeps it."""
    covering = quote_covers(ticket)
    left = 0
    if covering:
        left = hour_banks.minutes_of_hours(billing_quote(ticket).estimated_hours) - sum(
            e.minutes for e in ticket.time_entries if e.is_billed)
    for entry, old_default in zip(entries, old_defaults):
        covered = _within(entry.minutes, left) if covering else 0
        left -= entry.minutes
        valuation = _valued(entry.minutes, covered, entry.rate, entry.currency, ticket)
        valuation.apply_to(entry)
        if not _billable_chosen(entry, old_default):
            entry.billable = valuation.billable


# --- reads ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuoteUsage:
    """A ticket's time against its approved quote: estimated and logged minutes, minutes the
    quote's price covers (as stored on the entries), minutes beyond the estimate, and the percent
    of the estimate logged (whole, rounded down)."""

    quote: Quote
    estimated_minutes: int
    logged_minutes: int
    covered_minutes: int
    by_time: bool
    bill_overage: bool

    @property
    def overage_minutes(self) -> int:
        """Logged minutes beyond the estimate."""
        return max(self.logged_minutes - self.estimated_minutes, 0)

    @property
    def percent(self) -> int:
        """Logged as a whole percent of the estimate, rounded down."""
        return self.logged_minutes * 100 // self.estimated_minutes \
            if self.estimated_minutes else 0

    def reached(self, threshold: int) -> bool:
        """Logged is at least `threshold` percent of the estimate (exact, in minutes)."""
        return self.estimated_minutes > 0 and \
            self.logged_minutes * 100 >= self.estimated_minutes * threshold


def quote_usage(ticket: Ticket) -> QuoteUsage | None:
    """The ticket's time against the approved quote it is billed under; None without one."""
    quote = billing_quote(ticket)
    if quote is None:
        return None
    return QuoteUsage(quote, hour_banks.minutes_of_hours(quote.estimated_hours),
                      sum(e.minutes for e in ticket.time_entries),
                      sum(e.covered_minutes or 0 for e in ticket.time_entries),
                      ticket.billing_by_time, ticket.bill_overage)
