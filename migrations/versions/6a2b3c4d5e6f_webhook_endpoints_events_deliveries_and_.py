"""webhook endpoints, events, deliveries and attempts (issue 12: signed webhooks, outbox style)

New tables only: an event is written in the transaction of the change it tells about, one
delivery per subscribed endpoint, and each attempt with the endpoint's answer. The delivery
status's CHECK is named as the models' naming convention names it (ck_webhook_delivery_status),
as `flask db upgrade` and create_all must build the same schema.

Revision ID: 6a2b3c4d5e6f
Revises: 5e1f0a2b3c4d
Create Date: 2026-11-26 02:28:33.159755

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a2b3c4d5e6f'
down_revision = '5e1f0a2b3c4d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('webhook_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_webhook_event_event_id'))
    )
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.String(length=400), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=20), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('previous_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('previous_secret_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_webhook_endpoint_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'SENDING', 'DELIVERED', 'FAILED', 'CANCELLED', name='webhookdeliverystatus', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('PENDING', 'SENDING', 'DELIVERED', 'FAILED', 'CANCELLED')", name=op.f('ck_webhook_delivery_status')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint')),
    sa.ForeignKeyConstraint(['event_id'], ['webhook_event.id'], name=op.f('fk_webhook_delivery_event_id_webhook_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('endpoint_id', 'event_id', name=op.f('uq_webhook_delivery_endpoint_id_event_id'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('response_excerpt', sa.String(length=500), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)



def downgrade():
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_delivery_id'))

    op.drop_table('webhook_attempt')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_event_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_endpoint_id'))

    op.drop_table('webhook_delivery')
    op.drop_table('webhook_endpoint')
    op.drop_table('webhook_event')
