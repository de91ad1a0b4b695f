"""Migration 0211e0efd509 fills, for the tickets already there, when the customer last wrote and
when staff last answered publicly (the list's "customer waiting" marker), from the notes written
before it; a ticket opened by mail counts its description as the customer's first message.
Downgrading keeps SQLite's full-text search of tickets working after the table's rebuild."""
import datetime as dt

from sqlalchemy import text

from app.extensions import db

BEFORE = "e874eb521e45"
SCHEMA = "0211e0efd509"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _insert_old_rows(conn) -> None:
    conn.execute(text("INSERT INTO client (id, name, active, notes, created_at) "
                      "VALUES (1, 'Acme', :t, '', :at)"), {"t": True, "at": T0})
    for ticket_id, source, subject in ((1, "EMAIL", "impresora por correo"),
                                       (2, "WEB", "respondido"), (3, "WEB", "sin mensajes"),
                                       (4, "EMAIL", "contestado y vuelve a escribir")):
        conn.execute(text(
            "INSERT INTO ticket (id, sequence, number, client_id, subject, description, urgency, "
            "status, payment_status, total_minutes, source, created_at, updated_at, "
            "lock_version) VALUES (:id, :sequence, :number, 1, :subject, :description, 'MEDIUM', "
            "'NEW', 'UNPAID', 0, :source, :created, :updated, 1)"),
            {"id": ticket_id, "sequence": ticket_id, "number": f"TCK-{ticket_id:06d}",
             "subject": subject, "description": subject, "source": source, "created": T0,
             "updated": T0})
    notes = [  # ticket, kind, hours after T0
        (2, "CUSTOMER_EMAIL", 1), (2, "PUBLIC_REPLY", 2), (2, "INTERNAL", 3),
        (4, "PUBLIC_REPLY", 1), (4, "CUSTOMER_EMAIL", 5), (4, "CUSTOMER_EMAIL", 4),
    ]
    for ticket_id, kind, hours in notes:
        conn.execute(text("INSERT INTO note (ticket_id, kind, body_text, created_at) "
                          "VALUES (:t, :k, 'texto', :at)"),
                     {"t": ticket_id, "k": kind, "at": T0 + dt.timedelta(hours=hours)})


def _hours(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns the stored text
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return int((value - T0).total_seconds() // 3600)


def test_existing_tickets_know_who_spoke_last(scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert_old_rows(conn)
        upgrade(revision=SCHEMA)
        with db.engine.connect() as conn:
            rows = {row.id: (_hours(row.last_customer_message_at), _hours(row.last_staff_reply_at))
                    for row in conn.execute(text(
                        "SELECT id, last_customer_message_at, last_staff_reply_at FROM ticket"))}
        assert rows == {1: (0, None), 2: (1, 2), 3: (None, None), 4: (5, 1)}
        downgrade(revision=BEFORE)
        if db.engine.dialect.name == "sqlite":  # the rebuilt table is still searchable
            with db.engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO ticket (id, sequence, number, client_id, subject, description, "
                    "urgency, status, payment_status, total_minutes, source, created_at, "
                    "updated_at, lock_version) VALUES (5, 5, 'TCK-000005', 1, 'servidor caido', "
                    "'servidor caido', 'HIGH', 'NEW', 'UNPAID', 0, 'WEB', :created, :updated, 1)"),
                    {"created": T0, "updated": T0})
                found = {word: conn.execute(text(
                    "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :w"), {"w": word}
                ).scalars().all() for word in ("impresora", "servidor")}
            assert found == {"impresora": [1], "servidor": [5]}
        db.engine.dispose()
