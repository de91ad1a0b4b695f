"""The ticket list's text search: the condition a search adds to the list's query
(search_condition), and what the list needs to know of it to count and page it.

A search finds the tickets whose number is the query, whose client's name contains it, or whose
text or notes match it: a tsvector with Spanish stemming on PostgreSQL, FTS5 (prefix) on SQLite.
On PostgreSQL a query with words and no phrase is a condition on the ticket row (row_searched,
_row_search); any other gathers its matches. Measured in bench/dashboard.py (README, "Dashboard
benchmark").
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, Select, Text, and_, any_, exists, func, literal_column, or_, \
    select, text, union
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from app.extensions import db
from app.models.client import Client
from app.models.columns import INTEGER_MAX
from app.models.ticket import Note, Ticket
from app.services.literal_match import contains_text

# A search's clients are looked up first and named by id, up to this many (_row_search).
CLIENT_IDS_MAX = 500
# How many index entries gathering reads for the time walking the list's order checks one
# ticket (SearchPlan).
WALK_COST = 10


def searched_sequence(text_query: str | None) -> int | None:
    """The ticket sequence a search names when it is a ticket number in any spelling
    (`TCK-000007`, `tck-7`, `000007`, `7`), else None."""
    prefix = re.escape(current_app.config["SOPORTE_TICKET_PREFIX"].upper())
    number = re.fullmatch(rf"(?:{prefix})?0*([0-9]{{1,10}})", (text_query or "").strip().upper())
    if number and 1 <= int(number.group(1)) <= INTEGER_MAX:
        return int(number.group(1))
    return None


def search_condition(text_query: str):
    """Tickets whose number is the query, whose client's name contains it, or whose text or
    notes match it: a tsvector with Spanish stemming on PostgreSQL, FTS5 (prefix) on SQLite.

    On PostgreSQL, a query without a phrase is a condition on the ticket row (_row_search). A
    phrase (quoted, or a hyphenated word) needs the words' positions, which only the notes
    have, and SQLite keeps its words in FTS5 tables: then each part is an indexed id lookup,
    their union one IN (…), every matching note read."""
    if row_searched(text_query):
        return _row_search(text_query)
    words = re.findall(r"\w+", text_query)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    parts = [select(Ticket.id).where(Ticket.client_id.in_(_client_match(text_query)))]
    sequence = searched_sequence(text_query)
    if sequence is not None:
        parts.append(select(Ticket.id).where(Ticket.sequence == sequence))
    if words and postgresql:
        tsquery = func.websearch_to_tsquery("spanish", text_query)
        parts.append(select(Ticket.id).where(
            literal_column("ticket.search_vector").op("@@")(tsquery)))
        parts.append(select(Note.ticket_id).where(
            literal_column("note.search_vector").op("@@")(tsquery)))
    elif words:
        match = " ".join('"' + word.replace('"', '""') + '"*' for word in words[:20])
        parts.append(select(literal_column("rowid")).select_from(text("ticket_fts")).where(
            text("ticket_fts MATCH :m").bindparams(m=match)))
        parts.append(select(Note.ticket_id).where(Note.id.in_(
            select(literal_column("rowid")).select_from(text("note_fts")).where(
                text("note_fts MATCH :n").bindparams(n=match)))))
    if postgresql:
        # the matches' ids gathered first, then each ticket looked up by its id: given an IN (…),
        # PostgreSQL took the client-name part's estimate (a client's 20,000 tickets) and
        # hash-joined the matches with a scan of a whole ticket index (the counts of a number
        # search: 90 ms at a million tickets, 1 ms so)
        return Ticket.id == any_(func.array(union(*parts).scalar_subquery()))
    return Ticket.id.in_(union(*parts))


def _client_match(text_query: str) -> Select:
    return select(Client.id).where(contains_text(Client.name, text_query))


def _row_search(text_query: str) -> ColumnElement[bool]:
    """The PostgreSQL search without a phrase, as a condition on the ticket row whose every arm
    has an index: the ticket's own words, its notes' words kept on it (migration 5c6d7e8f90a1),
    its number, its client (the few matching clients' ids, looked up first). PostgreSQL then
    gathers the few tickets of a rare word (one bitmap per arm), or walks the sort's index and
    stops at the page for a common one, reading no note. A ticket whose notes hold too many
    words to keep (notes_vector_full, a partial index) has its notes searched one by one."""
    tsquery = func.websearch_to_tsquery("spanish", text_query)
    arms = [literal_column("ticket.search_vector").op("@@")(tsquery),
            literal_column("ticket.notes_vector").op("@@")(tsquery)]
    sequence = searched_sequence(text_query)
    if sequence is not None:
        arms.append(Ticket.sequence == sequence)
    clients = db.session.scalars(_client_match(text_query).limit(CLIENT_IDS_MAX + 1)).all()
    if len(clients) > CLIENT_IDS_MAX:  # a broad name match: the list walks its index anyway
        arms.append(Ticket.client_id.in_(_client_match(text_query)))
    elif clients:
        arms.append(Ticket.client_id.in_(clients))
    # OFFSET 0 keeps the notes' check a lookup of the ticket's own notes (ix_note_ticket_id):
    # without it PostgreSQL may hash every note of the word once for the whole query (a scan of
    # all notes, 2 to 6 s at five million, when a walk meets a ticket whose words are not kept)
    arms.append(and_(literal_column("ticket.notes_vector_full"), exists(
        select(literal_column("1")).where(
            Note.ticket_id == Ticket.id, literal_column("note.search_vector").op("@@")(tsquery))
        .offset(0))))
    return or_(*arms)


def row_searched(text_query: str) -> bool:
    """Whether a text search is a condition on the ticket row (_row_search): on PostgreSQL, a
    query with words and no phrase."""
    return (bool(re.search(r"\w", text_query or ""))
            and db.session.get_bind().dialect.name == "postgresql"
            and not _has_phrase(text_query))


@functools.lru_cache(maxsize=512)
def _has_phrase(text_query: str) -> bool:
    """Whether PostgreSQL's reading of the query has a phrase (words that must be adjacent): a
    quoted phrase, or a word the parser splits, such as a hyphenated one."""
    parsed = db.session.scalar(select(func.websearch_to_tsquery("spanish", text_query)
                                      .cast(Text)))
    return "<" in (parsed or "")


@dataclass(frozen=True)
class SearchPlan:
    """What PostgreSQL expects of a row search under the list's filters (one EXPLAIN of it):
    how many tickets it matches, how many index entries gathering them reads (its bitmap
    scans: every entry of the word, whatever the filters leave of it), and how many tickets
    there are. `walks(wanted)` says which of the two ways finds the first `wanted` matches in
    the list's order for less:

    - gathering: read the word's (and each filter's) index entries, combine them, then visit
      and sort the matches; about 0.2 µs an entry (40 ms for a word in 170,000 tickets of a
      million, whatever the filters leave of it);
    - walking the sort's index, checking each ticket until `wanted` match: about 2.5 µs a
      ticket (a word in 2.5 % of the tickets: 100 ms to find 1,001), reading wanted ×
      tickets / matches of them.

    Measured at a million tickets (bench/dashboard.py's database, the count of 1,001 and the
    first page): a common word alone or under a broad filter (an urgency, a type: 35-53 ms
    walked, 136 ms gathered) and its first page under a narrow one (a client, a status: 25-30
    ms walked, 71-112 ms gathered) are walked; a rare word, and the count of a common one under
    a narrow filter (93-95 ms gathered, 155-353 ms walked) are gathered. The ratio that
    separates them, WALK_COST, lies between 4 and 22 in those cases. The page is walked only
    where the sort's index gives the list's order (ticket_list.DISTINCT_SORTS). PostgreSQL's own choice
    misjudges the walk both ways; its estimates of the matches are good for common words (the
    ones that matter here)."""

    matches: float
    gathered: float
    tickets: float

    def walks(self, wanted: int) -> bool:
        """Whether walking the list's order finds its first `wanted` matches for less than
        gathering reads. A plan without bitmap scans (gathered 0: a word in most tickets, read
        by a sequential scan that stops at the count's cap) is left as PostgreSQL plans it."""
        if self.tickets <= 0 or self.matches <= 0:
            return False
        walked = min(self.tickets, wanted * self.tickets / self.matches)
        return walked * WALK_COST < self.gathered


def search_plan(query: Select) -> SearchPlan:
    """PostgreSQL's expectations of a row search (see SearchPlan), from one EXPLAIN of the
    query with its values bound as the list binds them."""
    plan = db.session.execute(_Explain(
        query.with_only_columns(literal_column("1"), maintain_column_froms=True)
        .order_by(None))).scalar()[0]["Plan"]
    tickets = db.session.scalar(text("SELECT reltuples FROM pg_class "
                                     "WHERE oid = 'ticket'::regclass"))
    return SearchPlan(plan["Plan Rows"], _bitmap_entries(plan), tickets or 0)


def _bitmap_entries(node: dict) -> float:
    """The index entries a plan's bitmap scans are expected to read."""
    own = node["Plan Rows"] if node["Node Type"] == "Bitmap Index Scan" else 0
    return own + sum(_bitmap_entries(child) for child in node.get("Plans", ()))


@contextmanager
def walking() -> Iterator[None]:
    """Statements run inside read the list's order from the sort's index, checking each ticket
    (no bitmap scans), for the rest of the block: what SearchPlan.walks chose. The planner's
    setting is put back as it was after it (SET LOCAL: the transaction's own), also when the
    block raises; but a database error leaves that to the rollback that follows (the search
    budget's savepoint, or the request's): a statement the database stopped has aborted the
    transaction, and one more would only replace the error in hand."""
    before = db.session.execute(text(
        "SELECT current_setting('enable_bitmapscan'), "
        "set_config('enable_bitmapscan', 'off', true)")).scalar()
    restore = text("SELECT set_config('enable_bitmapscan', :before, true)")
    try:
        yield
    except DBAPIError:
        raise  # the transaction is aborted: its rollback puts the setting back
    except BaseException:
        db.session.execute(restore, {"before": before})  # the transaction goes on: put it back
        raise
    db.session.execute(restore, {"before": before})


class _Explain(Executable, ClauseElement):
    """EXPLAIN (FORMAT JSON) of a statement, executed as one: its values bound as the
    statement's own would be (SQLAlchemy's recipe). Its compiled form is cached by the
    statement's own cache key, as the statement's is (compiling the search's query anew took
    a few milliseconds of every searched page)."""

    inherit_cache = True
    _traverse_internals = [("statement", InternalTraversal.dp_clauseelement)]

    def __init__(self, statement) -> None:
        self.statement = statement

    @property
    def _all_selected_columns(self):
        """Its one column, for a cached execution's result (the plan)."""
        return [literal_column('"QUERY PLAN"')]


@compiles(_Explain, "postgresql")
def _compile_explain(element, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)
