"""The supervisors' satisfaction report (Permission.REPORTS, as every report): ratings given in
a period, per agent credited and per client, with their average and count, and the low ones
listed. The filters are the reports' (app.services.reports.ReportFilters: company-local days;
the client and contract are the ticket's, the agent is the one the rating credits); counted
in the database (GROUP BY), the average computed exactly from the sum and the count."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models.client import Client
from app.models.rating import LOW_SCORE, TicketRating
from app.models.ticket import Ticket
from app.models.user import User
from app.services.permissions import Actor
from app.services.report_periods import utc_bounds
from app.services.reports import ReportFilters, check_filters

HUNDREDTH = Decimal("0.01")
LOW_LISTED_MAX = 200  # the low ratings listed, newest first


@dataclass(frozen=True)
class RatingAverage:
    """The ratings of one agent or client: how many, and their average score (two decimals).
    name is None for ratings that credit nobody (no one was assigned)."""

    name: str | None
    ratings: int
    average: Decimal


@dataclass(frozen=True)
class Satisfaction:
    """The report: per agent, per client (by name), and the low ratings, newest first."""

    per_agent: list[RatingAverage]
    per_client: list[RatingAverage]
    low: list[TicketRating]
    ratings: int
    average: Decimal | None


def satisfaction(actor: Actor, filters: ReportFilters) -> Satisfaction:
    """The ratings given in the filters' period (and of their client, contract, agent).
    Raises NotPermitted, ValidationFailed (reports.check_filters)."""
    check_filters(actor, filters)
    conditions = _conditions(filters)
    per_agent = _averages(User, User.id == TicketRating.agent_id, TicketRating.agent_id,
                          conditions)  # an outer join: a rating may credit nobody
    per_client = _averages(Client, Client.id == Ticket.client_id, Client.id, conditions)
    total, count = db.session.execute(
        select(func.coalesce(func.sum(TicketRating.score), 0), func.count(TicketRating.id))
        .join(Ticket, Ticket.id == TicketRating.ticket_id).where(*conditions)).one()
    low = list(db.session.scalars(
        select(TicketRating).join(Ticket, Ticket.id == TicketRating.ticket_id)
        .where(*conditions, TicketRating.score <= LOW_SCORE)
        .options(joinedload(TicketRating.ticket).joinedload(Ticket.client),
                 joinedload(TicketRating.agent), joinedload(TicketRating.contact))
        .order_by(TicketRating.created_at.desc(), TicketRating.id.desc())
        .limit(LOW_LISTED_MAX)))
    return Satisfaction(per_agent, per_client, low, count,
                        _average(total, count) if count else None)


def _conditions(filters: ReportFilters) -> list[ColumnElement[bool]]:
    start, end = utc_bounds(filters.period_from, filters.period_to)
    conditions = [TicketRating.created_at >= start, TicketRating.created_at < end]
    if filters.client_id is not None:
        conditions.append(Ticket.client_id == filters.client_id)
    if filters.contract_id is not None:
        conditions.append(Ticket.contract_id == filters.contract_id)
    if filters.agent_id is not None:
        conditions.append(TicketRating.agent_id == filters.agent_id)
    return conditions


def _averages(entity, onclause, key, conditions) -> list[RatingAverage]:
    """One row per key (an agent or a client, joined outer by onclause): its name, count and
    average, by name (ratings crediting nobody last)."""
    rows = db.session.execute(
        select(entity.name, func.sum(TicketRating.score), func.count(TicketRating.id))
        .select_from(TicketRating).join(Ticket, Ticket.id == TicketRating.ticket_id)
        .outerjoin(entity, onclause).where(*conditions).group_by(key, entity.name))
    averages = [RatingAverage(row_name, count, _average(total, count))
                for row_name, total, count in rows]
    return sorted(averages, key=lambda row: (row.name is None, (row.name or "").lower()))


def _average(total, count: int) -> Decimal:
    return (Decimal(int(total)) / count).quantize(HUNDREDTH, ROUND_HALF_UP)
