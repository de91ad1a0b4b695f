"""Billing warnings (docs/billing.md, "Warnings"), each given once.

After an entry is logged or changed: a contract's hour bank used to 80 % and to 100 % in the
entry's period tells the entry's author and every active supervisor; a ticket's logged time
reaching 80 % and 100 % of its approved quote's estimated hours tells its assignee (else the
entry's author) and every active supervisor. Once per contract, period and threshold, or per
ticket, quote version and threshold: the BillingAlert row's unique key decides, inserted in a
savepoint, so two people logging at once never warn twice. Notifications are in each
recipient's language (no per-user email preference exists to send them by mail too).
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.enums import BillingAlertKind
from app.models.user import User
from app.models.worklog import BillingAlert, TimeEntry
from app.services.billing import coverage, hour_banks
from app.services.notifications import active_supervisors, notify

THRESHOLDS = (80, 100)


def check_after_logging(entry: TimeEntry) -> None:
    """Give the hour-bank and quote-estimate warnings the entry's ticket has reached, each
    once (already given ones are skipped)."""
    _check_bank(entry)
    _check_estimate(entry)


def _check_bank(entry: TimeEntry) -> None:
    contract = coverage.bank_contract(entry.ticket)
    if contract is None:
        return
    bank = hour_banks.usage(contract, hour_banks.period_of(contract, entry.work_date))
    for threshold in THRESHOLDS:
        if bank.reached(threshold) and _first_time(BillingAlertKind.BANK, contract.id,
                                                   bank.period.key, threshold):
            for user in _recipients(entry.user):
                with force_locale(user.language.value):
                    period = bank.period.key if bank.period.key != hour_banks.CONTRACT_PERIOD \
                        else _("the contract's term")
                    message = _("The hour bank of %(contract)s (%(client)s) reached "
                                "%(threshold)s%% in %(period)s: %(used)s used of %(included)s.",
                                contract=contract.name, client=contract.client.name,
                                threshold=threshold, period=period,
                                used=duration(bank.used_minutes),
                                included=duration(bank.included_minutes))
                notify(user, f"hour_bank_{threshold}", message, entry.ticket)


def _check_estimate(entry: TimeEntry) -> None:
    ticket = entry.ticket
    usage = coverage.quote_usage(ticket)
    if usage is None:
        return
    for threshold in THRESHOLDS:
        if usage.reached(threshold) and _first_time(BillingAlertKind.ESTIMATE, ticket.id,
                                                    f"v{usage.quote.version}", threshold):
            for user in _recipients(ticket.assignee or entry.user):
                with force_locale(user.language.value):
                    message = _("Ticket %(number)s reached %(threshold)s%% of quote "
                                "v%(version)s's estimate: %(logged)s logged of %(estimated)s.",
                                number=ticket.number, threshold=threshold,
                                version=usage.quote.version,
                                logged=duration(usage.logged_minutes),
                                estimated=duration(usage.estimated_minutes))
                notify(user, f"estimate_{threshold}", message, ticket)


def duration(minutes: int) -> str:
    """Minutes as the dashboard writes them: "1 h 30 min"."""
    return _("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)


def _recipients(first: User | None) -> list[User]:
    """The given person (when active) and every active supervisor, each once."""
    users = [first] if first is not None and first.active else []
    users += [u for u in active_supervisors() if first is None or u.id != first.id]
    return users


def _first_time(kind: BillingAlertKind, subject_id: int, period: str, threshold: int) -> bool:
    """Record the warning; False when it was given already (its unique key exists, perhaps
    written a moment ago by someone logging at the same time)."""
    try:
        with db.session.begin_nested():
            db.session.add(BillingAlert(kind=kind, subject_id=subject_id, period=period,
                                        threshold=threshold))
    except IntegrityError:
        return False
    return True
