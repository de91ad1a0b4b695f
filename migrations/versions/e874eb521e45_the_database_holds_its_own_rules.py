"""the database holds its own rules: a CHECK of the allowed values on every enum column;
the indexes the poller, the bell, the list and billing need

Each enum column (a VARCHAR since the first migration) gets ck_<table>_<column>, listing the
values of its enum as they are today (frozen here: a migration never imports the models).

Rows already holding a value outside its enum are NOT mapped to another value: nobody can tell
here what such a value meant. The upgrade stops before changing anything, with an error naming
each table, column and the values found, so that an operator corrects those rows and runs it
again.

Indexes: inbound_message(from_address, received_at) for the poller's per-sender rate limit
(it replaces the index on from_address alone, which it covers); notification(user_id, read_at)
for the unread count shown on every page (it replaces the index on user_id alone);
time_entry(work_date); ticket(updated_at), a sort order of the list.

On SQLite, adding or dropping a CHECK rebuilds the table (batch mode), which drops the
full-text triggers of "ticket" and "note": they are created again afterwards.

Revision ID: e874eb521e45
Revises: 43ce3c71fa4d
Create Date: 2026-11-25 20:50:37.195372

"""
from alembic import op
import sqlalchemy as sa

from app.database import sqlite_fts_trigger_statements

# revision identifiers, used by Alembic.
revision = 'e874eb521e45'
down_revision = '43ce3c71fa4d'
branch_labels = None
depends_on = None

# The values each enum column may hold, as of this revision (the enum members' names).
ENUM_VALUES = {
    "user": {
        "role": ("ADMIN", "SUPERVISOR", "AGENT", "VIEWER"),
        "language": ("ES", "EN"),
    },
    "contact": {"language": ("ES", "EN")},
    "ticket": {
        "urgency": ("LOW", "MEDIUM", "HIGH", "CRITICAL"),
        "status": ("NEW", "QUOTED", "APPROVED", "IN_PROGRESS", "ON_HOLD", "RESOLVED", "CLOSED"),
        "billing_basis": ("FREE", "CONTRACT", "QUOTE"),
        "payment_status": ("UNPAID", "PAID", "NOT_APPLICABLE"),
        "source": ("EMAIL", "WEB"),
    },
    "note": {"kind": ("INTERNAL", "PUBLIC_REPLY", "CUSTOMER_EMAIL", "SYSTEM")},
    "quote": {
        "status": ("PENDING", "QUOTED", "APPROVED", "REJECTED", "SUPERSEDED"),
        "decision_channel": ("LINK", "RECORDED"),
    },
    "outbox_message": {"status": ("PENDING", "SENDING", "SENT", "FAILED")},
    "inbound_message": {"outcome": ("TICKET", "NOTE", "IGNORED", "TRIAGE", "QUARANTINED")},
}
# Tables whose SQLite rebuild drops full-text triggers (app.database.SQLITE_FTS_COLUMNS).
FULL_TEXT_TABLES = ("ticket", "note")


def _check_name(table: str, column: str) -> str:
    """The name the models' naming convention gives an enum column's CHECK."""
    return f"ck_{table}_{column}"


def _condition(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def _values_outside_their_enum() -> list[str]:
    """Each column holding values its CHECK would refuse: "table.column: 'A', 'B'"."""
    bind = op.get_bind()
    problems = []
    for table, columns in ENUM_VALUES.items():
        for column, values in columns.items():
            col = sa.column(column)
            found = bind.execute(
                sa.select(col).distinct().select_from(sa.table(table, col))
                .where(col.is_not(None), col.not_in(values)).order_by(col)).scalars().all()
            if found:
                problems.append(f"{table}.{column}: " + ", ".join(repr(v) for v in found))
    return problems


def _restore_full_text_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in FULL_TEXT_TABLES:
            for statement in sqlite_fts_trigger_statements(table):
                op.execute(statement)


def upgrade():
    problems = _values_outside_their_enum()
    if problems:
        raise RuntimeError(
            "Cannot add the enum CHECK constraints: these columns hold values outside their "
            "enum. Correct those rows, then upgrade again.\n  " + "\n  ".join(problems))

    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_message_from_address'))
        batch_op.create_index('ix_inbound_message_from_address_received_at', ['from_address', 'received_at'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
        batch_op.create_index('ix_notification_user_id_read_at', ['user_id', 'read_at'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_entry_work_date'), ['work_date'], unique=False)

    for table, columns in ENUM_VALUES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(
                    batch_op.f(_check_name(table, column)), _condition(column, values))
    _restore_full_text_triggers()


def downgrade():
    for table, columns in ENUM_VALUES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(batch_op.f(_check_name(table, column)), type_='check')
    _restore_full_text_triggers()

    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_entry_work_date'))

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_updated_at'))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_id_read_at')
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_message_from_address_received_at')
        batch_op.create_index(batch_op.f('ix_inbound_message_from_address'), ['from_address'], unique=False)
