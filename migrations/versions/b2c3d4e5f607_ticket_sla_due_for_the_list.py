"""ticket.sla_due: when the ticket's most pressing running service-level clock is due (issue 14)

The list sorts by it and filters "overdue" and "due today" with it (ix_ticket_sla_due); every
view still shows app.services.sla.clocks.ticket_clocks itself. app.services.sla.stored_due keeps
it on every commit that touches a ticket's history, and `flask sla tick` on every run: after
this upgrade the first tick (`flask sla tick --once`) fills it for the open tickets.

SQLite's batch mode may recreate "ticket" on downgrade, dropping its full-text triggers: they
are put back (app.database.sqlite_fts_trigger_statements).

Revision ID: b2c3d4e5f607
Revises: a1b2c3d4e5f6
Create Date: 2026-11-26 08:55:29.761255

"""
from alembic import op
import sqlalchemy as sa

from app.database import sqlite_fts_trigger_statements

# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f607'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('ticket', sa.Column('sla_due', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_ticket_sla_due'), 'ticket', ['sla_due'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_ticket_sla_due'), table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('sla_due')
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)
