"""ticket (status, sla_due) index: the counts per status of "overdue" and "due today" (issue 15)

Under those filters the list counts each open status's tickets whose due time has passed (or
falls today), each count capped at 1,000. With no index on both, PostgreSQL counted by reading
the table in order until 1,001 matched: quick for a status with many overdue tickets, but a
status with few (On hold: its clocks are paused) read 300,000 rows, and as a scan starts where
another left off (synchronized scans), the page took 35 ms or 400 ms at random at a million
tickets. With it each count reads at most 1,001 index entries: 11 ms a page. No table rebuild
(plain CREATE INDEX on both databases).

Revision ID: 7e8f90a1b2c3
Revises: 6d7e8f90a1b2
Create Date: 2026-11-27 01:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7e8f90a1b2c3'
down_revision = '6d7e8f90a1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ticket_status_sla_due', 'ticket', ['status', 'sla_due'], unique=False)


def downgrade():
    op.drop_index('ix_ticket_status_sla_due', table_name='ticket')
