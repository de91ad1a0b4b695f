"""A billing batch marked paid: its tickets become Paid once every line they bill is in a paid
batch; only a supervisor records it, once."""
import datetime as dt

import pytest

from app.extensions import db
from app.models import PaymentStatus, TicketStatus, TimeEntry
from app.services import worklog
from app.services.billing import batches, payment
from app.services.errors import InvalidTransition, NotPermitted
from tests import factories

NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
END_OF_NOVEMBER = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.timezone.utc)


def _by_time_ticket(world):
    """A ticket in progress billed by its time (no fixed price to bill besides)."""
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS)
    ticket.billing_by_time = True
    db.session.commit()
    return ticket


def _entry(world, ticket, day: int) -> TimeEntry:
    entry = worklog.log_time(world.supervisor, ticket, 1, 0, "Trabajo",
                             work_date=dt.date(2026, 11, day), billable=True)
    db.session.commit()
    return entry


def _batch(world, number, entries):
    batch = batches.create_batch(world.supervisor, number, *NOVEMBER, entries)
    db.session.commit()
    return batch


def test_a_paid_batch_makes_its_settled_tickets_paid_in_their_history(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    settled, split = _by_time_ticket(world), _by_time_ticket(world)
    first = _batch(world, "T-1", [_entry(world, settled, 3), _entry(world, split, 4)])
    second = _batch(world, "T-2", [_entry(world, split, 5)])

    assert payment.mark_batch_paid(world.supervisor, first) == [settled]
    db.session.commit()
    assert first.paid_at is not None and first.paid_by_id == world.supervisor.id
    assert settled.payment_status is PaymentStatus.PAID
    assert split.payment_status is PaymentStatus.UNPAID  # its other line waits in T-2

    assert payment.mark_batch_paid(world.supervisor, second) == [split]
    assert split.payment_status is PaymentStatus.PAID


def test_time_not_yet_billed_keeps_a_ticket_unpaid(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    ticket = _by_time_ticket(world)
    batch = _batch(world, "T-1", [_entry(world, ticket, 3)])
    _entry(world, ticket, 6)  # logged after the close: not in any batch
    assert payment.mark_batch_paid(world.supervisor, batch) == []
    assert ticket.payment_status is PaymentStatus.UNPAID


def test_only_a_supervisor_marks_a_batch_paid_and_only_once(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    batch = _batch(world, "T-1", [_entry(world, _by_time_ticket(world), 3)])
    with pytest.raises(NotPermitted):
        payment.mark_batch_paid(world.agent, batch)
    assert batch.paid_at is None
    payment.mark_batch_paid(world.supervisor, batch)
    with pytest.raises(InvalidTransition):
        payment.mark_batch_paid(world.supervisor, batch)


def test_new_billable_time_makes_a_paid_ticket_unpaid_again(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    ticket = _by_time_ticket(world)
    payment.mark_batch_paid(world.supervisor, _batch(world, "T-1", [_entry(world, ticket, 3)]))
    assert ticket.payment_status is PaymentStatus.PAID
    _entry(world, ticket, 9)  # more work, not billed yet: owed
    assert ticket.payment_status is PaymentStatus.UNPAID


def test_a_paid_batch_cannot_be_unlocked(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    batch = _batch(world, "T-1", [_entry(world, _by_time_ticket(world), 3)])
    payment.mark_batch_paid(world.supervisor, batch)
    with pytest.raises(InvalidTransition):
        batches.unlock_batch(world.supervisor, batch)
    assert batch.is_locked


def test_an_entry_of_an_unlocked_batch_made_not_billable_leaves_the_batch(app, world):
    app.config["SOPORTE_FIXED_NOW"] = END_OF_NOVEMBER
    entry = _entry(world, _by_time_ticket(world), 3)
    batch = _batch(world, "T-1", [entry])
    batches.unlock_batch(world.supervisor, batch)
    worklog.set_billable(world.supervisor, entry, False)
    assert entry.billing_batch_id is None and batch.entries == []
