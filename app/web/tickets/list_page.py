"""The ticket list page as one function, shared by the list's route and the saved-view forms
(which show the list again, as typed, when a view's name is refused): the filtered page, the
sidebar of views with their counts. Its links to itself (views, sort, pages, the bulk toolbar's
way back) are built from `current_query`, the canonical query of the filter shown."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import flash, render_template
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.services import clock, saved_views
from app.services.errors import ValidationFailed
from app.services.search_budget import SearchTooBroad
from app.services.ticket_list import COUNT_CAP, TicketFilters, TicketPage, list_choices, \
    list_tickets
from app.web.tickets.filters import canonical_query, filters_from_args, list_url


def args_of(query: str) -> MultiDict:
    """A stored or posted query string read as the list's arguments."""
    return MultiDict(parse_qsl(query or "", keep_blank_values=False))


def render_list(args: MultiDict, typed: dict | None = None,
                error: ValidationFailed | None = None, status: int = 200):
    """The list for `args`; `typed` refills a saved-view form ("name", and "view_id" when it
    was a rename) whose refusal `error` is shown under it, answered with `status`."""
    zone = clock.user_zone(current_user)
    filters, problems = filters_from_args(args, current_user.id, zone)
    for problem in problems:
        flash(str(problem), "error")
    too_broad = None  # the search could not be answered in time: the page says so, not "0"
    try:
        page = list_tickets(current_user, filters)
    except SearchTooBroad as refused:  # the search box keeps the words, to add one
        too_broad, page, status = str(refused), TicketPage([], 0, 1, 1, {}), 422

    def read_query(query: str) -> TicketFilters:
        return filters_from_args(args_of(query), current_user.id, zone)[0]

    return render_template(
        "tickets/list.html", page=page, filters=filters, counts=page.counts,
        choices=list_choices(current_user),
        # the counts come in a request of their own (view_counts), after the list is shown
        views=saved_views.sidebar(current_user, read_query, counted=False),
        current_query=canonical_query(args, current_user.id, zone), list_url=list_url,
        count_cap=COUNT_CAP,
        advanced_open=_uses_advanced_filters(filters), too_broad=too_broad,
        typed=typed or {}, error=error), status


def render_view_counts(current_query: str):
    """The sidebar's list of views with their counts, the one `current_query` shows marked."""
    zone = clock.user_zone(current_user)

    def read_query(query: str) -> TicketFilters:
        return filters_from_args(args_of(query), current_user.id, zone)[0]

    return render_template("tickets/_view_list.html", views=saved_views.sidebar(
        current_user, read_query), counted=True, current_query=current_query,
        count_cap=COUNT_CAP)


def _uses_advanced_filters(filters: TicketFilters) -> bool:
    """Whether the filter uses one of the folded filters (which then show unfolded)."""
    return bool(filters.client_id or filters.type_id or filters.contract_id or filters.date_from
                or filters.date_to or filters.needs_assignee or filters.waiting_on_customer
                or filters.customer_waiting or filters.overdue or filters.due_today
                or filters.archived)
