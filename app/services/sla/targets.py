"""Service-level targets per urgency in business minutes: the defaults (first response /
resolution: Critical 1 h / 8 h, High 4 h / 16 h, Medium 8 h / 40 h, Low 16 h / 80 h; next
response as first response), overridden by a stored target of the urgency, and that by one of
the ticket's contract (target_for). Saved by administrators (save_target)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db
from app.models.client import Contract
from app.models.enums import Urgency
from app.models.sla import SlaTarget
from app.services.errors import ValidationFailed
from app.services.permissions import Actor, Permission, require

# A target longer than a year of round-the-clock minutes is a typing mistake.
MAX_MINUTES = 366 * 24 * 60


@dataclass(frozen=True)
class Targets:
    """The three targets of a ticket, in business minutes."""

    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int


def _hours(first: int, resolution: int) -> Targets:
    return Targets(first * 60, first * 60, resolution * 60)


DEFAULT_TARGETS: dict[Urgency, Targets] = {
    Urgency.CRITICAL: _hours(1, 8),
    Urgency.HIGH: _hours(4, 16),
    Urgency.MEDIUM: _hours(8, 40),
    Urgency.LOW: _hours(16, 80),
}


def target_for(ticket) -> Targets:
    """The targets of a ticket: by its current urgency and contract (so a change of either
    applies to the whole history at once)."""
    return targets_for(ticket.urgency, ticket.contract_id)


def targets_for(urgency: Urgency | str, contract_id: int | None = None) -> Targets:
    """The targets of an urgency under a contract (None: no contract): the contract's stored
    targets, else the urgency's stored ones, else the defaults."""
    urgency = Urgency(urgency)
    query = select(SlaTarget).where(SlaTarget.urgency == urgency)
    if contract_id is None:
        query = query.where(SlaTarget.contract_id.is_(None))
    else:
        query = query.where(or_(SlaTarget.contract_id == contract_id,
                                SlaTarget.contract_id.is_(None)))
    return _first_stored(db.session.scalars(query).all(), urgency)


def _first_stored(rows, urgency: Urgency) -> Targets:
    """Of an urgency's stored rows for a contract and for every contract, the contract's; the
    defaults when there is none."""
    row = min(rows, key=lambda r: r.contract_id is None, default=None)  # the contract's first
    if row is None:
        return DEFAULT_TARGETS[urgency]
    return Targets(row.first_response_minutes, row.next_response_minutes,
                   row.resolution_minutes)


class TargetTable:
    """Every stored target read in one query, for the clocks of many tickets at once (a page
    of the list, the tick): `of(ticket)` is target_for(ticket) without a query each."""

    _ALL = select(SlaTarget.urgency, SlaTarget.contract_id, SlaTarget.first_response_minutes,
                  SlaTarget.next_response_minutes, SlaTarget.resolution_minutes)  # built once

    def __init__(self):
        self._rows: dict[Urgency, list] = {}  # plain rows: the table outlives a commit
        for row in db.session.execute(self._ALL):
            self._rows.setdefault(Urgency(row.urgency), []).append(row)

    def of(self, ticket) -> Targets:
        urgency = Urgency(ticket.urgency)
        return _first_stored([row for row in self._rows.get(urgency, ())
                              if row.contract_id in (None, ticket.contract_id)], urgency)


@dataclass(frozen=True)
class TargetFields:
    """What an administrator edits of a target: the urgency, the contract (None: every
    contract without its own) and the three targets in business minutes."""

    urgency: Urgency | str | None
    contract: Contract | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None


def save_target(actor: Actor, row: SlaTarget | None, fields: TargetFields) -> SlaTarget:
    """Create (row None) or change a stored target. Raises NotPermitted (not an administrator),
    ValidationFailed (no urgency, a target that is not a positive number of minutes, a next
    response or resolution shorter than the first response, a second target for the same
    urgency and contract)."""
    require(actor, Permission.MANAGE_REFERENCE)
    try:
        urgency = Urgency(fields.urgency)
    except ValueError:
        raise ValidationFailed(_l("Choose the urgency this target is for."),
                               field="urgency") from None
    first = _minutes(fields.first_response_minutes, "first_response_minutes")
    following = _minutes(fields.next_response_minutes, "next_response_minutes")
    resolution = _minutes(fields.resolution_minutes, "resolution_minutes")
    if resolution < first:
        raise ValidationFailed(_l("The resolution target cannot be shorter than the first "
                                  "response's."), field="resolution_minutes")
    contract = fields.contract
    _check_unique(row, urgency, contract)
    row = row or SlaTarget()
    row.urgency, row.contract = urgency, contract
    row.first_response_minutes, row.next_response_minutes = first, following
    row.resolution_minutes = resolution
    db.session.add(row)
    db.session.flush()
    return row


def _minutes(value, field: str) -> int:
    """A whole number of business minutes from 1 to MAX_MINUTES, or ValidationFailed."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise ValidationFailed(_l("Enter the target as a whole number of business minutes, "
                                  "from 1 to %(maximum)s (8 hours are 480).",
                                  maximum=MAX_MINUTES), field=field)
    return value


def _check_unique(row: SlaTarget | None, urgency: Urgency, contract: Contract | None) -> None:
    """One target per urgency and contract (and one per urgency for every contract)."""
    query = select(SlaTarget.id).where(SlaTarget.urgency == urgency)
    query = query.where(SlaTarget.contract_id.is_(None) if contract is None
                        else SlaTarget.contract_id == contract.id)
    if row is not None and row.id is not None:
        query = query.where(SlaTarget.id != row.id)
    if db.session.scalar(query) is not None:
        if contract is None:
            message = _l("There is a target for %(urgency)s already: edit that one.",
                         urgency=urgency.label)
        else:
            message = _l("There is a target for %(urgency)s under %(contract)s already: edit "
                         "that one.", urgency=urgency.label, contract=contract.name)
        raise ValidationFailed(message, field="urgency")


def delete_target(actor: Actor, row: SlaTarget) -> None:
    """Remove a stored target: its urgency (and contract) returns to the next one in line.
    Raises NotPermitted (not an administrator)."""
    require(actor, Permission.MANAGE_REFERENCE)
    db.session.delete(row)
    db.session.flush()
