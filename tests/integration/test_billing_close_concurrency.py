"""Two supervisors closing the same period at once (issue 13): the closings queue, so each line
is billed by one batch and the second is told there is nothing left to bill."""
import threading

from sqlalchemy import select

from app.extensions import db
from app.models import BillingBatch, TimeEntry, User
from app.services.billing import batches
from app.services.errors import ValidationFailed
from tests import billing_data as data
from tests.billing_data import NOV_1, NOV_30


def test_a_second_closing_waits_for_the_first_and_finds_nothing_left(app, world):
    data.fix_clock(app)
    data.entry(data.ticket(world), world.agent, NOV_1)
    supervisor_id = world.supervisor.id
    db.session.commit()  # and no transaction left open here: SQLite's writers queue on it
    first_holds, first_may_commit = threading.Event(), threading.Event()
    outcome = {}

    def close(name, hold=False):
        with app.app_context():
            try:
                actor = db.session.get(User, supervisor_id)
                outcome[name] = batches.close_period(actor, NOV_1, NOV_30).number
                if hold:
                    first_holds.set()
                    first_may_commit.wait(30)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - the test reads what each one got
                db.session.rollback()
                outcome[name] = error
            finally:
                first_holds.set()
                db.session.remove()

    first = threading.Thread(target=close, args=("first", True))
    first.start()
    assert first_holds.wait(30)
    second = threading.Thread(target=close, args=("second",))
    second.start()
    second.join(0.5)  # the second is given time to read the lines, were it not queued
    first_may_commit.set()
    first.join(60)
    second.join(60)
    assert outcome["first"] == "LOTE-2026-0001"
    assert isinstance(outcome["second"], ValidationFailed), outcome["second"]
    db.session.expire_all()
    assert [b.number for b in db.session.scalars(select(BillingBatch))] == ["LOTE-2026-0001"]
    assert db.session.scalars(select(TimeEntry.billing_batch_id)).all() == [
        db.session.scalars(select(BillingBatch.id)).one()]
