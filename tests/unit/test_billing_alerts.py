"""Billing warnings (docs/billing.md, issue 13): an hour bank used to 80 % and to 100 % warns the
entry's author and every active supervisor once per contract, period and threshold (and again in
the next period); a ticket's time reaching 80 % and 100 % of its quote's estimate warns its
assignee (else the author) and every supervisor once per quote version; each in the reader's
language; a warning another transaction gave already is not given twice."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BillingAlert, Language, Notification, Quote, QuoteStatus, Role, TimeEntry
from app.models.enums import BankPeriod, BillingAlertKind
from app.services import assignment, quote_decisions, worklog
from app.services.billing import basis
from tests import factories

D = Decimal
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fixed_clock(app):
    app.config.update(SOPORTE_FIXED_NOW=NOW, SOPORTE_TIMEZONE="Europe/Madrid")


def _notes(kind_prefix=""):
    return [(n.user.email, n.kind) for n in db.session.scalars(
        select(Notification).where(Notification.kind.startswith(kind_prefix))
        .order_by(Notification.id))]


def _log(world, ticket, minutes, day=None, who=None):
    entry = worklog.log_time(who or world.agent, ticket, minutes // 60, minutes % 60,
                             work_date=day)
    db.session.commit()
    return entry


def _bank_ticket(world, hours="10"):
    contract = world.covering_contract
    contract.included_hours, contract.bank_period = D(hours), BankPeriod.MONTH
    db.session.commit()
    return factories.new_ticket(world, contract_id=contract.id)


def _quoted(world, hours="2"):
    ticket = factories.new_ticket(world)
    factories.quote(world, ticket, hours=hours)
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, True)
    db.session.commit()
    return ticket


AGENT, SUPER = "agent@soporte.example", "super@soporte.example"


def test_a_bank_warns_at_80_and_100_percent_once_each_per_period(world):
    ticket = _bank_ticket(world, hours="10")
    _log(world, ticket, 470)
    assert _notes() == []
    _log(world, ticket, 10)  # 480 of 600: 80 %
    assert _notes() == [(AGENT, "hour_bank_80"), (SUPER, "hour_bank_80")]
    _log(world, ticket, 60)
    _log(world, ticket, 59)  # 599: not yet
    assert len(_notes()) == 2
    _log(world, ticket, 1, who=world.agent2)  # 600: 100 %, the author this time is agent2
    _log(world, ticket, 120)
    assert _notes()[2:] == [("agent2@soporte.example", "hour_bank_100"), (SUPER, "hour_bank_100")]
    _log(world, ticket, 600, day=dt.date(2026, 11, 21))  # tomorrow, same month: nothing new
    assert len(_notes()) == 4
    alerts = db.session.scalars(select(BillingAlert).order_by(BillingAlert.id)).all()
    assert [(a.kind, a.subject_id, a.period, a.threshold) for a in alerts] == [
        (BillingAlertKind.BANK, world.covering_contract.id, "2026-11", 80),
        (BillingAlertKind.BANK, world.covering_contract.id, "2026-11", 100)]


def test_the_next_period_warns_again(app, world):
    ticket = _bank_ticket(world, hours="1")
    _log(world, ticket, 60)
    assert [k for _u, k in _notes()] == ["hour_bank_80", "hour_bank_80", "hour_bank_100",
                                         "hour_bank_100"]
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    _log(world, ticket, 50)  # 83 % of December's bank
    assert _notes()[4:] == [(AGENT, "hour_bank_80"), (SUPER, "hour_bank_80")]
    assert db.session.scalars(select(BillingAlert.period).order_by(BillingAlert.id)).all() == [
        "2026-11", "2026-11", "2026-12"]


def test_an_edit_that_reaches_the_threshold_warns(world):
    ticket = _bank_ticket(world, hours="1")
    entry = _log(world, ticket, 30)
    assert _notes() == []
    worklog.edit_time_entry(world.agent, entry, minutes=50)
    assert [k for _u, k in _notes()] == ["hour_bank_80", "hour_bank_80"]


def test_each_reader_gets_the_warning_in_their_language(world):
    english = factories.make_user(Role.SUPERVISOR, "boss@soporte.example", "Boss",
                                  language=Language.EN)
    factories.make_user(Role.SUPERVISOR, "old@soporte.example", "Old", active=False)
    ticket = _bank_ticket(world, hours="1")
    _log(world, ticket, 48)
    messages = {n.user.email: n.message for n in db.session.scalars(select(Notification))}
    assert set(messages) == {AGENT, SUPER, english.email}  # not the inactive supervisor
    assert messages[english.email] == (
        "The hour bank of Soporte anual (Acme S.A.) reached 80% in 2026-11: 0 h 48 min used of "
        "1 h 0 min.")
    assert messages[SUPER].startswith("La bolsa de horas de Soporte anual (Acme S.A.) llegó al "
                                      "80% en 2026-11")


def test_a_quote_estimate_warns_the_assignee_once_per_version(world):
    ticket = _quoted(world, hours="2")
    assignment.assign(world.supervisor, ticket, world.agent2.id)
    _log(world, ticket, 95)
    assert _notes("estimate") == []
    _log(world, ticket, 1)  # 96 of 120 min: 80 %
    assert _notes("estimate") == [("agent2@soporte.example", "estimate_80"), (SUPER, "estimate_80")]
    _log(world, ticket, 30)
    assert [k for _u, k in _notes("estimate")][2:] == ["estimate_100", "estimate_100"]
    _log(world, ticket, 30)
    assert len(_notes("estimate")) == 4
    # a new version approved: its estimate warns again (v2, 4 hours: 156 of 240 min is 65 %)
    quote = Quote(ticket=ticket, version=2, price=D("300.00"), estimated_hours=D("4"),
                  currency="USD", status=QuoteStatus.APPROVED)
    db.session.add(quote)
    basis.quote_approved(ticket, quote, world.supervisor, None)
    db.session.commit()
    _log(world, ticket, 40)  # 196 of 240: 81 %
    assert _notes("estimate")[4:] == [("agent2@soporte.example", "estimate_80"),
                                      (SUPER, "estimate_80")]
    assert db.session.scalars(select(BillingAlert.period).order_by(BillingAlert.id)).all() == [
        "v1", "v1", "v2"]


def test_an_unassigned_tickets_estimate_warns_the_author(world):
    ticket = _quoted(world, hours="1")
    _log(world, ticket, 60, who=world.agent2)
    assert _notes("estimate") == [("agent2@soporte.example", "estimate_80"), (SUPER, "estimate_80"),
                        ("agent2@soporte.example", "estimate_100"), (SUPER, "estimate_100")]


def test_a_warning_given_by_another_transaction_is_not_given_again(world):
    ticket = _bank_ticket(world, hours="1")
    contract_id = world.covering_contract.id
    db.session.commit()  # SQLite: release this session's write lock for the other writer
    with db.engine.begin() as other:  # someone logging at the same moment, committed first
        other.execute(BillingAlert.__table__.insert().values(
            kind=BillingAlertKind.BANK.value, subject_id=contract_id,
            period="2026-11", threshold=80, created_at=NOW))
    entry = _log(world, ticket, 50)
    assert _notes() == []  # the 80 % warning was theirs; this entry is kept all the same
    assert entry.id is not None and ticket.total_minutes == 50
    _log(world, ticket, 10)
    assert [k for _u, k in _notes()] == ["hour_bank_100", "hour_bank_100"]


def _log_in_own_transaction(app, ticket_id, user_id, minutes, start):
    """Someone logging from another request: their own session and transaction."""
    from app.models import Ticket, User

    with app.app_context():
        try:
            ticket, user = db.session.get(Ticket, ticket_id), db.session.get(User, user_id)
            db.session.commit()
            start.wait(timeout=30)
            worklog.log_time(user, ticket, 0, minutes)
            db.session.commit()
        finally:
            db.session.remove()


def test_two_people_logging_at_once_use_the_bank_once_and_warn_once(app, world):
    import threading

    _bank_ticket(world, hours="1")
    first = factories.new_ticket(world, contract_id=world.covering_contract.id)
    second = factories.new_ticket(world, contract_id=world.covering_contract.id)
    jobs = [(first.id, world.agent.id), (second.id, world.agent2.id)]
    db.session.commit()  # nothing of this session holds a lock while they log
    start = threading.Barrier(2)
    threads = [threading.Thread(target=_log_in_own_transaction,
                                args=(app, ticket_id, user_id, 40, start))
               for ticket_id, user_id in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.expire_all()
    entries = db.session.scalars(select(TimeEntry).order_by(TimeEntry.id)).all()
    assert len(entries) == 2 and sum(e.covered_minutes for e in entries) == 60  # not 80
    assert db.session.scalars(select(BillingAlert.threshold).order_by(BillingAlert.id)
                              ).all() == [80, 100]
    assert sorted(k for _u, k in _notes()) == ["hour_bank_100", "hour_bank_100",
                                               "hour_bank_80", "hour_bank_80"]
