"""ticket.notes_vector (PostgreSQL): the words of all a ticket's notes, kept on the ticket

A text search found the tickets whose notes match by reading every matching note for its
ticket: a common word (one in 144,000 notes of 5,000,000) read 144,000 rows on every list page,
2.8 s at a million tickets. With each ticket's note words on the ticket, in a GIN index, a search
is a condition on the ticket row like any filter: PostgreSQL walks the sort's index and stops at
the page for a common word, or gathers the few tickets of a rare one.

The column is a stripped tsvector (lexemes only, no positions: its size grows with the words a
ticket's notes use, not with how often they use them). A search with a phrase (a quoted phrase,
or a hyphenated word, which PostgreSQL also matches as a phrase) still reads the notes, as
positions are needed (app.services.ticket_list). Triggers keep it: a new note adds its words,
changed or deleted notes recompute their tickets' words (once per statement). A ticket whose
notes' words would pass NOTES_VECTOR_MAX_BYTES keeps none and is marked (notes_vector_full):
its notes are then searched one by one, as before this revision, so nothing is missed.

SQLite searches with FTS5 and is unchanged.

Revision ID: 5c6d7e8f90a1
Revises: 4b5c6d7e8f90
Create Date: 2026-11-26 18:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c6d7e8f90a1'
down_revision = '4b5c6d7e8f90'
branch_labels = None
depends_on = None

# A tsvector holds at most 1 MB: well below that, a ticket stops collecting its notes' words.
NOTES_VECTOR_MAX_BYTES = 512 * 1024


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # words plus a note's words (stripped); NULL once they would pass the size (and after)
    op.execute(f"""
        CREATE FUNCTION soporte_words_add(words tsvector, more tsvector) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN words IS NULL OR pg_column_size(words) + pg_column_size(strip(more))
                                              > {NOTES_VECTOR_MAX_BYTES}
                        THEN NULL ELSE words || strip(more) END
        $$""")
    op.execute("""CREATE AGGREGATE soporte_notes_words(tsvector) (
        SFUNC = soporte_words_add, STYPE = tsvector, INITCOND = '')""")
    op.execute("ALTER TABLE ticket ADD COLUMN notes_vector tsvector")
    # stored uncompressed, so that pg_column_size is its real size (a tsvector's limit)
    op.execute("ALTER TABLE ticket ALTER COLUMN notes_vector SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE ticket ADD COLUMN notes_vector_full boolean NOT NULL DEFAULT false")
    # the tickets' rows locked first (a concurrent new note's transaction holds its ticket's),
    # then their notes read by a statement of its own, which sees what those committed
    op.execute("""
        CREATE FUNCTION soporte_ticket_notes_words(ticket_ids bigint[]) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM 1 FROM ticket WHERE id = ANY(ticket_ids) ORDER BY id FOR UPDATE;
            UPDATE ticket SET notes_vector = words.vector,
                              notes_vector_full = words.vector IS NULL
            FROM (SELECT t.id, w.vector FROM unnest(ticket_ids) AS t(id)
                  CROSS JOIN LATERAL (SELECT soporte_notes_words(n.search_vector ORDER BY n.id)
                                             AS vector
                                      FROM note n WHERE n.ticket_id = t.id) w) words
            WHERE ticket.id = words.id;
        END $$""")
    op.execute("""
        CREATE FUNCTION soporte_note_words_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- one UPDATE (a concurrent note's words are added to the row it committed)
            UPDATE ticket SET
                notes_vector = soporte_words_add(coalesce(notes_vector, ''), NEW.search_vector),
                notes_vector_full = soporte_words_add(coalesce(notes_vector, ''),
                                                      NEW.search_vector) IS NULL
            WHERE id = NEW.ticket_id AND NOT notes_vector_full;
            RETURN NULL;
        END $$""")
    # a changed or deleted note: its tickets' words again, once per statement
    op.execute("""
        CREATE FUNCTION soporte_note_words_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM soporte_ticket_notes_words(
                    ARRAY(SELECT DISTINCT ticket_id FROM old_notes)::bigint[]);
            ELSE
                PERFORM soporte_ticket_notes_words(ARRAY(
                    SELECT o.ticket_id FROM old_notes o JOIN new_notes n ON n.id = o.id
                    WHERE o.body_text IS DISTINCT FROM n.body_text
                       OR o.ticket_id IS DISTINCT FROM n.ticket_id
                    UNION
                    SELECT n.ticket_id FROM old_notes o JOIN new_notes n ON n.id = o.id
                    WHERE o.body_text IS DISTINCT FROM n.body_text
                       OR o.ticket_id IS DISTINCT FROM n.ticket_id)::bigint[]);
            END IF;
            RETURN NULL;
        END $$""")
    op.execute("""CREATE TRIGGER note_words_insert AFTER INSERT ON note
        FOR EACH ROW EXECUTE FUNCTION soporte_note_words_added()""")
    op.execute("""CREATE TRIGGER note_words_update AFTER UPDATE ON note
        REFERENCING OLD TABLE AS old_notes NEW TABLE AS new_notes
        FOR EACH STATEMENT EXECUTE FUNCTION soporte_note_words_changed()""")
    op.execute("""CREATE TRIGGER note_words_delete AFTER DELETE ON note
        REFERENCING OLD TABLE AS old_notes
        FOR EACH STATEMENT EXECUTE FUNCTION soporte_note_words_changed()""")
    # every ticket's words from its notes, in one pass over the notes (grouped by ticket)
    op.execute("""
        UPDATE ticket SET notes_vector = words.vector, notes_vector_full = words.vector IS NULL
        FROM (SELECT ticket_id, soporte_notes_words(search_vector ORDER BY id) AS vector
              FROM note GROUP BY ticket_id) words
        WHERE ticket.id = words.ticket_id""")
    op.execute("CREATE INDEX ix_ticket_notes_vector ON ticket USING gin (notes_vector)")
    op.execute("CREATE INDEX ix_ticket_notes_vector_full ON ticket (id) WHERE notes_vector_full")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS note_words_delete ON note")
    op.execute("DROP TRIGGER IF EXISTS note_words_update ON note")
    op.execute("DROP TRIGGER IF EXISTS note_words_insert ON note")
    op.execute("DROP FUNCTION IF EXISTS soporte_note_words_changed()")
    op.execute("DROP FUNCTION IF EXISTS soporte_note_words_added()")
    op.execute("DROP FUNCTION IF EXISTS soporte_ticket_notes_words(bigint[])")
    op.execute("DROP INDEX IF EXISTS ix_ticket_notes_vector_full")
    op.execute("DROP INDEX IF EXISTS ix_ticket_notes_vector")
    op.execute("ALTER TABLE ticket DROP COLUMN IF EXISTS notes_vector_full")
    op.execute("ALTER TABLE ticket DROP COLUMN IF EXISTS notes_vector")
    op.execute("DROP AGGREGATE IF EXISTS soporte_notes_words(tsvector)")
    op.execute("DROP FUNCTION IF EXISTS soporte_words_add(tsvector, tsvector)")
