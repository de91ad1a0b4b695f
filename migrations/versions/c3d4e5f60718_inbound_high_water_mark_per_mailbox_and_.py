"""inbound_high_water: how far each mailbox has been read, per UIDVALIDITY (issue 15)

A poll asks the server only for the UIDs above its mailbox's mark and reads only their records
(mail_ingest.high_water), so it costs what is new, not all the mail ever received.

Existing installations: no mark is written here. The records alone cannot say where the mark
may stand: a UID without a record is either a message deleted on the server or one that was
never recorded (and must still be taken), and only the server can tell them apart. The first
poll of each mailbox after this upgrade finds no mark, so it lists the server's UIDs once,
compares them with the records already there (nothing recorded is downloaded again) and sets
the mark; every later poll starts from it.

Revision ID: c3d4e5f60718
Revises: b2c3d4e5f607
Create Date: 2026-11-26 08:58:34.194924

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d4e5f60718'
down_revision = 'b2c3d4e5f607'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_high_water',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('uid', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('uid >= 0', name=op.f('ck_inbound_high_water_uid_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_high_water')),
    sa.UniqueConstraint('mailbox', 'uidvalidity', name=op.f('uq_inbound_high_water_mailbox_uidvalidity'))
    )


def downgrade():
    op.drop_table('inbound_high_water')
