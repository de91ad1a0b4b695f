"""ticket.source API: a ticket the API created says so (it was recorded as WEB, the dashboard's)

ck_ticket_source allows 'API' besides 'EMAIL' and 'WEB'. Tickets the API created before this
revision stay WEB: nothing recorded tells them apart. On SQLite, changing a CHECK rebuilds the
table (batch mode), which drops the ticket's full-text triggers: they are created again.

Revision ID: 4b5c6d7e8f90
Revises: 18293a4b5c6d
Create Date: 2026-11-26 16:40:00.000000

"""
from alembic import op

from app.database import sqlite_fts_trigger_statements


# revision identifiers, used by Alembic.
revision = '4b5c6d7e8f90'
down_revision = '18293a4b5c6d'
branch_labels = None
depends_on = None


def _allow(values: tuple[str, ...]) -> None:
    quoted = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ticket_source'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ticket_source'), f"source IN ({quoted})")
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)


def upgrade():
    _allow(("EMAIL", "WEB", "API"))


def downgrade():
    op.execute("UPDATE ticket SET source = 'WEB' WHERE source = 'API'")
    _allow(("EMAIL", "WEB"))
