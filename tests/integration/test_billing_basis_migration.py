"""Migration 43ce3c71fa4d gives every existing ticket the billing basis it had on the day of the
upgrade (is_free, an approved current quote, a covering contract), keeps it when the contract
changes afterwards, and leaves SQLite's full-text search working after the table's rebuild."""
import datetime as dt

from sqlalchemy import text

from app.extensions import db

BEFORE = "953c1a88c49f"
SCHEMA = "43ce3c71fa4d"


def _insert_old_rows(conn) -> None:
    """Tickets as the previous schema stored them (is_free, no basis)."""
    conn.execute(text("INSERT INTO client (id, name, active, notes, created_at) "
                      "VALUES (1, 'Acme', :t, '', CURRENT_TIMESTAMP)"), {"t": True})
    conn.execute(text(
        "INSERT INTO contract (id, client_id, name, covers_support, starts_on, ends_on, active) "
        "VALUES (1, 1, 'Soporte total', :t, NULL, NULL, :t), "
        "       (2, 1, 'Vencido', :t, :start, :end, :t)"),
        {"t": True, "start": dt.date(2020, 1, 1), "end": dt.date(2020, 12, 31)})
    tickets = [  # id, is_free, contract_id, subject
        (1, True, None, "marcado gratis"), (2, False, 1, "cubierto por contrato"),
        (3, False, None, "cotizacion aprobada"), (4, False, None, "cotizacion pendiente"),
        (5, False, 2, "contrato vencido"), (6, False, None, "impresora atascada"),
    ]
    for ticket_id, free, contract_id, subject in tickets:
        conn.execute(text(
            "INSERT INTO ticket (id, sequence, number, client_id, contract_id, subject, "
            "description, urgency, status, is_free, payment_status, total_minutes, source, "
            "created_at, updated_at, lock_version) VALUES (:id, :id, :number, 1, :contract, "
            ":subject, :description, 'MEDIUM', 'NEW', :free, 'UNPAID', 0, 'WEB', CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP, 1)"),
            {"id": ticket_id, "number": f"TCK-{ticket_id:06d}", "contract": contract_id,
             "subject": subject, "description": subject, "free": free})
    for ticket_id, version, status in ((3, 1, "SUPERSEDED"), (3, 2, "APPROVED"),
                                       (4, 1, "QUOTED")):
        conn.execute(text(
            "INSERT INTO quote (ticket_id, version, price, estimated_hours, currency, message, "
            "status, created_at) VALUES (:t, :v, 100, 2, 'EUR', '', :s, CURRENT_TIMESTAMP)"),
            {"t": ticket_id, "v": version, "s": status})


def test_existing_tickets_keep_the_basis_they_had(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert_old_rows(conn)
        upgrade(revision=SCHEMA)
        with db.engine.connect() as conn:
            rows = {row.id: (row.billing_basis, row.billing_contract_id, row.billing_quote_version)
                    for row in conn.execute(text(
                        "SELECT id, billing_basis, billing_contract_id, billing_quote_version "
                        "FROM ticket"))}
        assert rows == {1: ("FREE", None, None), 2: ("CONTRACT", 1, None),
                        3: ("QUOTE", None, 2), 4: (None, None, None), 5: (None, None, None),
                        6: (None, None, None)}
        if db.engine.dialect.name == "sqlite":  # the rebuilt table is searchable, old and new rows
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO ticket (id, sequence, number, client_id, subject, description, "
                    "urgency, status, payment_status, total_minutes, source, created_at, "
                    "updated_at, lock_version) VALUES (7, 7, 'TCK-000007', 1, 'servidor caido', "
                    "'servidor caido', 'HIGH', 'NEW', 'UNPAID', 0, 'WEB', CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP, 1)"))
                found = {word: conn.execute(text(
                    "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :w"), {"w": word}
                ).scalars().all() for word in ("impresora", "servidor")}
            assert found == {"impresora": [6], "servidor": [7]}
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            free = dict(conn.execute(text("SELECT id, is_free FROM ticket WHERE id <= 6")).all())
        assert {k for k, v in free.items() if v} == {1}  # coverage was derived, never stored
        db.engine.dispose()
