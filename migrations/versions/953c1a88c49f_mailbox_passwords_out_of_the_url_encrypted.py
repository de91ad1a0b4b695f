"""mailbox passwords out of the URL, encrypted (data only)

Revision ID: 953c1a88c49f
Revises: 8c555ca431ad
Create Date: 2026-11-25 18:30:00

Passwords written into mailbox.url before encryption at rest move into
mailbox.password_encrypted, encrypted with the app's first key (SOPORTE_ENCRYPTION_KEYS or the
instance key; see app/encryption.py). The downgrade puts them back into the URL.
"""
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '953c1a88c49f'
down_revision = '8c555ca431ad'
branch_labels = None
depends_on = None

mailbox = sa.table("mailbox", sa.column("id", sa.Integer), sa.column("url", sa.String),
                   sa.column("password_encrypted", sa.Text))


def _split(url):
    """(the URL without its password, the password or None); written out here, not imported,
    so that this migration keeps meaning what it meant."""
    parts = urlsplit(url or "")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if not colon:
        return url, None
    return urlunsplit(parts._replace(netloc=f"{user}{at}{hostport}")), unquote(password)


def _rows(connection):
    return connection.execute(sa.select(mailbox.c.id, mailbox.c.url, mailbox.c.password_encrypted)
                              .order_by(mailbox.c.id)).all()


def upgrade():
    from app import encryption

    connection = op.get_bind()
    for row in _rows(connection):
        bare, password = _split(row.url)
        if password is None:
            continue
        values = {"url": bare}
        if password and not row.password_encrypted:
            values["password_encrypted"] = encryption.encrypt(password)
        connection.execute(mailbox.update().where(mailbox.c.id == row.id).values(**values))


def downgrade():
    from app import encryption

    connection = op.get_bind()
    for row in _rows(connection):
        if not row.password_encrypted:
            continue
        bare, _old = _split(row.url)
        parts = urlsplit(bare)
        user, _at, hostport = parts.netloc.rpartition("@")
        password = quote(encryption.decrypt(row.password_encrypted), safe="")
        url = urlunsplit(parts._replace(netloc=f"{user}:{password}@{hostport}"))
        connection.execute(mailbox.update().where(mailbox.c.id == row.id)
                           .values(url=url, password_encrypted=None))
