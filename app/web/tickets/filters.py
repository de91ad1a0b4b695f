"""The list's query string turned into TicketFilters; values that do not parse are dropped."""
from __future__ import annotations

import datetime as dt

from werkzeug.datastructures import MultiDict

from app.models.enums import TicketStatus, Urgency
from app.services.ticket_queries import TicketFilters


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_from_args(args: MultiDict, current_user_id: int) -> TicketFilters:
    """Read client, status (repeatable), type, urgency, assignee (or mine), contract, from, to,
    q, archived, sort and page."""
    statuses = [TicketStatus(s) for s in args.getlist("status") if s in TicketStatus.__members__]
    urgency = args.get("urgency")
    assignee = current_user_id if args.get("mine") else _int(args.get("assignee"))
    return TicketFilters(
        client_id=_int(args.get("client")),
        statuses=statuses,
        type_id=_int(args.get("type")),
        urgency=Urgency(urgency) if urgency in Urgency.__members__ else None,
        assignee_id=assignee,
        contract_id=_int(args.get("contract")),
        date_from=_date(args.get("from")),
        date_to=_date(args.get("to")),
        q=(args.get("q") or "")[:200],
        archived=bool(args.get("archived")),
        sort=args.get("sort") or "-created",
        page=_int(args.get("page")) or 1,
    )
