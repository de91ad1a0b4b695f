"""ticket.sla_check_at and sla_tick_state: `flask sla tick` reads only what is due (issue 15)

ticket.sla_check_at is the next moment the tick has something to do for the ticket (a warning
or a breach not given yet), kept with sla_due by app.services.sla.stored_due and by the tick;
ix_ticket_sla_check_at gives the tick its batches in (moment, id) order. sla_tick_state is the
tick's memory: the fingerprint of the targets, calendars, holidays and settings the stored times
were computed with, and the day of its last sweep of every open ticket.

Nothing is filled here: the new table has no row, so the first tick after this upgrade
(`flask sla tick --once`, or the running worker) finds no remembered fingerprint and sweeps every
open ticket, storing its check time. Plain add_column and create_index: no batch rebuild of
"ticket" on SQLite (which would drop its full-text triggers), and none on downgrade either
(SQLite 3.35+ drops a column in place).

Revision ID: 293a4b5c6d7e
Revises: 0718293a4b5c
Create Date: 2026-11-26 12:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '293a4b5c6d7e'
down_revision = '0718293a4b5c'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('ticket', sa.Column('sla_check_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_ticket_sla_check_at', 'ticket', ['sla_check_at', 'id'], unique=False)
    op.create_table('sla_tick_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('swept_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_tick_state'))
    )


def downgrade():
    op.drop_table('sla_tick_state')
    op.drop_index('ix_ticket_sla_check_at', table_name='ticket')
    op.drop_column('ticket', 'sla_check_at')
