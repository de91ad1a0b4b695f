"""Views of the ticket list with their live counts, for the list's sidebar: the built-in views
every user has (defined once here, BUILT_IN_VIEWS) and the views a user saved from any filter.

A view is a name and the list's canonical query string (app.web.tickets.filters.canonical_query
writes it; the adapter passes the function that reads one back into TicketFilters, so this
module stays free of the web). Its count is app.services.ticket_list's for that filter: the
same number the list shows as its total. Everyone who may see the list
(Permission.VIEW) may save views; only the owner renames or deletes one (NotPermitted). Names
are required, at most NAME_MAX characters and unique per user whatever their letter case
(ValidationFailed); a user keeps at most VIEWS_MAX views, each of which costs one COUNT.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.workspace import SavedView
from app.services.errors import NotFound, NotPermitted, ValidationFailed
from app.services.permissions import Actor, Permission, actor_user_id, require
from app.services.search_budget import SearchTooBroad
from app.services.ticket_list import TicketFilters, count_tickets
from app.services.uniqueness import taken_by_another

NAME_MAX = 80  # SavedView.name's column
VIEWS_MAX = 20


@dataclass(frozen=True)
class BuiltInView:
    """A view every user has: a stable key (for tests and markup), its name, its query."""

    key: str
    name: object  # a lazy string, rendered in the reader's language
    query: str


BUILT_IN_VIEWS = (
    BuiltInView("unassigned", _l("Unassigned"), "needs_assignee=1"),
    BuiltInView("mine", _l("My open tickets"), "mine=1"),
    BuiltInView("waiting-on-customer", _l("Waiting on the customer"), "waiting_on_customer=1"),
    BuiltInView("customer-waiting", _l("Customer awaiting a reply"), "customer_waiting=1"),
    BuiltInView("critical", _l("Critical tickets"), "urgency=CRITICAL"),
    BuiltInView("overdue", _l("Overdue"), "overdue=1"),
    BuiltInView("due-today", _l("Due today"), "due_today=1"),
)


@dataclass
class ViewCount:
    """One line of the sidebar: a view, its query and how many tickets it shows now (None when
    not counted)."""

    name: object
    query: str
    count: int | None
    key: str  # the built-in view's key, or "saved-<id>"
    saved: SavedView | None = None  # the user's own view (renamed and deleted from the sidebar)


def sidebar(actor: Actor, read_query: Callable[[str], TicketFilters],
            counted: bool = True) -> list[ViewCount]:
    """The built-in views, then the actor's own views in their order, each with its count: one
    COUNT per view (ticket_list.count_tickets), each able to use the index its filter has (one
    conditional count over every ticket was measured slower: a full scan of a wide table).
    `read_query` turns a stored query string into the filters (in the reader's zone); not
    `counted`: the lines without their counts (None), which cost nothing (the list page, whose
    sidebar asks for its counts in a request of its own). A view whose search matches too much
    to be counted in time (SearchTooBroad) is listed without its count. Raises NotPermitted
    without the view permission."""
    require(actor, Permission.VIEW)

    def count(query: str) -> int | None:
        if not counted:
            return None
        try:
            return count_tickets(actor, read_query(query))
        except SearchTooBroad:
            return None

    lines = [ViewCount(view.name, view.query, count(view.query), view.key)
             for view in BUILT_IN_VIEWS]
    lines += [ViewCount(view.name, view.query, count(view.query), f"saved-{view.id}", view)
              for view in own_views(actor)]
    return lines


def own_views(actor: Actor) -> list[SavedView]:
    """The views the actor saved, in their order. Raises NotPermitted."""
    require(actor, Permission.VIEW)
    return list(db.session.scalars(
        select(SavedView).where(SavedView.user_id == actor_user_id(actor))
        .order_by(SavedView.position, SavedView.id)))


def save_view(actor: Actor, name: str, query: str) -> SavedView:
    """Save the filter `query` (canonical, from the adapter) under `name` as the actor's view,
    last in their list. Raises NotPermitted, ValidationFailed (no name, too long, a name the
    actor already uses, too many views)."""
    require(actor, Permission.VIEW)
    user_id = actor_user_id(actor)
    if user_id is None:
        raise NotPermitted(_l("Only a signed-in user can save views."))
    name = _checked_name(user_id, name, None)
    mine = db.session.scalar(select(func.count(SavedView.id)).where(SavedView.user_id == user_id))
    if mine >= VIEWS_MAX:
        raise ValidationFailed(_l("You already have %(max)s saved views, the most the sidebar "
                                  "shows. Delete one you no longer use first.", max=VIEWS_MAX),
                               field="name")
    last = db.session.scalar(select(func.max(SavedView.position))
                             .where(SavedView.user_id == user_id))
    view = SavedView(user_id=user_id, name=name, query=query or "", position=(last or 0) + 1)
    db.session.add(view)
    db.session.flush()
    return view


def check_change(actor: Actor, view: SavedView) -> None:
    """Raise NotPermitted unless the actor may rename or delete the view: their own view, and
    the permission to see the list."""
    require(actor, Permission.VIEW)
    if view.user_id != actor_user_id(actor):
        raise NotPermitted(_l("This view belongs to another user: only they can change it."))


def get_view(actor: Actor, view_id: int) -> SavedView:
    """The actor's saved view with this id. Raises NotFound (no such view), NotPermitted
    (another user's)."""
    require(actor, Permission.VIEW)
    view = db.session.get(SavedView, view_id)
    if view is None:
        raise NotFound(_l("This saved view no longer exists. Reload the list to see your "
                          "views."))
    check_change(actor, view)
    return view


def rename_view(actor: Actor, view: SavedView, name: str) -> SavedView:
    """Give the actor's view a new name. Raises NotPermitted, ValidationFailed (as save_view)."""
    check_change(actor, view)
    view.name = _checked_name(view.user_id, name, view)
    db.session.flush()
    return view


def delete_view(actor: Actor, view: SavedView) -> None:
    """Delete the actor's view (the tickets it showed are untouched). Raises NotPermitted."""
    check_change(actor, view)
    db.session.delete(view)
    db.session.flush()


def _checked_name(user_id: int, name: str | None, view: SavedView | None) -> str:
    """The name with its spaces tidied, or ValidationFailed: empty, longer than NAME_MAX, or
    already the name of another of the user's views (letter case aside)."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_l("Give the view a name, for example “Critical at Acme”."),
                               field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_l("A view's name has at most %(max)s characters.", max=NAME_MAX),
                               field="name")
    if taken_by_another(SavedView.name, name, view, within=SavedView.user_id == user_id):
        raise ValidationFailed(_l("You already have a view named “%(name)s”. Choose another "
                                  "name, or delete that view first.", name=name),
                               field="name")
    return name
