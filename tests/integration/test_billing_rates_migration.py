"""Migration 7b3c4d5e6f70 keeps every existing time entry: billable from its ticket's kept
billing basis (not on a free or contract-covered ticket), not valued (rate, currency and amount
NULL); its CHECKs refuse a negative rate and a half-valued entry; it downgrades cleanly."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db

BEFORE = "6a2b3c4d5e6f"
SCHEMA = "7b3c4d5e6f70"


def _insert_old_rows(conn) -> None:
    """Tickets on each basis, each with one time entry, as the previous schema stored them."""
    conn.execute(text("INSERT INTO client (id, name, active, notes, created_at) "
                      "VALUES (1, 'Acme', :t, '', CURRENT_TIMESTAMP)"), {"t": True})
    conn.execute(text("INSERT INTO \"user\" (id, email, name, password_hash, role, language, "
                      "active, created_at, session_version) VALUES (1, 'ana@example.com', 'Ana', "
                      "'x', 'AGENT', 'ES', :t, CURRENT_TIMESTAMP, 1)"), {"t": True})
    for ticket_id, basis in ((1, "FREE"), (2, "CONTRACT"), (3, "QUOTE"), (4, None)):
        conn.execute(text(
            "INSERT INTO ticket (id, sequence, number, client_id, subject, description, urgency, "
            "status, billing_basis, payment_status, total_minutes, source, created_at, "
            "updated_at, lock_version) VALUES (:id, :id, :number, 1, 's', 'd', 'MEDIUM', "
            "'IN_PROGRESS', :basis, 'UNPAID', 30, 'WEB', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"),
            {"id": ticket_id, "number": f"TCK-{ticket_id:06d}", "basis": basis})
        conn.execute(text(
            "INSERT INTO time_entry (id, ticket_id, user_id, minutes, work_date, note, created_at) "
            "VALUES (:id, :id, 1, 30, '2026-11-20', 'trabajo', CURRENT_TIMESTAMP)"),
            {"id": ticket_id})


def test_existing_entries_are_kept_billable_by_basis_and_not_valued(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert_old_rows(conn)
        upgrade(revision=SCHEMA)
        with db.engine.connect() as conn:
            rows = {row.id: (bool(row.billable), row.rate, row.currency, row.amount,
                             row.billing_batch_id, row.minutes, row.note)
                    for row in conn.execute(text(
                        "SELECT id, billable, rate, currency, amount, billing_batch_id, minutes, "
                        "note FROM time_entry"))}
        not_valued = (None, None, None, None, 30, "trabajo")
        assert rows == {1: (False, *not_valued), 2: (False, *not_valued),
                        3: (True, *not_valued), 4: (True, *not_valued)}
        for statement in (
                "UPDATE client SET hourly_rate = -5 WHERE id = 1",
                "UPDATE time_entry SET rate = 50 WHERE id = 3",  # no currency, no amount
        ):
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text(statement))
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE time_entry SET rate = 50, currency = 'EUR', amount = 25 "
                              "WHERE id = 3"))
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM time_entry")).scalar() == 4
        db.engine.dispose()
