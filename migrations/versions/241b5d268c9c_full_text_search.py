"""full-text search: a tsvector with a GIN index (PostgreSQL, Spanish stemming) or FTS5
tables kept by triggers (SQLite); the search columns are not in the models (see app.database)

Revision ID: 241b5d268c9c
Revises: f50010449ffe
Create Date: 2026-11-24 00:28:32.296280

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '241b5d268c9c'
down_revision = 'f50010449ffe'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("""
            ALTER TABLE ticket ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
              to_tsvector('spanish', coalesce(number, '') || ' ' || coalesce(subject, '') || ' '
                          || coalesce(description, ''))) STORED""")
        op.execute("CREATE INDEX ix_ticket_search_vector ON ticket USING gin (search_vector)")
        op.execute("""
            ALTER TABLE note ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
              to_tsvector('spanish', coalesce(body_text, ''))) STORED""")
        op.execute("CREATE INDEX ix_note_search_vector ON note USING gin (search_vector)")
        return
    op.execute("""CREATE VIRTUAL TABLE ticket_fts USING fts5(
        number, subject, description, content='ticket', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""")
    op.execute("""CREATE VIRTUAL TABLE note_fts USING fts5(
        body_text, content='note', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""")
    for table, columns in (("ticket", "number, subject, description"), ("note", "body_text")):
        new_values = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
        old_values = ", ".join(f"old.{c.strip()}" for c in columns.split(","))
        op.execute(f"""CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); END""")
        op.execute(f"""CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, {columns})
            VALUES ('delete', old.id, {old_values}); END""")
        op.execute(f"""CREATE TRIGGER {table}_fts_update AFTER UPDATE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, {columns})
            VALUES ('delete', old.id, {old_values});
            INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new_values}); END""")
        op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_note_search_vector")
        op.execute("ALTER TABLE note DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP INDEX IF EXISTS ix_ticket_search_vector")
        op.execute("ALTER TABLE ticket DROP COLUMN IF EXISTS search_vector")
        return
    for table in ("ticket", "note"):
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
