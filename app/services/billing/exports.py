"""The lines of a billing period (docs/billing.md "Lines of a period") and their CSV and XLSX
files.

A period's lines are its billable time entries (work_date in the period) and the approved
quotes billed at a fixed price (decided on a company day in the period), not yet in a billing
batch; or exactly the lines of one batch. Entries are streamed from one joined query of plain
columns (yield_per), never loaded as ORM objects, so a period of 100,000 entries is written in
bounded memory. Exporting never marks anything: closing a period is app.services.billing.batches.
"""
from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.client import Client, Contract, Project
from app.models.quote import Quote
from app.models.ticket import Ticket
from app.models.user import User
from app.models.worklog import BillingBatch, TimeEntry
from app.services import clock
from app.services.billing import coverage
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require

# The files' header: machine names, the same in every language (other programs read them).
COLUMNS = ("date", "client", "contract", "project", "ticket", "agent", "minutes", "hours",
           "rate", "amount", "currency", "billable", "batch")
TOTAL_LABEL = "TOTAL"
TIME, QUOTE = "time", "quote"
CENT = Decimal("0.01")
STREAM_CHUNK = 2000  # rows fetched at a time from the database
# A spreadsheet runs a text cell beginning with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "0.00"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# An adapter's client or contract id that names no row (the CLI names them: filters_named).
NO_SUCH_FILTER = _l("Choose a client or a contract from the list: the one sent does not exist.")


@dataclass(frozen=True, slots=True)
class BillingLine:
    """One line of a period: a billable time entry (kind "time") or a fixed-price quote (kind
    "quote": minutes are its estimated hours, rate None). source_id is the entry's or the
    quote's id; amount is None only on an entry logged before rates existed (not valued)."""

    date: dt.date
    client: str
    contract: str
    project: str
    ticket: str
    agent: str
    minutes: int
    hours: Decimal
    rate: Decimal | None
    amount: Decimal | None
    currency: str
    billable: bool
    batch: str
    kind: str
    source_id: int


def check_export(actor: Actor) -> None:
    """Raise NotPermitted unless the actor may see what the company bills (SET_BILLING: a
    supervisor, as for closing). For the dashboard and the API; the CLI runs as the server's
    operator."""
    require(actor, Permission.SET_BILLING)


def default_period() -> tuple[dt.date, dt.date]:
    """The period a billing run offers first: the company's previous calendar month, what is
    usually billed next."""
    last = clock.today().replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def check_period(period_from: dt.date, period_to: dt.date, client: Client | None = None,
                 contract: Contract | None = None) -> None:
    """Raise ValidationFailed when a day is outside the range every door accepts (field
    period_from or period_to), the period ends before it starts (field period_to) or the
    contract is not the client's (field contract)."""
    for day, field in ((period_from, "period_from"), (period_to, "period_to")):
        if not clock.DATE_MIN <= day <= clock.DATE_MAX:
            raise ValidationFailed(_l("Choose a day between %(first)s and %(last)s.",
                                      first=clock.DATE_MIN.isoformat(),
                                      last=clock.DATE_MAX.isoformat()), field=field)
    if period_to < period_from:
        raise ValidationFailed(_l("The period ends before it starts: check both dates."),
                               field="period_to")
    if client is not None and contract is not None and contract.client_id != client.id:
        raise ValidationFailed(_l("The contract %(contract)s is not one of %(client)s's: choose "
                                  "one of that client's contracts, or no client.",
                                  contract=contract.name, client=client.name), field="contract")


def parse_format(value: str | None) -> str:
    """The file format asked for: csv or xlsx (any letter case); ValidationFailed (field
    format) otherwise."""
    fmt = (value or "").strip().lower()
    if fmt not in MEDIA_TYPES:
        raise ValidationFailed(_l("Choose the file's format: csv or xlsx."), field="format")
    return fmt


def filters_named(client_name: str | None,
                  contract_name: str | None) -> tuple[Client | None, Contract | None]:
    """The client and the contract a period's lines are limited to, by name (blank: none; a
    contract among the client's when a client is named). Raises ValidationFailed (field client
    or contract): no such client, no such contract, several contracts of that name."""
    client = contract = None
    if (client_name or "").strip():
        client = db.session.scalar(select(Client).where(Client.name == client_name.strip()))
        if client is None:
            raise ValidationFailed(_l("There is no client named %(name)s.",
                                      name=client_name.strip()), field="client")
    if (contract_name or "").strip():
        query = select(Contract).where(Contract.name == contract_name.strip())
        if client is not None:
            query = query.where(Contract.client_id == client.id)
        found = db.session.scalars(query.limit(2)).all()
        if not found:
            raise ValidationFailed(_l("There is no contract named %(name)s (of that client, "
                                      "when one is named).", name=contract_name.strip()),
                                   field="contract")
        if len(found) > 1:
            raise ValidationFailed(_l("Several clients have a contract named %(name)s: name "
                                      "the client too.", name=contract_name.strip()),
                                   field="contract")
        contract = found[0]
    return client, contract


def billing_lines(period_from: dt.date, period_to: dt.date, client: Client | None = None,
                  contract: Contract | None = None,
                  batch: BillingBatch | None = None) -> Iterator[BillingLine]:
    """The lines of the period not billed yet (of the client's / contract's tickets when
    given), or, with a batch, exactly that batch's lines (the period is then not used);
    ordered by date, ticket number, then id. Raises ValidationFailed (period out of order)
    at once, before the first line is asked for."""
    if batch is None:
        check_period(period_from, period_to)
    quotes = sorted(_quote_lines(period_from, period_to, client, contract, batch),
                    key=_sort_key)
    times = _time_lines(period_from, period_to, client, contract, batch)
    return (line for _key, line in heapq.merge(times, quotes, key=_sort_key))


def _sort_key(keyed: tuple[tuple, BillingLine]) -> tuple:
    # (date, ticket sequence, kind, id): the sequence orders ticket numbers as numbers
    return keyed[0]


def _ticket_filters(client: Client | None, contract: Contract | None) -> list:
    conditions = []
    if client is not None:
        conditions.append(Ticket.client_id == client.id)
    if contract is not None:
        conditions.append(Ticket.contract_id == contract.id)
    return conditions


def _time_lines(period_from, period_to, client, contract, batch) -> Iterator[tuple]:
    """Time entries of the period with their sort keys, streamed from one query of plain
    columns in that order. A line's minutes are those it bills: the entry's minutes less those
    a fixed price covered (the quote's hours, the hour bank), so hours × rate is its amount."""
    if batch is not None:
        chosen = [TimeEntry.billing_batch_id == batch.id]
    else:
        chosen = [TimeEntry.billable.is_(True), TimeEntry.billing_batch_id.is_(None),
                  TimeEntry.work_date >= period_from, TimeEntry.work_date <= period_to]
    statement = (
        select(TimeEntry.id, TimeEntry.work_date,
               TimeEntry.minutes - TimeEntry.covered_minutes, TimeEntry.rate,
               TimeEntry.amount, TimeEntry.currency, TimeEntry.billable, Ticket.sequence,
               Ticket.number, Client.name, Contract.name, Project.name, User.name, User.email,
               BillingBatch.number)
        .join(Ticket, TimeEntry.ticket_id == Ticket.id)
        .join(Client, Ticket.client_id == Client.id)
        .outerjoin(Contract, Ticket.contract_id == Contract.id)
        .outerjoin(Project, Ticket.project_id == Project.id)
        .join(User, TimeEntry.user_id == User.id)
        .outerjoin(BillingBatch, TimeEntry.billing_batch_id == BillingBatch.id)
        .where(*chosen, *_ticket_filters(client, contract))
        .order_by(TimeEntry.work_date, Ticket.sequence, TimeEntry.id)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    result = db.session.execute(statement)
    try:
        for (entry_id, day, minutes, rate, amount, currency, billable, sequence, ticket,
             client_name, contract_name, project, agent_name, agent_email,
             batch_number) in result:
            yield (day, sequence, 0, entry_id), BillingLine(
                day, client_name, contract_name or "", project or "", ticket,
                agent_name or agent_email, minutes, hours_of(minutes), rate, amount,
                currency or "", billable, batch_number or "", TIME, entry_id)
    finally:
        result.close()  # a line consumer that stops early frees the server-side cursor


def _quote_lines(period_from, period_to, client, contract, batch) -> list[tuple]:
    """Fixed-price quotes: approved, the version the ticket is billed under, not by time,
    decided on a company day of the period. A ticket has one such quote, so they are few."""
    if batch is not None:
        chosen = [Quote.billing_batch_id == batch.id]
    else:
        start, _ = clock.day_bounds(period_from)
        _, end = clock.day_bounds(period_to)
        chosen = [coverage.bills_quote_price(),
                  Quote.decided_at >= start, Quote.decided_at < end,
                  Quote.billing_batch_id.is_(None)]
    author = aliased(User)
    statement = (
        select(Quote.id, Quote.decided_at, Quote.estimated_hours, Quote.price, Quote.currency,
               Ticket.sequence, Ticket.number, Client.name, Contract.name, Project.name,
               author.name, author.email, BillingBatch.number)
        .join(Ticket, Quote.ticket_id == Ticket.id)
        .join(Client, Ticket.client_id == Client.id)
        .outerjoin(Contract, Ticket.contract_id == Contract.id)
        .outerjoin(Project, Ticket.project_id == Project.id)
        .outerjoin(author, Quote.created_by_id == author.id)
        .outerjoin(BillingBatch, Quote.billing_batch_id == BillingBatch.id)
        .where(and_(*chosen, *_ticket_filters(client, contract)))
    )
    lines = []
    for (quote_id, decided_at, estimated_hours, price, currency, sequence, ticket, client_name,
         contract_name, project, author_name, author_email, batch_number) in \
            db.session.execute(statement):
        minutes = int((estimated_hours * 60).to_integral_value(rounding=ROUND_HALF_UP))
        day = clock.local(decided_at).date()  # the company's day of the decision
        lines.append(((day, sequence, 1, quote_id), BillingLine(
            day, client_name, contract_name or "", project or "", ticket,
            author_name or author_email or "", minutes, estimated_hours.quantize(CENT), None,
            price, currency, True, batch_number or "", QUOTE, quote_id)))
    return lines


def hours_of(minutes: int) -> Decimal:
    """Minutes as hours, rounded half up to 2 decimals (90 → 1.50, 20 → 0.33)."""
    return (Decimal(minutes) / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)


def totals(lines: Iterable[BillingLine]) -> dict[str, Decimal]:
    """The sum of the lines' amounts per currency (lines not valued add nothing), by code."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        _add(sums, line)
    return dict(sorted(sums.items()))


def _add(sums: dict[str, Decimal], line: BillingLine) -> None:
    if line.amount is not None:
        sums[line.currency] = sums.get(line.currency, Decimal("0.00")) + line.amount


def neutralised(text: str) -> str:
    """A text cell a spreadsheet will show as text: one beginning with =, +, -, @, tab or CR
    (a formula, CSV injection) gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text_cells(line: BillingLine) -> tuple[str, ...]:
    return tuple(neutralised(value) for value in (
        line.client, line.contract, line.project, line.ticket, line.agent))


def write_csv(lines: Iterable[BillingLine], stream: IO[str]) -> dict[str, Decimal]:
    """Write the header, one row per line and one TOTAL row per currency as CSV to a text
    stream (opened with newline=""); returns the totals. Numbers with a dot and 2 decimals,
    dates as YYYY-MM-DD, billable as true/false; text cells neutralised."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    sums: dict[str, Decimal] = {}
    for line in lines:
        _add(sums, line)
        client, contract, project, ticket, agent = _text_cells(line)
        writer.writerow((line.date.isoformat(), client, contract, project, ticket, agent,
                         line.minutes, line.hours, _blank(line.rate), _blank(line.amount),
                         neutralised(line.currency), "true" if line.billable else "false",
                         neutralised(line.batch)))
    sums = dict(sorted(sums.items()))
    for currency, amount in sums.items():
        writer.writerow(_total_row(amount, neutralised(currency)))
    return sums


def _blank(value) -> object:
    return "" if value is None else value


def _total_row(amount, currency, blank="") -> list:
    """A TOTAL row: the label first, the amount and the currency in their columns."""
    row: list = [blank] * len(COLUMNS)
    row[0] = TOTAL_LABEL
    row[COLUMNS.index("amount")] = amount
    row[COLUMNS.index("currency")] = currency
    return row


def write_file(lines: Iterable[BillingLine], fmt: str, stream: IO[bytes]) -> dict[str, Decimal]:
    """Write the lines as CSV (UTF-8) or XLSX (fmt, see parse_format) to a binary stream,
    which stays open; returns the totals."""
    if fmt == "xlsx":
        return write_xlsx(lines, stream)
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        return write_csv(lines, text)
    finally:
        text.flush()
        text.detach()  # the caller's stream is not closed with the wrapper


def write_xlsx(lines: Iterable[BillingLine], stream) -> dict[str, Decimal]:
    """Write the same rows as write_csv as an XLSX workbook (openpyxl, write-only: rows go to
    disk as they come) to a binary stream or a path; returns the totals. Dates as dates,
    minutes as whole numbers, hours, rate and amount as numbers shown with 2 decimals."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("billing")
    sheet.append(COLUMNS)

    def money(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = MONEY_FORMAT
        return cell

    sums: dict[str, Decimal] = {}
    for line in lines:
        _add(sums, line)
        client, contract, project, ticket, agent = _text_cells(line)
        sheet.append((line.date, client, contract, project, ticket, agent, line.minutes,
                      money(line.hours), money(line.rate), money(line.amount),
                      neutralised(line.currency), line.billable, neutralised(line.batch)))
    sums = dict(sorted(sums.items()))
    for currency, amount in sums.items():
        sheet.append(_total_row(money(amount), neutralised(currency), blank=None))
    workbook.save(stream)
    return sums
