"""In-app notifications: the bell in the dashboard; and who is told of a ticket that arrived
by email with nobody assigned (every active supervisor; by email too when
SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL is on)."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models.enums import Role
from app.models.notification import Notification
from app.models.ticket import Ticket
from app.models.user import User
from app.services.outbox import AUTO_GENERATED, enqueue_mail
from app.services.transaction_reads import kept

NEW_UNASSIGNED = "new_unassigned"


def notify(user: User, kind: str, message: str, ticket: Ticket | None = None) -> Notification:
    """Leave an unread notification for a staff user."""
    notification = Notification(user=user, ticket=ticket, kind=kind, message=message)
    db.session.add(notification)
    return notification


# Built once: the poller asks it for every new ticket (not building it and its cache key again
# each time).
_ACTIVE_SUPERVISORS = select(User).where(User.active.is_(True), User.role == Role.SUPERVISOR) \
    .order_by(User.id)


def active_supervisors() -> list[User]:
    """Every active supervisor, in a stable order (read once per transaction:
    app.services.transaction_reads)."""
    return list(kept(db.session, "active supervisors",
                     lambda: tuple(db.session.scalars(_ACTIVE_SUPERVISORS)), (User,)))


def announce_unassigned(ticket: Ticket) -> None:
    """Tell every active supervisor, in their language, that this ticket arrived by email and
    nobody is assigned to it: in the dashboard, and by email when the configuration allows it
    (SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL). Nothing when someone is assigned already. The
    ticket may not be written yet (the supervisors are read without flushing it): its client
    is read as the object it was given (tickets.create_ticket sets it), not by its id."""
    if ticket.assignee_id is not None or ticket.assignee is not None:
        return
    by_email = current_app.config.get("SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL", False)
    with db.session.no_autoflush:  # users are not what the caller changed: its rows wait for
        supervisors = active_supervisors()  # its commit, in one flush with everything else
    for user in supervisors:
        with force_locale(user.language.value):
            message = _("New ticket %(number)s from %(client)s by email, unassigned: "
                        "%(subject)s", number=ticket.number, client=ticket.client.name,
                        subject=ticket.subject)
        notify(user, NEW_UNASSIGNED, message, ticket)
        if by_email:
            enqueue_mail("new_ticket_staff", to_address=user.email, to_name=user.name,
                         language=user.language.value, ticket=ticket,
                         auto_submitted=AUTO_GENERATED, staff=user)
