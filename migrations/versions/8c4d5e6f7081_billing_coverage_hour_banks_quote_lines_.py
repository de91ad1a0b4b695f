"""billing: coverage, hour banks, quote lines, payment (issue 13, second slice)

New columns:
- contract.included_hours, bank_period, overage_rate: an hour bank (NULL: none), counted per
  month or per contract period, with the rate of time beyond it (NULL: the contract's rate);
- time_entry.covered_minutes: the minutes a fixed price covered when the entry was logged (the
  quote's hours, the contract's bank); 0 for every existing entry, which keeps its amount as it
  was valued;
- ticket.billing_by_time, bill_overage: a supervisor's choices on a ticket under an approved
  quote (false: billed at the quote's price, time beyond its hours shown but not billed);
- quote.billing_batch_id: the batch that billed a fixed-price quote (once);
- billing_batch.contract_id (a run of one contract), paid_at, paid_by_id.
New table billing_alert: the 80 %/100 % warnings already given, unique per subject, period and
threshold, so each is given once.

CHECKs written by hand: the bank's hours and overage rate positive, hours and period set
together, covered minutes within the entry's minutes, the new enums' values. The SQLite
rebuilds touch contract, quote, time_entry and ticket; ticket's full-text triggers are put
back after it (app.database.sqlite_fts_trigger_statements).

Revision ID: 8c4d5e6f7081
Revises: 7b3c4d5e6f70
Create Date: 2026-11-26 05:43:50.816199

"""
from alembic import op
import sqlalchemy as sa

from app.database import sqlite_fts_trigger_statements


# revision identifiers, used by Alembic.
revision = '8c4d5e6f7081'
down_revision = '7b3c4d5e6f70'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('BANK', 'ESTIMATE', name='billingalertkind', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=20), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('BANK', 'ESTIMATE')", name=op.f('ck_billing_alert_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_alert')),
    sa.UniqueConstraint('kind', 'subject_id', 'period', 'threshold', name=op.f('uq_billing_alert_kind_subject_id_period_threshold'))
    )
    with op.batch_alter_table('billing_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_billing_batch_contract_id'), ['contract_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_billing_batch_paid_by_id_user'), 'user', ['paid_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_billing_batch_contract_id_contract'), 'contract', ['contract_id'], ['id'])

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('included_hours', sa.Numeric(precision=8, scale=2), nullable=True))
        batch_op.add_column(sa.Column('bank_period', sa.Enum('MONTH', 'CONTRACT', name='bankperiod', native_enum=False, create_constraint=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('overage_rate', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.create_check_constraint(op.f('ck_contract_bank_period'),
                                         "bank_period IN ('MONTH', 'CONTRACT')")
        batch_op.create_check_constraint(op.f('ck_contract_included_hours_positive'),
                                         'included_hours > 0')
        batch_op.create_check_constraint(op.f('ck_contract_overage_rate_positive'),
                                         'overage_rate > 0')
        batch_op.create_check_constraint(op.f('ck_contract_bank_complete'),
                                         '(included_hours IS NULL) = (bank_period IS NULL)')

    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_quote_billing_batch_id'), ['billing_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_quote_billing_batch_id_billing_batch'), 'billing_batch', ['billing_batch_id'], ['id'])

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_by_time', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('bill_overage', sa.Boolean(), server_default=sa.false(), nullable=False))
    _restore_ticket_search()

    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covered_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_time_entry_covered_within_minutes'),
                                         'covered_minutes >= 0 AND covered_minutes <= minutes')



def downgrade():
    with op.batch_alter_table('time_entry', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_time_entry_covered_within_minutes'), type_='check')
        batch_op.drop_column('covered_minutes')

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('bill_overage')
        batch_op.drop_column('billing_by_time')
    _restore_ticket_search()

    with op.batch_alter_table('quote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quote_billing_batch_id_billing_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_quote_billing_batch_id'))
        batch_op.drop_column('billing_batch_id')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        for name in ('bank_complete', 'overage_rate_positive', 'included_hours_positive',
                     'bank_period'):
            batch_op.drop_constraint(op.f(f'ck_contract_{name}'), type_='check')
        batch_op.drop_column('overage_rate')
        batch_op.drop_column('bank_period')
        batch_op.drop_column('included_hours')

    with op.batch_alter_table('billing_batch', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_billing_batch_contract_id_contract'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_billing_batch_paid_by_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_billing_batch_contract_id'))
        batch_op.drop_column('paid_by_id')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('contract_id')

    op.drop_table('billing_alert')


def _restore_ticket_search():
    """SQLite's batch mode may recreate "ticket", dropping its full-text triggers."""
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)
