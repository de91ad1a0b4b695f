"""billing basis kept on the ticket (replaces is_free, which a contract edited later could
contradict); user time zone

Existing tickets get the basis they have today: marked free; billed under their current
approved quote; or covered by their contract on the day of the migration (UTC).

Revision ID: 43ce3c71fa4d
Revises: 953c1a88c49f
Create Date: 2026-11-25 20:43:39.426204

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

from app.database import sqlite_fts_trigger_statements

# revision identifiers, used by Alembic.
revision = '43ce3c71fa4d'
down_revision = '953c1a88c49f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_basis', sa.Enum('FREE', 'CONTRACT', 'QUOTE', name='billingbasis', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('billing_contract_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('billing_quote_version', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ticket_billing_contract_id_contract'), 'contract', ['billing_contract_id'], ['id'])

    op.execute(sa.text("UPDATE ticket SET billing_basis = 'FREE' WHERE is_free = :yes")
               .bindparams(yes=True))
    op.execute("""
        UPDATE ticket SET billing_basis = 'QUOTE',
               billing_quote_version = (SELECT max(q.version) FROM quote q WHERE q.ticket_id = ticket.id)
        WHERE billing_basis IS NULL AND EXISTS (
            SELECT 1 FROM quote q WHERE q.ticket_id = ticket.id AND q.status = 'APPROVED'
            AND q.version = (SELECT max(v.version) FROM quote v WHERE v.ticket_id = ticket.id))""")
    op.execute(sa.text("""
        UPDATE ticket SET billing_basis = 'CONTRACT', billing_contract_id = contract_id
        WHERE billing_basis IS NULL AND contract_id IN (
            SELECT c.id FROM contract c WHERE c.active = :yes AND c.covers_support = :yes
            AND (c.starts_on IS NULL OR c.starts_on <= :today)
            AND (c.ends_on IS NULL OR c.ends_on >= :today))""")
               .bindparams(yes=True, today=dt.datetime.now(dt.timezone.utc).date()))

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('is_free')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('time_zone')

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_free', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # is_free meant "marked free": coverage by a contract was worked out again on every read
    op.execute(sa.text("UPDATE ticket SET is_free = :yes WHERE billing_basis = 'FREE'")
               .bindparams(yes=True))
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_billing_contract_id_contract'), type_='foreignkey')
        batch_op.drop_column('billing_quote_version')
        batch_op.drop_column('billing_contract_id')
        batch_op.drop_column('billing_basis')
    if op.get_bind().dialect.name == "sqlite":
        for statement in sqlite_fts_trigger_statements("ticket"):
            op.execute(statement)
