"""contact.portal_link_generation: revokes a contact's ticket links (issue 16)

Every "view the ticket" link a customer gets by mail is signed with this number
(app.services.portal_links); staff sending a new link bumps it, and the contact's earlier links
stop working. Existing contacts start at 0, so links sent before this upgrade (there were none)
need nothing.

Revision ID: e5f607182930
Revises: c3d4e5f60718
Create Date: 2026-11-26 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f607182930'
down_revision = 'c3d4e5f60718'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('contact', sa.Column('portal_link_generation', sa.Integer(), nullable=False,
                                       server_default='0'))


def downgrade():
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('portal_link_generation')
