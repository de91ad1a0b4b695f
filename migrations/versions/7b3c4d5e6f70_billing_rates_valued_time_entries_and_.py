"""billing (issue 13, first slice): rates on clients and contracts, valued and billable time
entries, billing batches that lock the entries they billed

New columns: client.hourly_rate/currency and contract.hourly_rate/currency (NULL: the next, less
specific level decides: app.services.billing.rates); time_entry.billable, rate, currency, amount
and billing_batch_id; a new table billing_batch.

Existing entries are backfilled:
- billable from the ticket's kept billing basis: not billable on a free ticket (marked free, or
  covered by a contract), billable otherwise, as a new entry would be;
- rate, currency and amount stay NULL, meaning "not valued": no rate existed when they were
  logged, and valuing them at whatever rate is configured on the day of the upgrade would invent
  a price nobody agreed. A supervisor bills them by hand; new entries are valued when logged.

CHECKs written by hand (autogenerate does not see them): rates positive, amount not negative,
an entry's rate, currency and amount set or NULL together, a batch's period in order. The SQLite
rebuilds touch client, contract and time_entry only (no full-text triggers on them).

Revision ID: 7b3c4d5e6f70
Revises: 6a2b3c4d5e6f
Create Date: 2026-11-26 03:42:30.542781

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3c4d5e6f70'
down_revision = '6a2b3c4d5e6f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('unlocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unlocked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('period_to >= period_from', name=op.f('ck_billing_batch_period_ordered')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_billing_batch_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_billing_batch_created_by_id_user')),
    sa.ForeignKeyConstraint(['unlocked_by_id'], ['user.id'], name=op.f('fk_billing_batch_unlocked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_batch')),
    sa.UniqueConstraint('number', name=op.f('uq_billing_batch_number'))
    )
    with op.batch_alter_table('billing_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_batch_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hourly_rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hourly_rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))

    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billable', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('billing_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_time_entry_billing_batch_id'), ['billing_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_time_entry_billing_batch_id_billing_batch'), 'billing_batch', ['billing_batch_id'], ['id'])

    _backfill_billable()
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.alter_column('billable', existing_type=sa.Boolean(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_time_entry_rate_positive'), 'rate > 0')
        batch_op.create_check_constraint(op.f('ck_time_entry_amount_not_negative'), 'amount >= 0')
        batch_op.create_check_constraint(
            op.f('ck_time_entry_valued_together'),
            '(rate IS NULL AND currency IS NULL AND amount IS NULL) OR '
            '(rate IS NOT NULL AND currency IS NOT NULL AND amount IS NOT NULL)')
    for table in ('client', 'contract'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_hourly_rate_positive'), 'hourly_rate > 0')


def _backfill_billable():
    """Entries of a free ticket (FREE, CONTRACT) are not billable; every other entry is."""
    ticket = sa.table('ticket', sa.column('id'), sa.column('billing_basis'))
    entry = sa.table('time_entry', sa.column('ticket_id'), sa.column('billable'))
    free_ticket_ids = sa.select(ticket.c.id).where(ticket.c.billing_basis.in_(('FREE', 'CONTRACT')))
    op.execute(entry.update().values(billable=sa.case(
        (entry.c.ticket_id.in_(free_ticket_ids), sa.false()), else_=sa.true())))


def downgrade():
    for table in ('contract', 'client'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_hourly_rate_positive'), type_='check')
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_time_entry_valued_together'), type_='check')
        batch_op.drop_constraint(op.f('ck_time_entry_amount_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_time_entry_rate_positive'), type_='check')
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_time_entry_billing_batch_id_billing_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_time_entry_billing_batch_id'))
        batch_op.drop_column('billing_batch_id')
        batch_op.drop_column('amount')
        batch_op.drop_column('currency')
        batch_op.drop_column('rate')
        batch_op.drop_column('billable')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('currency')
        batch_op.drop_column('hourly_rate')

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('currency')
        batch_op.drop_column('hourly_rate')

    with op.batch_alter_table('billing_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_batch_client_id'))

    op.drop_table('billing_batch')
