"""workspace: saved views, canned replies, presence, who spoke last

Tickets get the time of the customer's latest message and of staff's latest public reply
(app.services.notes.create_note keeps them), filled here from the notes already written; a
ticket opened by mail counts its description as the customer's first message. Downgrading
rebuilds "ticket" on SQLite, so its full-text triggers are created again afterwards.

Revision ID: 0211e0efd509
Revises: e874eb521e45
Create Date: 2026-11-25 23:39:55.962639

"""
from alembic import op
import sqlalchemy as sa

from app.database import sqlite_fts_trigger_statements


# revision identifiers, used by Alembic.
revision = '0211e0efd509'
down_revision = 'e874eb521e45'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_canned_reply_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_reply')),
    sa.UniqueConstraint('title', name=op.f('uq_canned_reply_title'))
    )
    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_view_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_view')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_view_user_id_name'))
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_view_user_id'), ['user_id'], unique=False)

    op.create_table('ticket_presence',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('composing', sa.Boolean(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_presence_ticket_id_ticket')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_ticket_presence_user_id_user')),
    sa.PrimaryKeyConstraint('ticket_id', 'user_id', name=op.f('pk_ticket_presence'))
    )
    with op.batch_alter_table('ticket_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_presence_seen_at'), ['seen_at'], unique=False)

    # The list's counts (app.models.ticket): by status and assignee, by type and by urgency
    # with the status, and the tickets whose customer wrote last (a partial index: the same
    # condition as the model's).
    op.create_index('ix_ticket_status_assignee_id', 'ticket', ['status', 'assignee_id'], unique=False)
    op.create_index('ix_ticket_type_id_status', 'ticket', ['type_id', 'status'], unique=False)
    op.create_index('ix_ticket_urgency_status', 'ticket', ['urgency', 'status'], unique=False)
    op.add_column('ticket', sa.Column('last_customer_message_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('ticket', sa.Column('last_staff_reply_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE ticket SET
          last_customer_message_at = COALESCE(
            (SELECT MAX(note.created_at) FROM note
             WHERE note.ticket_id = ticket.id AND note.kind = 'CUSTOMER_EMAIL'),
            CASE WHEN ticket.source = 'EMAIL' THEN ticket.created_at END),
          last_staff_reply_at =
            (SELECT MAX(note.created_at) FROM note
             WHERE note.ticket_id = ticket.id AND note.kind = 'PUBLIC_REPLY')""")
    waiting = sa.text("last_customer_message_at IS NOT NULL AND (last_staff_reply_at IS NULL "
                      "OR last_staff_reply_at < last_customer_message_at)")
    op.create_index('ix_ticket_customer_waiting', 'ticket', ['status'], unique=False,
                    sqlite_where=waiting, postgresql_where=waiting)


def downgrade():
    for index in ('ix_ticket_customer_waiting', 'ix_ticket_urgency_status',
                  'ix_ticket_type_id_status', 'ix_ticket_status_assignee_id'):
        op.drop_index(index, table_name='ticket')

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('last_staff_reply_at')
        batch_op.drop_column('last_customer_message_at')
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)

    with op.batch_alter_table('ticket_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_presence_seen_at'))

    op.drop_table('ticket_presence')
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_view_user_id'))

    op.drop_table('saved_view')
    op.drop_table('canned_reply')
