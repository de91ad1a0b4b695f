"""In-app notifications: the bell in the dashboard."""
from __future__ import annotations

from app.extensions import db
from app.models.notification import Notification
from app.models.ticket import Ticket
from app.models.user import User


def notify(user: User, kind: str, message: str, ticket: Ticket | None = None) -> Notification:
    """Leave an unread notification for a staff user."""
    notification = Notification(user=user, ticket=ticket, kind=kind, message=message)
    db.session.add(notification)
    return notification
