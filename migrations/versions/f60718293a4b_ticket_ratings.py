"""ticket_rating: the requester's rating of a closed ticket, 1 to 5 and a comment (issue 16)

One per ticket (uq_ticket_rating_ticket_id), given from the closing email's signed link
(app.services.ratings); the agent credited is kept on the row. The score's range is the
database's rule too (ck_ticket_rating_score_in_range). Nothing to fill for existing tickets:
tickets closed before this upgrade had no link to rate them.

Revision ID: f60718293a4b
Revises: e5f607182930
Create Date: 2026-11-26 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f60718293a4b'
down_revision = 'e5f607182930'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_ticket_rating_score_in_range')),
    sa.ForeignKeyConstraint(['agent_id'], ['user.id'], name=op.f('fk_ticket_rating_agent_id_user')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_ticket_rating_contact_id_contact')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_rating_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_rating')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_ticket_rating_ticket_id'))
    )
    with op.batch_alter_table('ticket_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_rating_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_rating_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ticket_rating_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_rating_created_at'))
        batch_op.drop_index(batch_op.f('ix_ticket_rating_contact_id'))
        batch_op.drop_index(batch_op.f('ix_ticket_rating_agent_id'))

    op.drop_table('ticket_rating')
