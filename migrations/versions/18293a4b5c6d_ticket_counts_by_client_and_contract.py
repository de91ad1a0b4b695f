"""ticket counts by client and by contract per status: (client_id, status) and (contract_id,
status) indexes (issue 15)

The list counts its tickets per status under its filters (app.services.ticket_list
.status_counts), each count capped at 1,000. Filtered by client or contract at a million tickets
(20,000 of a client), PostgreSQL answered each status's count by ANDing the client's bitmap with
the status's (140,000 entries of each status read, seven times a page: 500 ms in
bench/dashboard.py); with these it reads at most 1,001 entries of one index per status. No
table rebuild (plain CREATE INDEX on both databases).

Revision ID: 18293a4b5c6d
Revises: 293a4b5c6d7e
Create Date: 2026-11-26 13:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '18293a4b5c6d'
down_revision = '293a4b5c6d7e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_ticket_client_id_status', 'ticket', ['client_id', 'status'], unique=False)
    op.create_index('ix_ticket_contract_id_status', 'ticket', ['contract_id', 'status'],
                    unique=False)


def downgrade():
    op.drop_index('ix_ticket_contract_id_status', table_name='ticket')
    op.drop_index('ix_ticket_client_id_status', table_name='ticket')
