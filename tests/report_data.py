"""Known data for the reports (app.services.reports), made through the product's services with
the clock moved to each moment (SOPORTE_FIXED_NOW), and the numbers each report must show for
October and November 2026 (company zone Europe/Madrid). Used by the unit, page and browser
tests of the reports."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from app.extensions import db
from app.models.enums import BankPeriod
from app.services import quote_decisions, status_changes, worklog
from app.services.reports import ReportFilters
from tests import factories

UTC = dt.timezone.utc
PERIOD = ReportFilters(period_from=dt.date(2026, 10, 1), period_to=dt.date(2026, 11, 30))
# The moment the tests read "today" at, well after every row: no test depends on today's date.
TODAY = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _at(app, day: tuple, hour: int = 10, minute: int = 0) -> None:
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(*day, hour, minute, tzinfo=UTC)


def _log(w, app, ticket, actor, minutes: int, day: tuple, billable: bool):
    """Time logged on the day by the actor, marked billable or not by the supervisor (the
    default depends on billing rules these tests are not about)."""
    _at(app, day, 12)
    entry = worklog.log_time(actor, ticket, minutes // 60, minutes % 60, "Trabajo",
                             work_date=dt.date(*day))
    worklog.set_billable(w.supervisor, entry, billable)
    db.session.commit()
    return entry


def _quoted(w, app, day: tuple, hour: int, hours: str, ticket_type=None, minute: int = 0):
    _at(app, day, hour, minute)
    ticket = factories.new_ticket(w, type_id=ticket_type.id if ticket_type else None)
    factories.quote(w, ticket, price="100.00", hours=hours)
    return ticket


def _decide(app, ticket, day: tuple, hour: int, approve: bool) -> None:
    _at(app, day, hour)
    quote = ticket.current_quote
    quote_decisions.decide_by_customer(quote.id, quote.version, approve)
    db.session.commit()


def build(app, w) -> SimpleNamespace:
    """Tickets, quotes, closings and time around October and November 2026:

    - opened (Madrid weeks): one on 30 Sep 23:30 (outside), W40 1 (1 Oct 00:30), W41 2, W42 1
      (Sunday 11 Oct 22:30 UTC is Monday in Madrid), W45 3, W46 1;
    - closed: W42 2 (A on 14 Oct; C on Sunday 18 Oct 23:30 Madrid), W48 1 (A again, reopened);
    - quotes decided: October 1 approved (48 h); November 3 approved (24, 72, 30 h) and 1
      rejected;
    - time: see EXPECTED_TIME_* below; 20 minutes on 30 Sep fall outside the period;
    - hour banks: "Soporte anual" 10 h a month (60 min used in October, 30 in November),
      "Contrato ajeno" 5 h over its term (45 min used)."""
    incidente = w.ticket_type
    _at(app, (2026, 9, 30), 21, 30)
    factories.new_ticket(w, subject="Antes del periodo")
    _at(app, (2026, 9, 30), 22, 30)
    factories.new_ticket(w, subject="Primer día en Madrid")
    _at(app, (2026, 10, 5), 9)
    a = factories.new_ticket(w, contract_id=w.covering_contract.id, subject="Con contrato")
    _log(w, app, a, w.agent, 20, (2026, 9, 30), False)  # before the period
    _log(w, app, a, w.agent, 60, (2026, 10, 5), False)
    b = _quoted(w, app, (2026, 10, 6), 10, "2", incidente)
    _decide(app, b, (2026, 10, 8), 10, True)
    _log(w, app, b, w.agent, 150, (2026, 10, 9), True)
    _at(app, (2026, 10, 11), 22, 30)
    c = factories.new_ticket(w, client_id=w.other_client.id, contact_id=w.other_contact.id,
                             contract_id=w.other_contract.id, subject="Otra empresa")
    _log(w, app, c, w.agent, 45, (2026, 10, 13), False)
    _at(app, (2026, 10, 14))
    status_changes.close_ticket(w.agent, a, "Resuelto")
    _at(app, (2026, 10, 18), 21, 30)
    status_changes.close_ticket(w.agent, c, "Resuelto")
    _at(app, (2026, 10, 20))
    status_changes.reopen_ticket(w.supervisor, a, "Vuelve a fallar")
    db.session.commit()
    d = _quoted(w, app, (2026, 11, 2), 9, "1")
    _decide(app, d, (2026, 11, 3), 9, False)
    e = _quoted(w, app, (2026, 11, 2), 10, "3", incidente)
    _decide(app, e, (2026, 11, 3), 10, True)
    f = _quoted(w, app, (2026, 11, 2), 11, "1.5")
    _decide(app, f, (2026, 11, 5), 11, True)
    _log(w, app, a, w.agent2, 30, (2026, 11, 3), True)
    _log(w, app, e, w.agent2, 120, (2026, 11, 4), True)
    _log(w, app, f, w.agent, 60, (2026, 11, 6), False)
    g = _quoted(w, app, (2026, 11, 10), 0, "2")
    _decide(app, g, (2026, 11, 11), 6, True)
    _at(app, (2026, 11, 24))
    status_changes.close_ticket(w.agent, a, "Resuelto otra vez")
    # the banks are set afterwards: how they value time is not what these tests are about
    w.covering_contract.included_hours, w.covering_contract.bank_period = \
        Decimal("10"), BankPeriod.MONTH
    w.other_contract.included_hours, w.other_contract.bank_period = \
        Decimal("5"), BankPeriod.CONTRACT
    w.other_contract.starts_on = dt.date(2026, 1, 1)
    db.session.commit()
    app.config["SOPORTE_FIXED_NOW"] = TODAY
    return SimpleNamespace(a=a, b=b, c=c, d=d, e=e, f=f, g=g)


EXPECTED_WEEKS = {  # week: (opened, closed); every other week of the period: (0, 0)
    "2026-W40": (1, 0), "2026-W41": (2, 0), "2026-W42": (1, 2), "2026-W45": (3, 0),
    "2026-W46": (1, 0), "2026-W48": (0, 1),
}
# (month, name, billable minutes, not billable minutes)
EXPECTED_TIME_CLIENT = [("2026-10", "Acme S.A.", 150, 60), ("2026-10", "Otra Empresa", 0, 45),
                        ("2026-11", "Acme S.A.", 150, 60)]
EXPECTED_TIME_CONTRACT = [("2026-10", "Contrato ajeno (Otra Empresa)", 0, 45),
                          ("2026-10", "Sin contrato", 150, 0),
                          ("2026-10", "Soporte anual (Acme S.A.)", 0, 60),
                          ("2026-11", "Sin contrato", 120, 60),
                          ("2026-11", "Soporte anual (Acme S.A.)", 30, 0)]
EXPECTED_TIME_AGENT = [("2026-10", "Agente Uno", 150, 105), ("2026-11", "Agente Dos", 150, 0),
                       ("2026-11", "Agente Uno", 0, 60)]
# (type, tickets, quoted hours, logged hours)
EXPECTED_QUOTED = [("Incidente", 2, Decimal("5.00"), Decimal("4.50")),
                   ("Sin tipo", 2, Decimal("3.50"), Decimal("1.00"))]
# (month, decided, approved, percent, median hours, mean hours)
EXPECTED_APPROVALS = [("2026-10", 1, 1, Decimal("100.00"), Decimal("48.00"), Decimal("48.00")),
                      ("2026-11", 4, 3, Decimal("75.00"), Decimal("30.00"), Decimal("42.00"))]
# (client, contract, period, included, used, remaining, overage minutes, percent)
EXPECTED_BANKS = [("Acme S.A.", "Soporte anual", "2026-10", 600, 60, 540, 0, 10),
                  ("Acme S.A.", "Soporte anual", "2026-11", 600, 30, 570, 0, 5),
                  ("Otra Empresa", "Contrato ajeno", "Plazo del contrato", 300, 45, 255, 0, 15)]
