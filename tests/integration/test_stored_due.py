"""Ticket.sla_due of a ticket the committing transaction inserted (an email's new ticket, one made
on the dashboard) is computed from the history rows the session wrote for it, without reading
them back (app/services/sla/stored_due.py): it must equal what ticket_clocks computes from the
history as stored, whatever else the transaction did to that history (more rows, a deleted one,
a savepoint rolled back). The default calendar: Monday to Friday 09:00-18:00 in Europe/Madrid."""
import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models.enums import NoteKind, TicketStatus, Urgency
from app.models.sla import SlaTarget
from app.models.ticket import Ticket
from app.services import notes, quote_decisions, status_changes, tickets
from app.services.permissions import SYSTEM
from app.services.sla.clocks import pressing_clock, ticket_clocks
from app.services.tickets import TicketFields
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.clocks import madrid


def _stored(ticket_id: int):
    return db.session.scalar(select(Ticket.sla_due).where(Ticket.id == ticket_id))


def _due_from_the_database(ticket_id: int):
    """What ticket_clocks says once everything is read back from the database."""
    db.session.expire_all()
    pressing = pressing_clock(ticket_clocks(db.session.get(Ticket, ticket_id)))
    return pressing[1].due if pressing else None


def _new(world, **fields) -> Ticket:
    values = dict(client_id=world.client.id, contact_id=world.contact.id,
                  description="No arranca el servidor", subject="Servidor caído",
                  contract_id=world.covering_contract.id)  # free: work may start at once
    values.update(fields)
    return tickets.create_ticket(world.agent, TicketFields(**values))


class _Statements:
    """The SQL statements run while it is open."""

    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._see)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._see)

    def _see(self, _conn, _cursor, statement, *_args):
        self.seen.append(" ".join(statement.split()))

    def reading(self, table: str) -> list[str]:
        return [s for s in self.seen
                if s.startswith("SELECT") and re.search(rf'\bFROM "?{table}"?\b', s)]


def test_an_emails_new_ticket_stores_its_due_time_without_reading_its_history(world, at):
    at(16, 10)  # Monday 10:00: a medium ticket's first response is due at 18:00
    ingest("INBOX", 1, "1", corpus.simple(subject="No arranca"))  # the session's first commit
    with _Statements() as statements:
        ingest("INBOX", 1, "2", corpus.simple(subject="Tampoco imprime"))
    ticket = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    assert _stored(ticket.id) == _due_from_the_database(ticket.id) == madrid(16, 18)
    for table in ("note", "ticket_change", "quote"):
        assert statements.reading(table) == [], table
    assert len(statements.reading("sla_target")) == 1  # once per transaction, never per ticket


def test_history_written_after_the_insert_in_the_same_transaction_counts(world, at):
    at(16, 10)
    ticket = _new(world)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    notes.reply_publicly(world.agent, ticket, "Lo miramos")  # first response met at 10:00
    db.session.commit()
    assert _stored(ticket.id) == _due_from_the_database(ticket.id)
    assert _stored(ticket.id) == madrid(20, 14)  # resolution: 40 business hours

    at(16, 11)
    paused = _new(world)
    status_changes.change_status(world.agent, paused, TicketStatus.IN_PROGRESS, "Empiezo")
    status_changes.change_status(world.agent, paused, TicketStatus.ON_HOLD, "Esperamos datos")
    db.session.commit()
    assert _stored(paused.id) is _due_from_the_database(paused.id) is None


def test_a_row_deleted_or_undone_by_a_savepoint_is_not_history(world, at):
    at(16, 10)
    ticket = _new(world)
    reply = notes.create_note(ticket, NoteKind.PUBLIC_REPLY, "Borrador", SYSTEM)
    db.session.flush()
    db.session.delete(reply)  # a reply that no longer exists answers nothing
    db.session.flush()
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
            status_changes.change_status(world.agent, ticket, TicketStatus.ON_HOLD, "Pausa")
            db.session.flush()
            raise RuntimeError("the rule gave up: the savepoint is rolled back")
    db.session.commit()
    assert _stored(ticket.id) == _due_from_the_database(ticket.id) == madrid(16, 18)


def test_a_ticket_whose_insert_a_savepoint_undid_stores_nothing(world, at):
    at(16, 10)
    kept = _new(world)
    db.session.flush()
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            _new(world, subject="Deshecho")
            db.session.flush()
            raise RuntimeError("undone")
    with _Statements() as statements:
        db.session.commit()
    assert len([s for s in statements.seen if s.startswith("UPDATE ticket SET")]) == 1
    assert _stored(kept.id) == madrid(16, 18)
    assert db.session.scalar(select(Ticket.id).where(Ticket.subject == "Deshecho")) is None


def test_a_target_this_session_saves_is_used_by_its_next_commit(world, at):
    at(16, 10)
    first = _new(world, urgency=Urgency.HIGH)
    db.session.commit()  # the session reads the stored targets (none: the defaults)
    assert _stored(first.id) == madrid(16, 14)  # high: 4 business hours
    db.session.add(SlaTarget(urgency=Urgency.HIGH, first_response_minutes=60,
                             next_response_minutes=60, resolution_minutes=16 * 60))
    db.session.commit()
    second = _new(world, urgency=Urgency.HIGH)
    db.session.commit()
    assert _stored(second.id) == _due_from_the_database(second.id) == madrid(16, 11)


def test_a_target_another_session_saves_is_used_by_this_sessions_next_commit(world, at, app):
    """A poller's round is one session: a target an administrator saves meanwhile must reach
    the tickets the round creates next (the tick may have swept for that edit already)."""
    at(16, 10)
    first = _new(world, urgency=Urgency.HIGH)
    db.session.commit()
    assert _stored(first.id) == madrid(16, 14)
    db.session.commit()  # the read's transaction ends, the session (the round) goes on
    with db.engine.begin() as elsewhere:
        elsewhere.execute(SlaTarget.__table__.insert().values(
            urgency=Urgency.HIGH.name, first_response_minutes=60, next_response_minutes=60,
            resolution_minutes=16 * 60))
    second = _new(world, urgency=Urgency.HIGH)
    db.session.commit()
    assert _stored(second.id) == madrid(16, 11)


def test_a_target_of_a_commit_that_failed_is_not_used(world, at):
    at(16, 10)
    db.session.add(SlaTarget(urgency=Urgency.HIGH, first_response_minutes=60,
                             next_response_minutes=60, resolution_minutes=16 * 60))
    _new(world, urgency=Urgency.HIGH)  # its due time is computed with that target, then:

    def fail(_session):
        raise RuntimeError("the commit failed")

    event.listen(db.session, "before_commit", fail)  # after the hook's own listener
    try:
        with pytest.raises(RuntimeError):
            db.session.commit()
    finally:
        event.remove(db.session, "before_commit", fail)
    db.session.rollback()
    ticket = _new(world, urgency=Urgency.HIGH)
    db.session.commit()
    assert _stored(ticket.id) == _due_from_the_database(ticket.id) == madrid(16, 14)


def test_a_stored_tickets_due_time_is_computed_from_its_history_as_stored(world, at):
    """A ticket of an earlier transaction has its history read back (refresh_dues): every part
    of it ticket_clocks reads, the notes, the status changes and the quotes, moves the stored
    due time exactly as ticket_clocks computes it from the database."""
    at(16, 10)  # Monday
    ticket = _new(world, contract_id=None)  # billed: work waits for an approved quote
    db.session.commit()
    steps = [
        (16, 11, lambda: factories.quote(world, ticket)),  # the customer must decide: paused
        (16, 15, lambda: quote_decisions.decide_by_customer(
            ticket.current_quote.id, ticket.current_quote.version, True)),
        (17, 10, lambda: status_changes.change_status(world.agent, ticket,
                                                      TicketStatus.IN_PROGRESS, "Empiezo")),
        (17, 11, lambda: notes.reply_publicly(world.agent, ticket, "Lo miramos")),
        (17, 12, lambda: ingest("INBOX", 1, "1", corpus.simple(
            subject=f"Re: [{ticket.number}] Servidor caído"))),  # the customer writes again
        (17, 13, lambda: status_changes.change_status(world.agent, ticket,
                                                      TicketStatus.ON_HOLD, "Esperamos datos")),
    ]
    stored = [_stored(ticket.id)]
    for day, hour, step in steps:
        at(day, hour)
        step()
        db.session.commit()
        assert _stored(ticket.id) == _due_from_the_database(ticket.id), (day, hour)
        stored.append(_stored(ticket.id))
    assert stored == [
        madrid(16, 18),  # the first response
        None,  # quoted: waiting for the customer's decision
        madrid(17, 13), madrid(17, 13),  # approved at 15:00: the first response again
        madrid(20, 18),  # answered: the resolution
        madrid(18, 11),  # the customer wrote: the next response
        None]  # on hold
