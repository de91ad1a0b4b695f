"""service levels: escalation alerts given and daily digests sent (issue 14)

New tables:
- sla_alert: a warning or breach of one clock of a ticket in one cycle (the clock's start, so
  each customer message's next-response clock counts apart), given once
  (uq_sla_alert_ticket_id_cycle_clock_level);
- sla_digest: a supervisor's daily digest, once per local day (uq_sla_digest_user_id_day).

CHECKs written by hand: the clock's and the level's values (ck_sla_alert_clock,
ck_sla_alert_level, named as the models' naming convention names them).

Revision ID: a1b2c3d4e5f6
Revises: 9d5e6f708192
Create Date: 2026-11-26 07:11:49.290570

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = '9d5e6f708192'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sla_digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sla_digest_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_digest')),
    sa.UniqueConstraint('user_id', 'day', name=op.f('uq_sla_digest_user_id_day'))
    )
    op.create_table('sla_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.Enum('FIRST_RESPONSE', 'NEXT_RESPONSE', 'RESOLUTION', name='slaclock', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('cycle', sa.String(length=40), nullable=False),
    sa.Column('level', sa.Enum('WARNING', 'BREACH', name='slaalertlevel', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("clock IN ('FIRST_RESPONSE', 'NEXT_RESPONSE', 'RESOLUTION')", name=op.f('ck_sla_alert_clock')),
    sa.CheckConstraint("level IN ('WARNING', 'BREACH')", name=op.f('ck_sla_alert_level')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_sla_alert_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_alert')),
    sa.UniqueConstraint('ticket_id', 'cycle', 'clock', 'level', name=op.f('uq_sla_alert_ticket_id_cycle_clock_level'))
    )


def downgrade():
    op.drop_table('sla_alert')
    op.drop_table('sla_digest')
