"""A period's billing lines and their files, and closing a period into a numbered batch (issue
13, docs/billing.md "Lines of a period", "Batches"): the lines chosen, their order and totals,
CSV and XLSX a spreadsheet opens safely, batches that bill each line once."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import BillingBatch, TicketChange
from app.services.billing import batches, exports
from app.services.errors import NotPermitted, ValidationFailed
from tests import billing_data as data
from tests.billing_data import NOV_1, NOV_30, UTC

D = Decimal


@pytest.fixture(autouse=True)
def fixed_clock(app):
    data.fix_clock(app)


def _lines(*args, **kwargs):
    return list(exports.billing_lines(*args, **kwargs))


def _ids(lines, kind="time"):
    return [line.source_id for line in lines if line.kind == kind]


# --- which lines ------------------------------------------------------------------------------

def test_the_period_holds_the_billable_entries_of_its_days_both_ends_included(world):
    ticket = data.ticket(world)
    before = data.entry(ticket, world.agent, dt.date(2026, 10, 31))
    first = data.entry(ticket, world.agent, NOV_1)
    last = data.entry(ticket, world.agent, NOV_30)
    after = data.entry(ticket, world.agent, dt.date(2026, 12, 1))
    data.entry(ticket, world.agent, dt.date(2026, 11, 15), billable=False)
    db.session.commit()
    assert _ids(_lines(NOV_1, NOV_30)) == [first.id, last.id]
    assert _ids(_lines(dt.date(2026, 10, 31), dt.date(2026, 10, 31))) == [before.id]
    assert _ids(_lines(dt.date(2026, 12, 1), dt.date(2026, 12, 31))) == [after.id]


def test_lines_are_ordered_by_date_then_ticket_number_then_id(world):
    first_ticket, second_ticket = data.ticket(world), data.ticket(world)
    late = data.entry(first_ticket, world.agent, dt.date(2026, 11, 3))
    b = data.entry(second_ticket, world.agent, dt.date(2026, 11, 2))
    a2 = data.entry(first_ticket, world.agent2, dt.date(2026, 11, 2), minutes=30)
    a1 = data.entry(first_ticket, world.agent, dt.date(2026, 11, 2))
    db.session.commit()
    lines = _lines(NOV_1, NOV_30)
    assert _ids(lines) == [a2.id, a1.id, b.id, late.id]
    line = lines[0]
    assert (line.date, line.ticket, line.client, line.agent, line.minutes, line.hours,
            line.rate, line.amount, line.currency, line.billable, line.batch, line.kind) == (
        dt.date(2026, 11, 2), first_ticket.number, "Acme S.A.", "Agente Dos", 30, D("0.50"),
        D("50.00"), D("25.00"), "EUR", True, "", "time")


def test_a_client_or_contract_filter_keeps_its_tickets_lines(world):
    plain = data.ticket(world)
    under_contract = data.ticket(world, contract_id=world.contract.id, project_id=world.project.id)
    other = data.ticket(world, other_client=True)
    lines = {t.id: data.entry(t, world.agent, dt.date(2026, 11, 5))
             for t in (plain, under_contract, other)}
    db.session.commit()
    assert _ids(_lines(NOV_1, NOV_30, client=world.client)) == [lines[plain.id].id,
                                                                lines[under_contract.id].id]
    assert _ids(_lines(NOV_1, NOV_30, client=world.other_client)) == [lines[other.id].id]
    by_contract = _lines(NOV_1, NOV_30, contract=world.contract)
    assert _ids(by_contract) == [lines[under_contract.id].id]
    assert (by_contract[0].contract, by_contract[0].project) == ("Licencias", "Red nueva")
    assert _lines(NOV_1, NOV_30, client=world.other_client, contract=world.contract) == []


def test_only_lines_not_billed_yet_unless_a_batch_is_asked_for(world):
    ticket = data.ticket(world)
    billed = data.entry(ticket, world.agent, dt.date(2026, 11, 4))
    open_entry = data.entry(ticket, world.agent, dt.date(2026, 11, 5))
    batch = batches.create_batch(world.supervisor, "LOTE-2026-0001", NOV_1, NOV_30, [billed])
    db.session.commit()
    assert _ids(_lines(NOV_1, NOV_30)) == [open_entry.id]
    in_batch = _lines(dt.date(2020, 1, 1), dt.date(2020, 1, 1), batch=batch)
    assert _ids(in_batch) == [billed.id] and in_batch[0].batch == "LOTE-2026-0001"


def test_a_quote_is_a_line_when_the_ticket_bills_its_price(world):
    ticket, quote = data.approved_quote(world, dt.datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
                                        price="300.00", hours="2.5", currency="USD")
    entry = data.entry(ticket, world.agent, dt.date(2026, 11, 10))
    db.session.commit()
    lines = _lines(NOV_1, NOV_30)
    assert [(line.kind, line.source_id) for line in lines] == [("time", entry.id),
                                                                ("quote", quote.id)]
    line = lines[1]
    assert (line.date, line.ticket, line.minutes, line.hours, line.rate, line.amount,
            line.currency, line.billable, line.agent) == (
        dt.date(2026, 11, 10), ticket.number, 150, D("2.50"), None, D("300.00"), "USD", True,
        "Agente Uno")
    ticket.billing_by_time = True  # a supervisor bills this ticket's time instead
    db.session.commit()
    assert _ids(_lines(NOV_1, NOV_30), "quote") == []


def test_a_quote_not_approved_or_not_the_billed_version_is_no_line(world):
    from tests import factories

    pending = data.ticket(world)
    factories.quote(world, pending)
    ticket, quote = data.approved_quote(world, dt.datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    ticket.billing_quote_version = quote.version + 1  # billed under another version
    db.session.commit()
    assert _lines(NOV_1, NOV_30) == []


def test_a_quotes_day_is_the_companys_day_of_its_decision(world):
    # 23:30 UTC on 31 October is 00:30 on 1 November in Madrid (CET, UTC+1)
    _, early = data.approved_quote(world, dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    # 23:30 UTC on 30 November is already 1 December in Madrid
    _, late = data.approved_quote(world, dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    lines = _lines(NOV_1, NOV_30)
    assert _ids(lines, "quote") == [early.id] and lines[0].date == NOV_1
    assert _ids(_lines(dt.date(2026, 12, 1), dt.date(2026, 12, 1)), "quote") == [late.id]
    assert _ids(_lines(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), "quote") == []


def test_a_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValidationFailed) as raised:
        exports.billing_lines(NOV_30, NOV_1)
    assert raised.value.field == "period_to"


def test_filters_are_found_by_name_or_refused_clearly(world):
    assert exports.filters_named("Acme S.A.", "Licencias") == (world.client, world.contract)
    assert exports.filters_named(" ", None) == (None, None)
    for names, field in ((("Nadie", None), "client"), ((None, "Nada"), "contract"),
                         (("Otra Empresa", "Licencias"), "contract")):
        with pytest.raises(ValidationFailed) as raised:
            exports.filters_named(*names)
        assert raised.value.field == field
    from app.models import Contract
    db.session.add(Contract(client=world.other_client, name="Licencias"))
    db.session.commit()
    with pytest.raises(ValidationFailed) as raised:
        exports.filters_named(None, "Licencias")
    assert raised.value.field == "contract"
    assert exports.filters_named("Otra Empresa", "Licencias")[1].client == world.other_client


# --- totals and files ---------------------------------------------------------------------------

def _two_currencies(world):
    euros, dollars = data.ticket(world), data.ticket(world, other_client=True)
    amounts = {"EUR": D("0"), "USD": D("0")}
    for day, minutes, rate in ((3, 50, "50.00"), (4, 7, "45.00"), (5, 90, "33.33")):
        for ticket, currency in ((euros, "EUR"), (dollars, "USD")):
            row = data.entry(ticket, world.agent, dt.date(2026, 11, day), minutes, rate, currency)
            amounts[currency] += row.amount
    _, quote = data.approved_quote(world, dt.datetime(2026, 11, 6, 12, tzinfo=UTC),
                                   price="120.50", currency="USD")
    amounts["USD"] += quote.price
    db.session.commit()
    return amounts


def test_totals_are_the_sum_of_the_amounts_per_currency(world):
    amounts = _two_currencies(world)
    assert amounts == {"EUR": D("41.67") + D("5.25") + D("50.00"),
                       "USD": D("41.67") + D("5.25") + D("50.00") + D("120.50")}
    assert exports.totals(exports.billing_lines(NOV_1, NOV_30)) == amounts


def test_the_csv_has_the_header_a_row_per_line_and_a_total_per_currency(world):
    amounts = _two_currencies(world)
    stream = io.StringIO(newline="")
    assert exports.write_csv(exports.billing_lines(NOV_1, NOV_30), stream) == amounts
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert rows[0] == list(exports.COLUMNS)
    body, totals = rows[1:-2], rows[-2:]
    assert len(body) == 7
    assert body[0] == ["2026-11-03", "Acme S.A.", "", "", body[0][4], "Agente Uno", "50", "0.83",
                       "50.00", "41.67", "EUR", "true", ""]
    quote_row = next(row for row in body if row[8] == "")
    assert quote_row[6:12] == ["150", "2.50", "", "120.50", "USD", "true"]
    assert [(row[0], D(row[9]), row[10]) for row in totals] == [
        ("TOTAL", amounts["EUR"], "EUR"), ("TOTAL", amounts["USD"], "USD")]
    assert sum(D(row[9]) for row in body if row[10] == "USD") == amounts["USD"]


def test_csv_text_cells_that_a_spreadsheet_would_run_are_neutralised(world):
    from app.models import Project

    names = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]
    for name in names:
        project = Project(client=world.client, name=name)
        db.session.add(project)
        db.session.flush()
        data.entry(data.ticket(world, project_id=project.id), world.agent, NOV_1)
    world.agent.name = "=cmd|' /C calc'!A0"
    db.session.commit()
    stream = io.StringIO(newline="")
    exports.write_csv(exports.billing_lines(NOV_1, NOV_30), stream)
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))[1:-1]
    assert [row[3] for row in rows] == ["'" + name for name in names]
    assert {row[5] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert exports.neutralised("Acme - Madrid") == "Acme - Madrid"
    assert exports.neutralised("-") == "'-" and exports.neutralised("") == ""


def test_the_xlsx_holds_numbers_and_dates_and_its_totals_are_the_sums(world):
    amounts = _two_currencies(world)
    data.entry(data.ticket(world, project_id=None, subject="x"), world.agent, NOV_30)
    world.agent.name = "@agente"
    db.session.commit()
    stream = io.BytesIO()
    exports.write_xlsx(exports.billing_lines(NOV_1, NOV_30), stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == exports.COLUMNS
    body, totals = rows[1:-2], rows[-2:]
    first = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert first[0].value == dt.datetime(2026, 11, 3) and first[0].is_date
    assert (first[6].value, first[7].value, first[8].value, first[9].value) == (50, 0.83, 50, 41.67)
    assert first[9].number_format == "0.00" and first[7].number_format == "0.00"
    assert first[5].value == "'@agente" and first[11].value is True
    expected = {"EUR": amounts["EUR"] + D("50.00"), "USD": amounts["USD"]}
    assert {row[10]: round(D(str(row[9])), 2) for row in totals} == expected
    assert all(row[0] == "TOTAL" for row in totals)
    for currency, total in expected.items():
        assert round(sum(D(str(row[9])) for row in body if row[10] == currency), 2) == total


def test_exporting_marks_nothing_billed(world):
    _two_currencies(world)
    exports.write_csv(exports.billing_lines(NOV_1, NOV_30), io.StringIO())
    exports.write_xlsx(exports.billing_lines(NOV_1, NOV_30), io.BytesIO())
    db.session.commit()
    assert len(_lines(NOV_1, NOV_30)) == 7
    assert db.session.scalars(select(BillingBatch)).all() == []


# --- closing a period -----------------------------------------------------------------------------

def _history(ticket):
    return [(c.old_value, c.new_value) for c in db.session.scalars(
        select(TicketChange).where(TicketChange.ticket_id == ticket.id,
                                   TicketChange.field == "billing_batch")
        .order_by(TicketChange.id))]


def test_closing_a_period_bills_its_entries_and_quotes_once(world):
    ticket = data.ticket(world)
    entry = data.entry(ticket, world.agent, dt.date(2026, 11, 3))
    outside = data.entry(ticket, world.agent, dt.date(2026, 12, 1))
    quoted, quote = data.approved_quote(world, dt.datetime(2026, 11, 6, 12, tzinfo=UTC))
    db.session.commit()
    batch = batches.close_period(world.supervisor, NOV_1, NOV_30)
    db.session.commit()
    assert batch.number == "LOTE-2026-0001"
    assert (batch.period_from, batch.period_to, batch.client, batch.created_by_id) == (
        NOV_1, NOV_30, None, world.supervisor.id)
    assert entry.billing_batch == batch and quote.billing_batch == batch
    assert outside.billing_batch is None and entry.is_locked
    assert _history(ticket) == [(None, "LOTE-2026-0001")] == _history(quoted)
    assert _ids(_lines(NOV_1, NOV_30, batch=batch)) == [entry.id]
    with pytest.raises(ValidationFailed) as raised:
        batches.close_period(world.supervisor, NOV_1, NOV_30)
    assert "2026-11-01" in str(raised.value) and raised.value.field == "period_from"


def test_a_closing_keeps_to_its_client_or_contract(world):
    mine = data.entry(data.ticket(world, contract_id=world.contract.id), world.agent, NOV_1)
    theirs = data.entry(data.ticket(world, other_client=True), world.agent, NOV_1)
    db.session.commit()
    batch = batches.close_period(world.supervisor, NOV_1, NOV_30, contract=world.contract)
    db.session.commit()
    assert (batch.client, batch.contract) == (world.client, world.contract)
    assert mine.billing_batch == batch and theirs.billing_batch is None
    other = batches.close_period(world.supervisor, NOV_1, NOV_30, client=world.other_client)
    assert (other.client, other.contract, theirs.billing_batch) == (world.other_client, None,
                                                                    other)


def test_batches_are_numbered_per_year_of_creation(app, world):
    ticket = data.ticket(world)
    batches.create_batch(world.supervisor, "LOTE-2026-0009", NOV_1, NOV_30, [])
    batches.create_batch(world.supervisor, "LOTE-2025-0042", NOV_1, NOV_30, [])
    data.entry(ticket, world.agent, dt.date(2026, 11, 2))
    assert batches.close_period(world.supervisor, NOV_1, NOV_30).number == "LOTE-2026-0010"
    data.entry(ticket, world.agent, dt.date(2026, 12, 30))
    data.fix_clock(app, dt.datetime(2027, 1, 2, 9, tzinfo=UTC))
    december = batches.close_period(world.supervisor, dt.date(2026, 12, 1),
                                    dt.date(2026, 12, 31))
    assert december.number == "LOTE-2027-0001"
    data.entry(ticket, world.agent, dt.date(2027, 1, 1))
    january = batches.close_period(world.supervisor, dt.date(2027, 1, 1), dt.date(2027, 1, 1))
    assert january.number == "LOTE-2027-0002"


def test_only_a_supervisor_closes_a_period(world):
    data.entry(data.ticket(world), world.agent, NOV_1)
    db.session.commit()
    for actor in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            batches.close_period(actor, NOV_1, NOV_30)
    assert batches.close_period(world.admin, NOV_1, NOV_30).number == "LOTE-2026-0001"


def test_unlocking_a_batch_reaches_the_tickets_it_billed_by_their_quote(world):
    quoted, quote = data.approved_quote(world, dt.datetime(2026, 11, 6, 12, tzinfo=UTC))
    batch = batches.close_period(world.supervisor, NOV_1, NOV_30)
    db.session.commit()
    assert batch.entries == [] and batch.quotes == [quote]
    batches.unlock_batch(world.supervisor, batch, "Factura anulada")
    db.session.commit()
    assert _history(quoted) == [(None, batch.number), (batch.number, batches.UNLOCKED)]
    assert batches.batch_by_number(batch.number.lower()) == batch


def test_a_batch_refuses_a_quote_not_approved_or_a_line_billed_already(world):
    from tests import factories

    pending = data.ticket(world)
    quote = factories.quote(world, pending)
    with pytest.raises(ValidationFailed) as raised:
        batches.create_batch(world.supervisor, "X-1", NOV_1, NOV_30, [], quotes=[quote])
    assert raised.value.field == "quotes"
    db.session.rollback()
    entry = data.entry(data.ticket(world), world.agent, NOV_1)
    batches.create_batch(world.supervisor, "X-2", NOV_1, NOV_30, [entry])
    db.session.commit()
    assert entry.billing_batch.number == "X-2"
    with pytest.raises(ValidationFailed) as raised:
        batches.create_batch(world.supervisor, "X-3", NOV_1, NOV_30, [entry])
    assert raised.value.field == "entries"
    db.session.rollback()
    assert [b.number for b in db.session.scalars(select(BillingBatch))] == ["X-2"]


def test_the_dashboard_and_the_api_ask_for_a_format_and_get_bytes(world):
    amounts = _two_currencies(world)
    assert [exports.parse_format(v) for v in ("csv", " XLSX ")] == ["csv", "xlsx"]
    for bad in (None, "", "pdf"):
        with pytest.raises(ValidationFailed) as raised:
            exports.parse_format(bad)
        assert raised.value.field == "format"
    spool = io.BytesIO()
    assert exports.write_file(exports.billing_lines(NOV_1, NOV_30), "csv", spool) == amounts
    assert not spool.closed
    rows = list(csv.reader(io.StringIO(spool.getvalue().decode("utf-8"), newline="")))
    assert rows[0] == list(exports.COLUMNS) and len(rows) == 1 + 7 + 2
    spool = io.BytesIO()
    exports.write_file(exports.billing_lines(NOV_1, NOV_30), "xlsx", spool)
    assert load_workbook(io.BytesIO(spool.getvalue())).active.max_row == 1 + 7 + 2


def test_a_contract_filter_must_be_the_client_filters(world):
    exports.check_period(NOV_1, NOV_30, world.client, world.contract)
    with pytest.raises(ValidationFailed) as raised:
        exports.check_period(NOV_1, NOV_30, world.other_client, world.contract)
    assert raised.value.field == "contract" and "Licencias" in str(raised.value)


def test_batches_are_read_by_supervisors(world):
    from app.services.errors import NotFound

    first = batches.create_batch(world.supervisor, "LOTE-2026-0001", NOV_1, NOV_30, [])
    second = batches.create_batch(world.supervisor, "LOTE-2026-0002", NOV_1, NOV_30, [])
    db.session.commit()
    assert batches.recent_batches(world.supervisor) == [second, first]
    assert batches.recent_batches(world.admin, limit=1) == [second]
    assert batches.get_batch(world.supervisor, first.id) == first
    with pytest.raises(NotFound):
        batches.get_batch(world.supervisor, second.id + 1)
    for reader in (world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            batches.recent_batches(reader)
        with pytest.raises(NotPermitted):
            batches.get_batch(reader, first.id)
        with pytest.raises(NotPermitted):
            exports.check_export(reader)
    exports.check_export(world.supervisor)
