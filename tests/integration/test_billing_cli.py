"""`flask billing export|close|unlock` end to end (issue 13): the files an accountant opens,
a closing that prints its batch and totals, clear refusals of bad input (exit code 2, no
traceback), an unlock."""
import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import BillingBatch, TimeEntry
from tests import billing_data as data
from tests.billing_data import NOV_1, UTC

PERIOD = ["--from", "2026-11-01", "--to", "2026-11-30"]


@pytest.fixture
def billed(app, world):
    """Two clients' time in November (EUR and USD) and a fixed-price quote (USD)."""
    data.fix_clock(app)
    data.entry(data.ticket(world, contract_id=world.contract.id), world.agent, NOV_1, 90)
    data.entry(data.ticket(world, other_client=True), world.agent2, dt.date(2026, 11, 2), 30,
               "60.00", "USD")
    data.approved_quote(world, dt.datetime(2026, 11, 3, 12, tzinfo=UTC), price="200.00")
    db.session.commit()
    return world


def _csv(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def test_export_writes_the_csv_to_standard_output(runner, billed):
    result = runner.invoke(args=["billing", "export", *PERIOD, "--format", "csv",
                                 "--output", "-"])
    assert result.exit_code == 0, result.output
    rows = _csv(result.output)
    assert rows[0][:3] == ["date", "client", "contract"] and len(rows) == 1 + 3 + 2
    assert [(row[0], row[9], row[10]) for row in rows[-2:]] == [("TOTAL", "75.00", "EUR"),
                                                                ("TOTAL", "230.00", "USD")]
    only = runner.invoke(args=["billing", "export", *PERIOD, "--client", "Acme S.A.",
                               "--contract", "Licencias", "--format", "csv", "--output", "-"])
    assert [row[2] for row in _csv(only.output)[1:-1]] == ["Licencias"]
    assert db.session.scalars(select(TimeEntry).where(TimeEntry.billing_batch_id.is_not(None))
                              ).all() == []


def test_export_writes_an_xlsx_file(runner, billed, tmp_path):
    target = tmp_path / "noviembre.xlsx"
    result = runner.invoke(args=["billing", "export", *PERIOD, "--client", "Otra Empresa",
                                 "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[1][:2] == (dt.datetime(2026, 11, 2), "Otra Empresa") and rows[1][9] == 30
    assert rows[-1][0] == "TOTAL" and rows[-1][9] == 30 and rows[-1][10] == "USD"
    assert [p.name for p in tmp_path.iterdir()] == ["noviembre.xlsx"]  # no partial file left
    piped = runner.invoke(args=["billing", "export", *PERIOD, "--format", "xlsx",
                                "--output", "-"])
    assert piped.exit_code == 0
    rows = list(load_workbook(io.BytesIO(piped.stdout_bytes)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3 + 2 and rows[-1][:1] == ("TOTAL",)


@pytest.mark.parametrize("arguments, says", [
    (["--from", "2026-11-31", "--to", "2026-12-01"], "--from"),
    (["--from", "1/11/2026", "--to", "2026-12-01"], "--from"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "--from/--to"),
    (["--from", "0001-01-01", "--to", "2026-11-01"], "--from"),
    (["--from", "2026-11-01", "--to", "9999-12-31"], "--to"),
    ([*PERIOD, "--client", "Nadie"], "Nadie"),
    ([*PERIOD, "--contract", "Nada"], "Nada"),
    ([*PERIOD, "--client", "Otra Empresa", "--contract", "Licencias"], "Licencias"),
])
def test_bad_input_is_a_usage_error_not_a_traceback(runner, billed, arguments, says):
    for command in (["export", "--format", "csv", "--output", "-"],
                    ["close", "--as", "super@soporte.example"]):
        result = runner.invoke(args=["billing", command[0], *arguments, *command[1:]])
        assert result.exit_code == 2, result.output
        assert says in result.output and "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    assert db.session.scalars(select(BillingBatch)).all() == []


def test_close_creates_the_batch_and_prints_its_totals(runner, billed):
    result = runner.invoke(args=["billing", "close", *PERIOD, "--as", "super@soporte.example"])
    assert result.exit_code == 0, result.output
    assert "LOTE-2026-0001" in result.output and "time entries: 2, fixed-price quotes: 1" in result.output
    assert "75.00 EUR" in result.output and "230.00 USD" in result.output
    db.session.expire_all()
    batch = db.session.scalars(select(BillingBatch)).one()
    assert (len(batch.entries), len(batch.quotes), batch.created_by.email) == (
        2, 1, "super@soporte.example")
    again = runner.invoke(args=["billing", "close", *PERIOD, "--as", "super@soporte.example"])
    assert again.exit_code == 1 and "2026-11-01" in again.output
    assert "Traceback" not in again.output
    empty = runner.invoke(args=["billing", "export", *PERIOD, "--format", "csv", "--output", "-"])
    assert len(_csv(empty.output)) == 1  # the header: everything is billed


def test_close_needs_a_supervisor(runner, billed):
    for email, code in (("agent@soporte.example", 1), ("nadie@soporte.example", 2)):
        result = runner.invoke(args=["billing", "close", *PERIOD, "--as", email])
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
    missing = runner.invoke(args=["billing", "close", *PERIOD])
    assert missing.exit_code == 2 and "--as" in missing.output
    assert db.session.scalars(select(BillingBatch)).all() == []


def test_unlock_a_batch_by_its_number(runner, billed):
    runner.invoke(args=["billing", "close", *PERIOD, "--client", "Acme S.A.",
                        "--as", "super@soporte.example"])
    unknown = runner.invoke(args=["billing", "unlock", "LOTE-2026-0099",
                                  "--as", "super@soporte.example"])
    assert unknown.exit_code == 2 and "LOTE-2026-0099" in unknown.output
    refused = runner.invoke(args=["billing", "unlock", "LOTE-2026-0001",
                                  "--as", "agent@soporte.example"])
    assert refused.exit_code == 1
    result = runner.invoke(args=["billing", "unlock", "lote-2026-0001", "--as",
                                 "super@soporte.example", "--note", "Factura anulada"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    batch = db.session.scalars(select(BillingBatch)).one()
    assert not batch.is_locked and batch.unlocked_by.email == "super@soporte.example"
    twice = runner.invoke(args=["billing", "unlock", "LOTE-2026-0001",
                                "--as", "super@soporte.example"])
    assert twice.exit_code == 1
