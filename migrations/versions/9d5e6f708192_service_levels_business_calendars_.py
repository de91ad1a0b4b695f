"""service levels: business calendars, windows, holidays, SLA targets (issue 14)

New tables:
- business_calendar: a named calendar of business hours in an IANA time zone;
- business_window: its weekly windows (weekday 0-6, minutes from local midnight, 1440 = 24:00),
  several per day allowed;
- calendar_holiday: its holidays, one per calendar and day;
- sla_target: the targets of one urgency in business minutes, for every contract (contract_id
  NULL, unique through the partial index uq_sla_target_urgency_without_contract: NULLs are
  distinct in a unique key) or for one contract (uq_sla_target_contract_id_urgency).
New columns client.calendar_id and contract.calendar_id (NULL: the next calendar in line, at
last the configured default).

CHECKs written by hand: the urgency's values (ck_sla_target_urgency, named as the models'
naming convention names it). The SQLite rebuilds touch client and contract only (no full-text
triggers on them).

Revision ID: 9d5e6f708192
Revises: 8c4d5e6f7081
Create Date: 2026-11-26 05:53:12.364349

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d5e6f708192'
down_revision = '8c4d5e6f7081'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('business_calendar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_calendar')),
    sa.UniqueConstraint('name', name=op.f('uq_business_calendar_name'))
    )
    op.create_table('business_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.CheckConstraint('start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440', name=op.f('ck_business_window_minutes_ordered')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_business_window_weekday_range')),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendar.id'], name=op.f('fk_business_window_calendar_id_business_calendar')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_window'))
    )
    with op.batch_alter_table('business_window', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_business_window_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('calendar_holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendar.id'], name=op.f('fk_calendar_holiday_calendar_id_business_calendar')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_holiday')),
    sa.UniqueConstraint('calendar_id', 'day', name=op.f('uq_calendar_holiday_calendar_id_day'))
    )
    with op.batch_alter_table('calendar_holiday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_holiday_calendar_id'), ['calendar_id'], unique=False)

    op.create_table('sla_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.Enum('LOW', 'MEDIUM', 'HIGH', 'CRITICAL', name='urgency', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=True),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('next_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint("urgency IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')", name=op.f('ck_sla_target_urgency')),
    sa.CheckConstraint('first_response_minutes > 0', name=op.f('ck_sla_target_first_response_positive')),
    sa.CheckConstraint('next_response_minutes > 0', name=op.f('ck_sla_target_next_response_positive')),
    sa.CheckConstraint('resolution_minutes > 0', name=op.f('ck_sla_target_resolution_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_sla_target_contract_id_contract')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_target')),
    sa.UniqueConstraint('contract_id', 'urgency', name=op.f('uq_sla_target_contract_id_urgency'))
    )
    with op.batch_alter_table('sla_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_target_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('uq_sla_target_urgency_without_contract', ['urgency'], unique=True, sqlite_where=sa.text('contract_id IS NULL'), postgresql_where=sa.text('contract_id IS NULL'))

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_client_calendar_id_business_calendar'), 'business_calendar', ['calendar_id'], ['id'])

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contract_calendar_id_business_calendar'), 'business_calendar', ['calendar_id'], ['id'])



def downgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contract_calendar_id_business_calendar'), type_='foreignkey')
        batch_op.drop_column('calendar_id')

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_client_calendar_id_business_calendar'), type_='foreignkey')
        batch_op.drop_column('calendar_id')

    with op.batch_alter_table('sla_target', schema=None) as batch_op:
        batch_op.drop_index('uq_sla_target_urgency_without_contract', sqlite_where=sa.text('contract_id IS NULL'), postgresql_where=sa.text('contract_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_sla_target_contract_id'))

    op.drop_table('sla_target')
    with op.batch_alter_table('calendar_holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_holiday_calendar_id'))

    op.drop_table('calendar_holiday')
    with op.batch_alter_table('business_window', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_business_window_calendar_id'))

    op.drop_table('business_window')
    op.drop_table('business_calendar')
