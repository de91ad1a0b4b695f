"""The ticket list, read the same by every adapter (dashboard, API): the filtered, searched,
sorted, paginated tickets with their counts per status, and the choices its filters offer.

Date filters mean whole local days in the zone the filters carry (the reader's), through
clock.day_bounds. Every read requires Permission.VIEW (NotPermitted otherwise).
"""
from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, literal_column, or_, \
    select, true, union_all
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.client import Client, Contract, TicketType
from app.models.enums import TicketStatus, Urgency
from app.models.ticket import Ticket
from app.models.user import User
from app.services import clock
from app.services.permissions import Actor, Permission, require
from app.services.reassignment import AssigneeNeed, assignee_need, needs_assignee_condition
from app.services.search_budget import search_budget
from app.services.sla.clocks import DONE, TicketClocks, clocks_of, pressing_clock
from app.services.sla.ticket_levels import ClockLine, clock_line
from app.services.ticket_search import SearchPlan, row_searched, search_condition, \
    search_plan, searched_sequence, walking

SORTS = {
    "created": Ticket.created_at, "number": Ticket.sequence, "status": Ticket.status,
    "urgency": Ticket.urgency, "updated": Ticket.updated_at,
    # the most pressing running service-level clock's due time (Ticket.sla_due): ascending, the
    # first due (and the most overdue) first and tickets with no clock running last; descending
    # the exact reverse (each order walks the index one way)
    "due": Ticket.sla_due,
}
# Sorts whose column may be empty: the empty ones come last ascending, first descending.
NULLABLE_SORTS = frozenset({"due"})
# Sorts whose column is (nearly) unique: walking its index gives the list's order (the column,
# then the id) with nothing to sort. A status, an urgency or an empty due time is shared by
# hundreds of thousands of tickets at a million, whose whole group a walk would read and sort
# before its page (a common word sorted by status: 660 ms walked against 120).
DISTINCT_SORTS = frozenset({"created", "number", "updated"})
# Sorts by a column whole groups share: the page is drawn from each shown value's newest tickets,
# each group walked on its (column, id) index (_from_groups). Left to the database, the list's
# order (the column, then the id newest first) is one no index gives, and it read and sorted
# every ticket of the filter: 180-530 ms a page at a million tickets.
GROUPED_SORTS = frozenset({"status", "urgency"})
PER_PAGE = 25
# Every count of the list (its total, per status, each view of the sidebar) stops at COUNT_CAP + 1
# (a LIMIT inside the count): at a million tickets an exact count of a broad filter reads
# hundreds of thousands of index entries on every page. A count above COUNT_CAP means "more than
# COUNT_CAP" (the page says so, `more_than_cap`), and the pages go as deep as COUNT_CAP tickets:
# deeper, narrow the filter or reverse the sort (the API's cursor walks any depth).
COUNT_CAP = 1_000
# Up to this many matches, the counts per status are one exact GROUP BY (status_counts).
GROUPED_LIMIT = 10_000
# The statuses in which the next move is the customer's: On hold (waiting for their answer) and
# Quoted (the quote awaits their decision; a decision moves the ticket on).
WAITING_ON_CUSTOMER = (TicketStatus.ON_HOLD, TicketStatus.QUOTED)
SEARCH_MAX = 200  # characters of the search box that are searched


@dataclass
class TicketFilters:
    """What the list shows; every field comes from the URL, so a view can be bookmarked."""

    client_id: int | None = None
    statuses: list[TicketStatus] = field(default_factory=list)
    type_id: int | None = None
    urgency: Urgency | None = None
    assignee_id: int | None = None
    contract_id: int | None = None
    date_from: dt.date | None = None  # a local day in `zone`
    date_to: dt.date | None = None
    zone: ZoneInfo | None = None  # the zone the days are in; None for the company's
    needs_assignee: bool = False  # open, and nobody who can work it is assigned
    waiting_on_customer: bool = False  # we wait for the customer (WAITING_ON_CUSTOMER)
    customer_waiting: bool = False  # the customer wrote last (Ticket.customer_waiting)
    overdue: bool = False  # a service-level clock is past its due time and still running
    due_today: bool = False  # not overdue, and a clock falls due before the end of today in `zone`
    q: str = ""
    archived: bool = False
    sort: str = "-created"
    page: int = 1
    # Keyset paging (the API's cursor): the sort value and id of the last ticket seen; the page
    # is then the tickets after it in the list's order, whatever was added or left meanwhile.
    after: tuple | None = None
    per_page: int | None = None  # None: PER_PAGE

    @property
    def searched(self) -> str:
        """The words searched (q without its surrounding spaces); empty: no text search."""
        return (self.q or "").strip()


@dataclass
class TicketPage:
    """One page of the list."""

    items: list[Ticket]
    total: int  # at most COUNT_CAP + 1: more than COUNT_CAP when it is (more_than_cap)
    page: int
    pages: int
    # per status, under the other filters (each capped); None: a search with more matches than
    # the cap, not counted per status (status_counts)
    counts: dict[TicketStatus, int] | None
    # why each item that needs an assignee needs one (unassigned, or its assignee cannot work)
    assignee_needs: dict[int, AssigneeNeed] = field(default_factory=dict)
    # the service-level clocks now (ticket_clocks, as the ticket page shows them) of each item
    # that is neither resolved nor closed (those have none running)
    clocks: dict[int, TicketClocks] = field(default_factory=dict)

    def pressing(self, ticket_id: int) -> ClockLine | None:
        """The item's clock due first among those running or overdue (the list's time left),
        as the ticket page's line of it."""
        clocks = self.clocks.get(ticket_id)
        pressing = pressing_clock(clocks) if clocks is not None else None
        return clock_line(*pressing) if pressing else None

    def paused(self, ticket_id: int) -> bool:
        """The item's clocks are paused: the customer must answer."""
        clocks = self.clocks.get(ticket_id)
        return clocks is not None and clocks.paused


@dataclass
class ListChoices:
    """What the list's filters offer: each list by name."""

    clients: list[Client]
    types: list[TicketType]
    staff: list[User]  # for "assigned to": active users, then inactive ones
    contracts: list[Contract]
    statuses: list[TicketStatus]
    urgencies: list[Urgency]


def _filtered(filters: TicketFilters, *, with_status: bool = True) -> Select:
    query = select(Ticket)
    if filters.client_id:
        query = query.where(Ticket.client_id == filters.client_id)
    if with_status and filters.statuses:
        query = query.where(Ticket.status.in_(filters.statuses))
    elif not filters.archived:
        query = query.where(_not_archived(filters.q))
    if filters.type_id:
        query = query.where(Ticket.type_id == filters.type_id)
    if filters.urgency:
        query = query.where(Ticket.urgency == filters.urgency)
    if filters.assignee_id:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    if filters.contract_id:
        query = query.where(Ticket.contract_id == filters.contract_id)
    if filters.needs_assignee:
        query = query.where(needs_assignee_condition())
    if filters.waiting_on_customer:
        query = query.where(Ticket.status.in_(WAITING_ON_CUSTOMER))
    if filters.customer_waiting:
        query = query.where(Ticket.customer_waiting)
    zone = filters.zone or clock.company_zone()
    if filters.overdue or filters.due_today:  # both: overdue or due today
        now = clock.now()
        _, tonight = clock.day_bounds(clock.local(now, zone).date(), zone)
        query = query.where(Ticket.sla_due < (tonight if filters.due_today else now))
        if not filters.overdue:
            query = query.where(Ticket.sla_due >= now)
    if filters.date_from:
        query = query.where(_created_from(filters.date_from, zone))
    if filters.date_to:
        query = query.where(_created_until(filters.date_to, zone))
    text_query = filters.searched
    if text_query:
        query = query.where(search_condition(text_query))
    return query


def _not_archived(text_query: str | None) -> ColumnElement[bool]:
    """What the list shows when closed tickets are not asked for: every open ticket, and the
    ticket a number search names in any state (a person who types its number wants it)."""
    open_ = Ticket.status != TicketStatus.CLOSED
    sequence = searched_sequence(text_query)
    return open_ if sequence is None else or_(open_, Ticket.sequence == sequence)


def _created_from(day: dt.date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Created on or after the local day's start (a day at the edge of the calendar, whose
    start a datetime cannot hold, is before or after every ticket)."""
    try:
        start, _ = clock.day_bounds(day, zone)
    except OverflowError:
        return true() if day.year == dt.MINYEAR else false()
    return Ticket.created_at >= start


def _created_until(day: dt.date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Created before the local day's end (23 or 25 hours after its start across a
    daylight-saving change)."""
    try:
        _, end = clock.day_bounds(day, zone)
    except OverflowError:
        return false() if day.year == dt.MINYEAR else true()
    return Ticket.created_at < end


def list_tickets(actor: Actor, filters: TicketFilters) -> TicketPage:
    """The page of tickets the filters select. Raises NotPermitted without the view permission,
    SearchTooBroad when its text search takes longer than it may (app.services.search_budget)."""
    require(actor, Permission.VIEW)
    with search_budget(bool(filters.searched)):
        return _page(actor, filters)


def _page(actor: Actor, filters: TicketFilters) -> TicketPage:
    query = _filtered(filters)
    column, descending = sort_column(filters.sort)
    order = column.desc() if descending else column.asc()
    if filters.sort.lstrip("-") in NULLABLE_SORTS:
        order = order.nulls_first() if descending else order.nulls_last()
    # a search on the ticket's row counts its own matches first: past the cap, its counts per
    # status are not needed (status_counts would not count them)
    plan = search_plan(query) if row_searched(filters.searched) else None
    total = _searched_total(query, order, plan) if plan is not None else None
    counts = None if total is not None and more_than_cap(total) else \
        status_counts(actor, filters)
    if total is None:
        # the total is a sum of the counts (one scan of the matches, not two)
        total = sum(counts.get(status, 0) for status in set(_shown_statuses(filters)))
        if (not filters.statuses and not filters.archived
                and searched_sequence(filters.q) is not None):
            # a closed ticket named by its number is shown although closed ones are not counted
            total += _capped_count(query.where(Ticket.status == TicketStatus.CLOSED))
        total = min(total, COUNT_CAP + 1)
    if filters.searched and not more_than_cap(total):
        # a search with at most COUNT_CAP matches: gathered through the search's indexes, then
        # sorted (walking the sort's index, as the planner would for its estimate of a rare
        # word's matches, or of a client's name, may read every ticket before it finds one: 2 to
        # 3 s at a million tickets)
        query = select(Ticket).where(Ticket.id.in_(
            db.session.scalars(query.with_only_columns(Ticket.id).order_by(None)).all()))
    per_page = filters.per_page or PER_PAGE
    pages = max(1, -(-min(total, COUNT_CAP) // per_page))
    page = min(max(1, filters.page), pages)
    wanted = per_page if filters.after is not None else page * per_page
    if filters.after is not None:
        query = query.where(_after(column, descending, *filters.after,
                                   nullable=filters.sort.lstrip("-") in NULLABLE_SORTS))
    groups = _group_values(filters) if filters.sort.lstrip("-") in GROUPED_SORTS else []
    # a search is drawn from its groups only past the cap (up to it, its few matches are sorted
    # as they are) and when walking each group to the page costs less than gathering every
    # match once (a common word's first pages: 38 ms against 560; its page 40: 1.6 s against
    # 555 ms, left to the database)
    if groups and (not filters.searched or (plan is not None and more_than_cap(total)
                                            and plan.walks(wanted * len(groups)))):
        query = _from_groups(query, column, groups, wanted)
    query = query.options(selectinload(Ticket.client), selectinload(Ticket.assignee),
                          selectinload(Ticket.contract)).order_by(
        *([order] if column is Ticket.id else [order, Ticket.id.desc()]))
    if filters.after is None:
        query = query.offset((page - 1) * per_page)
    # past the cap, a row search's page walks the list's order when that finds its tickets for
    # less than gathering every match to sort them (a common word under a narrow filter), and
    # the sort's index gives that order (DISTINCT_SORTS)
    page_walks = (plan is not None and more_than_cap(total)
                  and filters.sort.lstrip("-") in DISTINCT_SORTS and plan.walks(wanted))
    with walking() if page_walks else nullcontext():
        items = db.session.scalars(query.limit(per_page)).all()
    needs = {ticket.id: need for ticket in items if (need := assignee_need(ticket)) is not None}
    # a resolved or closed ticket has no clock running: the list shows none (the page does)
    running = [ticket for ticket in items if ticket.status not in DONE]
    return TicketPage(list(items), total, page, pages, counts, needs, clocks_of(running))


def _shown_statuses(filters: TicketFilters) -> list[TicketStatus]:
    """The statuses the list can show: those asked for, else every one but Closed unless the
    archived ones are asked for."""
    return filters.statuses or [status for status in TicketStatus
                                if filters.archived or status is not TicketStatus.CLOSED]


def _group_values(filters: TicketFilters) -> list:
    """The values of a grouped sort's column that the filters can show."""
    if filters.sort.lstrip("-") == "status":
        return _shown_statuses(filters)
    return [filters.urgency] if filters.urgency else list(Urgency)


def _from_groups(query: Select, column, values: list, wanted: int) -> Select:
    """The query's tickets among each value's `wanted` newest ones (where the first `wanted` of
    the list's order are, whichever way the values go): each value's part walks the
    (column, id) index from its newest ticket, and what is left to sort is at most `wanted`
    tickets a value."""
    parts = [query.with_only_columns(Ticket.id).where(column == value).order_by(None)
             .order_by(Ticket.id.desc()).limit(wanted).subquery() for value in values]
    newest = union_all(*(select(part.c.id) for part in parts)) if len(parts) > 1 \
        else select(parts[0].c.id)
    return query.where(Ticket.id.in_(newest))


def _searched_total(query: Select, order, plan: SearchPlan) -> int:
    """A row search's matches counted up to COUNT_CAP + 1: walking the list's order or gathering
    them, whichever the plan expects to cost less (ticket_search.SearchPlan). Gathered with no
    ORDER BY: given one, PostgreSQL might walk where the plan chose not to."""
    if plan.walks(COUNT_CAP + 1):
        with walking():
            return _capped_count(query, order=order)  # any index order finds them alike
    return _capped_count(query)


def sort_column(sort: str):
    """The column a sort orders by, and whether descending (the tie-break is always the id,
    descending)."""
    key = sort.lstrip("-")
    column = SORTS.get(key, Ticket.created_at)
    if column is Ticket.created_at and db.session.get_bind().dialect.name == "sqlite":
        # Ids follow creation order; SQLite then walks the primary key and stops at the page
        # instead of sorting every match (measured in bench/dashboard.py). PostgreSQL plans
        # better with the created_at index and a tie-break, so it keeps those.
        column = Ticket.id
    return column, sort.startswith("-") or key not in SORTS


def keyset_of(ticket: Ticket, sort: str) -> tuple:
    """Where a ticket stands in a sort's order (for `TicketFilters.after`): its sort value and
    its id."""
    column, _descending = sort_column(sort)
    return getattr(ticket, column.key), ticket.id


def _after(column, descending: bool, value, ticket_id: int,
           nullable: bool = False) -> ColumnElement[bool]:
    """The tickets after (value, id) in the order: by the column (empty values last ascending,
    first descending), then by id descending."""
    if column is Ticket.id:
        return Ticket.id < ticket_id if descending else Ticket.id > ticket_id
    if value is None:
        empty_after = and_(column.is_(None), Ticket.id < ticket_id)
        return or_(empty_after, column.is_not(None)) if descending else empty_after
    beyond = column < value if descending else column > value
    after = or_(beyond, and_(column == value, Ticket.id < ticket_id))
    # the bound alone as well (implied by the OR): the column's index then starts at the value;
    # for the OR alone PostgreSQL read the index from its end (a page after the 500,000th ticket
    # of a million, 1.4 s in bench/dashboard.py)
    after = and_(column <= value if descending else column >= value, after)
    return or_(after, column.is_(None)) if nullable and not descending else after


def more_than_cap(count: int) -> bool:
    """Whether a count of the list stopped at its cap (it means "more than COUNT_CAP")."""
    return count > COUNT_CAP


def _capped_count(query: Select, cap: int | None = None, order=None) -> int:
    """The rows a query selects, counted up to cap (COUNT_CAP) + 1 (the first ones in `order`,
    when given)."""
    return db.session.scalar(select(func.count()).select_from(_capped(query, cap, order)))


def _capped(query: Select, cap: int | None = None, order=None):
    return query.with_only_columns(literal_column("1"), maintain_column_froms=True) \
        .order_by(order).limit((cap or COUNT_CAP) + 1).subquery()


def count_tickets(actor: Actor, filters: TicketFilters) -> int:
    """How many tickets the filters select, up to COUNT_CAP + 1: the list's total for them
    (page and sort aside), in one COUNT. Raises NotPermitted without the view permission,
    SearchTooBroad when its text search takes longer than it may."""
    require(actor, Permission.VIEW)
    with search_budget(bool(filters.searched)):
        return _capped_count(_filtered(filters))


def status_counts(actor: Actor, filters: TicketFilters) -> dict[TicketStatus, int] | None:
    """How many tickets of each status the other filters select, each up to COUNT_CAP + 1;
    None for a text search that matches more than COUNT_CAP tickets in all.

    A filter that selects few tickets (up to GROUPED_LIMIT, read through the filter's own index:
    a range of days or of due times) is counted exactly in one GROUP BY. A broader one is
    counted per status, each count capped and able to use its status index (a per-status count
    of a narrow filter would read every ticket of each status instead). A text search that
    gathers its matches (on SQLite, or a phrase: every matching note read, whatever else the
    query does) is always one GROUP BY: gathering them once beats once per status (seven times:
    0.8 s of a 1.2 s page for one common word at a million tickets, bench/dashboard.py). Any
    other text search (a condition on the ticket row, _row_search) is counted per status only
    up to COUNT_CAP matches in all: the status of each match is in its row, and reading 25,000
    rows for a common word took 300 ms at a million tickets; past the cap the list shows its
    capped total alone. A resolved or closed ticket has no due time: under the due-time
    filters those statuses are not counted."""
    require(actor, Permission.VIEW)
    base = _filtered(TicketFilters(**{**filters.__dict__, "archived": True}), with_status=False)
    if row_searched(filters.searched) and _capped_count(base) > COUNT_CAP:
        return None
    if filters.searched or _capped_count(base, GROUPED_LIMIT) <= GROUPED_LIMIT:
        sub = base.with_only_columns(Ticket.status).order_by(None).subquery()
        rows = db.session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
        return {TicketStatus(status): min(count, COUNT_CAP + 1) for status, count in rows}
    statuses = [status for status in TicketStatus
                if not (filters.overdue or filters.due_today) or status not in DONE]
    rows = db.session.execute(union_all(*(
        select(literal(status.name).label("status"), func.count().label("n"))
        .select_from(_capped(base.where(Ticket.status == status))) for status in statuses)))
    return {TicketStatus[status]: count for status, count in rows if count}


def list_choices(actor: Actor) -> ListChoices:
    """The values the list's filters offer, each sorted by name (users: the active ones first,
    so a deactivated user's tickets can still be listed). Raises NotPermitted without the view
    permission."""
    require(actor, Permission.VIEW)
    return ListChoices(
        clients=list(db.session.scalars(select(Client).order_by(Client.name))),
        types=list(db.session.scalars(select(TicketType).order_by(TicketType.name))),
        staff=list(db.session.scalars(select(User).order_by(User.active.desc(), User.name))),
        contracts=list(db.session.scalars(select(Contract).order_by(Contract.name))),
        statuses=list(TicketStatus),
        urgencies=list(Urgency),
    )
