"""ticket (status, id) and (urgency, id) indexes in place of (status) and (urgency): the list
sorted by status or by urgency (issue 15)

The list's order is the column, then the id newest first. It now takes each shown value's
newest tickets (app.services.ticket_list._from_groups); these indexes give each group in id
order, so each part reads only the tickets it returns, however few or many a status or an
urgency has (a status of 30 tickets among a million closed ones included). They serve every
equality lookup the single-column ones served. At a million tickets the sorted page took
180-530 ms (every ticket of the filter read and sorted) and takes 8-15 ms. No table rebuild
(plain CREATE INDEX and DROP INDEX on both databases).

Revision ID: 6d7e8f90a1b2
Revises: 5c6d7e8f90a1
Create Date: 2026-11-27 01:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '6d7e8f90a1b2'
down_revision = '5c6d7e8f90a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ticket_status_id', 'ticket', ['status', 'id'], unique=False)
    op.create_index('ix_ticket_urgency_id', 'ticket', ['urgency', 'id'], unique=False)
    op.drop_index('ix_ticket_status', table_name='ticket')
    op.drop_index('ix_ticket_urgency', table_name='ticket')


def downgrade():
    op.create_index('ix_ticket_urgency', 'ticket', ['urgency'], unique=False)
    op.create_index('ix_ticket_status', 'ticket', ['status'], unique=False)
    op.drop_index('ix_ticket_urgency_id', table_name='ticket')
    op.drop_index('ix_ticket_status_id', table_name='ticket')
