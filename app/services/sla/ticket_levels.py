"""A ticket's service levels as one ticket is shown (the ticket page, the API's ticket): its
clocks from ticket_clocks, the one computation (docs/service_levels.md), for whoever may view
tickets, and the lines the page lists (first response, next response while it waits for an
answer, resolution)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.models.enums import ClockState
from app.models.ticket import Ticket
from app.services.permissions import Actor, Permission, require
from app.services.sla.clocks import Clock, TicketClocks, ticket_clocks

LABELS = {
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
}


@dataclass(frozen=True)
class ClockLine:
    """One clock as a line of the page: its name (first_response, next_response, resolution),
    its label and the clock itself."""

    name: str
    label: str
    clock: Clock

    @property
    def overdue(self) -> bool:
        """Past its target: the business minutes left are negative."""
        return self.clock.minutes_left < 0

    @property
    def met(self) -> bool:
        """Met within its target (its minutes left are what was to spare)."""
        return self.clock.state is ClockState.MET

    @property
    def minutes(self) -> int:
        """Business minutes left, or overdue, as a positive number (for `duration`)."""
        return abs(self.clock.minutes_left)


@dataclass(frozen=True)
class TicketServiceLevels:
    """A ticket's clocks (as ticket_clocks gives them) and the lines the page shows: the next
    response only while it waits for an answer."""

    clocks: TicketClocks
    lines: tuple[ClockLine, ...]


def ticket_service_levels(actor: Actor, ticket: Ticket, notes=None) -> TicketServiceLevels:
    """The ticket's service-level clocks now (app.services.clock), for whoever may view
    tickets; `notes` as ticket_clocks takes them (the ticket page's TicketView.notes). Raises
    NotPermitted; ValidationFailed when the configured calendar is malformed (naming the
    setting)."""
    require(actor, Permission.VIEW)
    clocks = ticket_clocks(ticket, notes=notes)
    shown = [("first_response", clocks.first_response)]
    following = clocks.next_response
    if following is not None and following.completed_at is None:
        shown.append(("next_response", following))
    shown.append(("resolution", clocks.resolution))
    return TicketServiceLevels(clocks, tuple(clock_line(name, clock) for name, clock in shown))


def clock_line(name: str, clock: Clock) -> ClockLine:
    """A clock as the line that shows it (first_response, next_response or resolution)."""
    return ClockLine(name, LABELS[name], clock)
