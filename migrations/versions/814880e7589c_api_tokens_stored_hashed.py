"""API tokens, stored hashed: each acts as its user, its scopes narrowing the user's role

Only the SHA-256 of a token's secret is kept (unique: it finds the token), with a short visible
prefix to tell tokens apart; a revoked token keeps its row (revoked_at) so lists show it.
A new table: no existing table is rebuilt, so the full-text triggers of "ticket" and "note"
are untouched.

Revision ID: 814880e7589c
Revises: 0211e0efd509
Create Date: 2026-11-26 00:25:22.415484

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '814880e7589c'
down_revision = '0211e0efd509'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=400), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
