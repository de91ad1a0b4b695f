"""The database holds its own rules (migration e874eb521e45): every enum column refuses a value
outside its enum whoever writes the row (raw SQL included), the indexes the poller, the bell,
the list and billing need exist, and full-text search still works after the tables' rebuild."""
import pytest
from sqlalchemy import Enum, UniqueConstraint, inspect, text
from sqlalchemy.exc import IntegrityError

import app.models  # noqa: F401 - every model's table in the metadata
from app.extensions import db
from app.models import (BillingAlert, InboundMessage, InboundOutcome, OutboxMessage, Role,
                        SlaAlert, SlaTarget, Urgency)
from app.models.enums import BankPeriod, BillingAlertKind, SlaAlertLevel, SlaClock
from app.services import notes, ticket_list
from app.services.ticket_list import TicketFilters
from app.services.webhooks.endpoints import EndpointInput, create_endpoint
from tests import factories

BEFORE = "43ce3c71fa4d"
NOT_A_VALUE = "NOT_A_VALUE"

# Found in the models, so an enum column added later is covered without touching this file.
ENUM_COLUMNS = [pytest.param(table.name, column.name, column.type.enums,
                             id=f"{table.name}.{column.name}")
                for table in db.metadata.sorted_tables for column in table.columns
                if isinstance(column.type, Enum)]

NEW_INDEXES = [  # table, index, its columns
    ("time_entry", "ix_time_entry_work_date", ["work_date"]),
    ("inbound_message", "ix_inbound_message_from_address_received_at",
     ["from_address", "received_at"]),
    ("notification", "ix_notification_user_id_read_at", ["user_id", "read_at"]),
    ("ticket", "ix_ticket_updated_at", ["updated_at"]),
    ("ticket", "ix_ticket_status_id", ["status", "id"]),
    ("ticket", "ix_ticket_urgency_id", ["urgency", "id"]),
    ("ticket", "ix_ticket_status_sla_due", ["status", "sla_due"]),
]


def _check_name(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


@pytest.fixture
def a_row_in_every_table(app, world):
    """One row in each table with an enum column, written through the services where they exist."""
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    create_endpoint(world.admin, EndpointInput(url="http://127.0.0.1:9/hook", event_types=[]))
    ticket = factories.new_ticket(world, subject="Impresora atascada")  # and its delivery
    create_endpoint(world.admin, EndpointInput(url="http://127.0.0.1:9/other", event_types=[]))
    notes.add_internal_note(world.agent, ticket, "Revisar la bandeja")
    factories.quote(world, ticket)
    world.contract.included_hours, world.contract.bank_period = 10, BankPeriod.MONTH
    db.session.add_all([
        BillingAlert(kind=BillingAlertKind.BANK, subject_id=world.contract.id, period="2026-11",
                     threshold=80),
        SlaTarget(urgency=Urgency.CRITICAL, first_response_minutes=60, next_response_minutes=60,
                  resolution_minutes=480),
        SlaAlert(ticket_id=ticket.id, clock=SlaClock.FIRST_RESPONSE, cycle="opened",
                 level=SlaAlertLevel.WARNING),
        OutboxMessage(kind="test", to_address="carla@acme.example", subject="s", body_text="b",
                      message_id="<constraints@soporte.example>"),
        InboundMessage(mailbox="INBOX", uid="1", from_address="carla@acme.example",
                       outcome=InboundOutcome.TICKET),
    ])
    db.session.commit()
    db.session.close()  # the raw connections below must not wait behind the session's lock


def _first_id(table: str) -> int:
    with db.engine.connect() as conn:
        quoted = conn.dialect.identifier_preparer.quote(table)
        row_id = conn.execute(text(f"SELECT min(id) FROM {quoted}")).scalar_one()
    assert row_id is not None, f"no row in {table}"
    return row_id


def _copy_row_sql(conn, table_name: str, column: str) -> str:
    """INSERT … SELECT copying one row by id, with :value in `column` and every unique key made
    new (one non-foreign-key column of each, not the enum's own), so only the enum's CHECK can
    refuse it."""
    table = db.metadata.tables[table_name]
    changed = {}  # column name: whether it is text
    refers_to = {}  # column name: the table whose newest row the copy refers to instead
    for unique in (u for u in table.constraints if isinstance(u, UniqueConstraint)):
        key = next((c for c in unique.columns if not c.foreign_keys and c.name != column), None)
        if key is not None:
            changed[key.name] = key.type.python_type is str
        else:  # a key of foreign keys only (a delivery's event and endpoint): the newest row
            key = next(iter(unique.columns))  # it refers to, which the fixture leaves unused
            referred = next(iter(key.foreign_keys)).column.table.name
            refers_to[key.name] = referred
    quote = conn.dialect.identifier_preparer.quote
    names, values = [], []
    for c in table.columns:
        if c.primary_key:
            continue
        names.append(quote(c.name))
        if c.name == column:
            values.append(":value")
        elif c.name in refers_to:
            values.append(f"(SELECT max(id) FROM {quote(refers_to[c.name])})")
        elif c.name in changed:
            values.append(f"{quote(c.name)} || '-copy'" if changed[c.name]
                          else f"{quote(c.name)} + 1000000")
        else:
            values.append(quote(c.name))
    return (f"INSERT INTO {quote(table_name)} ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM {quote(table_name)} WHERE id = :id")


def test_every_enum_column_is_found():
    found = {p.id for p in ENUM_COLUMNS}
    assert {"ticket.status", "ticket.urgency", "note.kind", "quote.status", "user.role",
            "inbound_message.outcome", "outbox_message.status"} <= found


@pytest.mark.parametrize("table, column, values", ENUM_COLUMNS)
def test_the_migrated_schema_names_each_enum_check_after_its_column(app, table, column, values):
    names = {c["name"] for c in inspect(db.engine).get_check_constraints(table)}
    assert _check_name(table, column) in names
    assert len(_check_name(table, column)) <= 63  # PostgreSQL truncates longer names


@pytest.mark.parametrize("table, column, values", ENUM_COLUMNS)
def test_inserting_a_value_outside_the_enum_is_refused(app, a_row_in_every_table,
                                                       table, column, values):
    row_id = _first_id(table)
    with db.engine.connect() as conn:
        copy = text(_copy_row_sql(conn, table, column))
        with conn.begin():  # the same statement with a value of the enum is accepted
            assert conn.execute(copy, {"value": values[0], "id": row_id}).rowcount == 1
        with pytest.raises(IntegrityError, match=_check_name(table, column)):
            with conn.begin():
                conn.execute(copy, {"value": NOT_A_VALUE, "id": row_id})


@pytest.mark.parametrize("table, column, values", ENUM_COLUMNS)
def test_updating_to_a_value_outside_the_enum_is_refused_and_every_value_is_accepted(
        app, a_row_in_every_table, table, column, values):
    row_id = _first_id(table)
    with db.engine.connect() as conn:
        quoted = conn.dialect.identifier_preparer.quote(table)
        update = text(f"UPDATE {quoted} SET {column} = :value WHERE id = :id")
        for value in values:
            with conn.begin():
                conn.execute(update, {"value": value, "id": row_id})
        with pytest.raises(IntegrityError, match=_check_name(table, column)):
            with conn.begin():
                conn.execute(update, {"value": NOT_A_VALUE, "id": row_id})
        assert conn.execute(text(f"SELECT {column} FROM {quoted} WHERE id = :id"),
                            {"id": row_id}).scalar_one() == values[-1]


@pytest.mark.parametrize("table, name, columns", NEW_INDEXES)
def test_the_migrated_schema_has_the_index(app, table, name, columns):
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes(table)}
    assert indexes.get(name) == columns


def test_full_text_search_finds_a_ticket_and_a_note_written_after_the_migration(app, world):
    # the fixture database was migrated through e874eb521e45, which rebuilt ticket and note
    subject = factories.new_ticket(world, subject="Impresora atascada")
    in_note = factories.new_ticket(world, subject="Otra cosa")
    notes.add_internal_note(world.agent, in_note, "El escáner no enciende")
    db.session.commit()

    def found(words: str) -> list[str]:
        page = ticket_list.list_tickets(world.agent, TicketFilters(q=words))
        return [t.number for t in page.items]

    assert found("impresora") == [subject.number]
    assert found("escáner") == [in_note.number]


def _insert_rows_of_the_previous_schema(conn, role: str) -> None:
    conn.execute(text(
        'INSERT INTO "user" (id, email, name, password_hash, role, active, language, '
        "session_version, created_at) VALUES (1, 'a@soporte.example', 'A', 'x', :role, :t, 'ES', "
        "0, CURRENT_TIMESTAMP)"), {"role": role, "t": True})
    conn.execute(text("INSERT INTO client (id, name, active, notes, created_at) "
                      "VALUES (1, 'Acme', :t, '', CURRENT_TIMESTAMP)"), {"t": True})
    conn.execute(text(
        "INSERT INTO ticket (id, sequence, number, client_id, subject, description, urgency, "
        "status, payment_status, total_minutes, source, created_at, updated_at, lock_version) "
        "VALUES (1, 1, 'TCK-000001', 1, 'impresora atascada', 'impresora atascada', 'MEDIUM', "
        "'LIMBO', 'UNPAID', 0, 'WEB', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"))


def _full_text_ids(conn, word: str) -> list[int]:
    if conn.dialect.name == "postgresql":
        sql = "SELECT id FROM ticket WHERE search_vector @@ plainto_tsquery('spanish', :w)"
    else:
        sql = "SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH :w"
    return conn.execute(text(sql), {"w": word}).scalars().all()


def test_the_upgrade_stops_on_values_outside_their_enum_and_names_them(scratch_url, tmp_path):
    from alembic import command
    from flask_migrate import upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert_rows_of_the_previous_schema(conn, role="ROOT")
        with pytest.raises(RuntimeError) as refused:  # Alembic itself: Flask-Migrate would exit
            command.upgrade(app.extensions["migrate"].migrate.get_config(), "head")
        assert "user.role: 'ROOT'" in str(refused.value)
        assert "ticket.status: 'LIMBO'" in str(refused.value)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE
            assert conn.execute(text('SELECT role FROM "user"')).scalar() == "ROOT"  # not mapped
        db.engine.dispose()


def test_rows_corrected_then_upgraded_stay_searchable_and_the_downgrade_keeps_search(
        scratch_url, tmp_path):
    from flask_migrate import downgrade, upgrade

    from tests.conftest import make_test_app

    app = make_test_app(scratch_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _insert_rows_of_the_previous_schema(conn, role=Role.AGENT.name)
            conn.execute(text("UPDATE ticket SET status = 'NEW'"))
        upgrade()
        with db.engine.begin() as conn:
            assert _full_text_ids(conn, "impresora") == [1]  # written before the rebuild
            conn.execute(text("UPDATE ticket SET subject = 'servidor caido' WHERE id = 1"))
            assert _full_text_ids(conn, "servidor") == [1]  # the update trigger is back
        downgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE ticket SET status = 'LIMBO', subject = 'router roto'"))
            assert _full_text_ids(conn, "router") == [1]
        db.engine.dispose()
