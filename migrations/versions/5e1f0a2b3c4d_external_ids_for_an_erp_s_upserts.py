"""external ids for an ERP's upserts: clients, contacts, contracts and projects may carry the
key another system knows them by (unique where set; several rows may have none)

Revision ID: 5e1f0a2b3c4d
Revises: 814880e7589c
Create Date: 2026-11-26 02:22:49.078866

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0a2b3c4d'
down_revision = '814880e7589c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_client_external_id'), ['external_id'])

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contact_external_id'), ['external_id'])

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_contract_external_id'), ['external_id'])

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_project_external_id'), ['external_id'])


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_project_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contract_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_contact_external_id'), type_='unique')
        batch_op.drop_column('external_id')

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_client_external_id'), type_='unique')
        batch_op.drop_column('external_id')
