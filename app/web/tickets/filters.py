"""The list's query string turned into TicketFilters: a value that does not parse (or is out of
range) is left out of the filters, and its refusal is returned so the page can say what to fix.
And back: the canonical query string of a filter, which a saved view stores (the same filter
always reads the same, whatever order or spelling its URL had), and the list's links built from
it (`list_url`: the sort and page links, the way back from a bulk action)."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app.models.enums import TicketStatus, Urgency
from app.services.errors import ValidationFailed
from app.services.ticket_list import SEARCH_MAX, SORTS, TicketFilters
from app.web.params import parse_choice, parse_date, parse_id, parse_page


def _lenient(problems: list[ValidationFailed], parse, *args):
    """The parsed value, or None with the refusal kept in problems."""
    try:
        return parse(*args)
    except ValidationFailed as problem:
        problems.append(problem)
        return None


def filters_from_args(args: MultiDict, current_user_id: int,
                      zone: ZoneInfo) -> tuple[TicketFilters, list[ValidationFailed]]:
    """Read client, status (repeatable), type, urgency, assignee (or mine), needs_assignee,
    waiting_on_customer, customer_waiting, overdue, due_today, contract, from, to (local days in `zone`, the
    reader's), q, archived, sort and page; returns the filters and the refusals of values left
    out."""
    problems: list[ValidationFailed] = []
    statuses = [_lenient(problems, parse_choice, value, TicketStatus, "status", _l("Status"))
                for value in args.getlist("status")]
    assignee = current_user_id if args.get("mine") else _lenient(
        problems, parse_id, args.get("assignee"), "assignee", _l("Assigned to"))
    filters = TicketFilters(
        client_id=_lenient(problems, parse_id, args.get("client"), "client", _l("Client")),
        statuses=[status for status in statuses if status is not None],
        type_id=_lenient(problems, parse_id, args.get("type"), "type", _l("Type")),
        urgency=_lenient(problems, parse_choice, args.get("urgency"), Urgency, "urgency",
                         _l("Urgency")),
        assignee_id=assignee,
        contract_id=_lenient(problems, parse_id, args.get("contract"), "contract",
                             _l("Contract")),
        date_from=_lenient(problems, parse_date, args.get("from"), "from", _l("From")),
        date_to=_lenient(problems, parse_date, args.get("to"), "to", _l("To")),
        zone=zone,
        needs_assignee=bool(args.get("needs_assignee")),
        waiting_on_customer=bool(args.get("waiting_on_customer")),
        customer_waiting=bool(args.get("customer_waiting")),
        overdue=bool(args.get("overdue")),
        due_today=bool(args.get("due_today")),
        q=(args.get("q") or "")[:SEARCH_MAX],
        archived=bool(args.get("archived")),
        sort=args.get("sort") or "-created",
        page=_lenient(problems, parse_page, args.get("page")) or 1,
    )
    return filters, problems


def canonical_query(args: MultiDict, current_user_id: int, zone: ZoneInfo) -> str:
    """The query string of the filter `args` select, in one fixed order and spelling, without
    the page and values that do not parse: what a saved view stores and what the sidebar
    compares to tell the view being shown. `mine` stays `mine=1` (a view of "my tickets" follows
    whoever reads it)."""
    filters, _ = filters_from_args(args, current_user_id, zone)
    pairs: list[tuple[str, str]] = []

    def add(key: str, value) -> None:
        if value:
            pairs.append((key, str(value)))

    add("q", filters.q.strip())
    add("client", filters.client_id)
    for status in sorted(set(filters.statuses), key=list(TicketStatus).index):
        add("status", status.value)
    add("type", filters.type_id)
    add("urgency", filters.urgency.value if filters.urgency else None)
    if args.get("mine"):
        add("mine", 1)
    else:
        add("assignee", filters.assignee_id)
    add("needs_assignee", int(filters.needs_assignee))
    add("waiting_on_customer", int(filters.waiting_on_customer))
    add("customer_waiting", int(filters.customer_waiting))
    add("overdue", int(filters.overdue))
    add("due_today", int(filters.due_today))
    add("contract", filters.contract_id)
    add("from", filters.date_from.isoformat() if filters.date_from else None)
    add("to", filters.date_to.isoformat() if filters.date_to else None)
    add("archived", int(filters.archived))
    if filters.sort != "-created" and filters.sort.lstrip("-") in SORTS:
        add("sort", filters.sort)
    return urlencode(pairs)


def list_url(query: str, **changes) -> str:
    """The list's address showing the canonical query string `query` with the arguments named in
    `changes` (sort, page) set to theirs (left out when empty): every link of the list to itself
    keeps the whole filter, repeated statuses included, whatever the request's own arguments."""
    pairs = [(key, value) for key, value in parse_qsl(query) if key not in changes]
    pairs += [(key, str(value)) for key, value in changes.items() if value]
    return url_for("tickets.list_view") + (f"?{urlencode(pairs)}" if pairs else "")
