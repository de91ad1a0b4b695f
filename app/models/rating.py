"""Customer satisfaction: the one rating (1 to 5, and a comment) a ticket's requester gives from
the closing email's link (app.services.ratings)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.extensions import db
from app.models.client import Contact
from app.models.columns import UTCDateTime, utcnow
from app.models.ticket import Ticket
from app.models.user import User

SCORE_MIN, SCORE_MAX = 1, 5
# A rating this low or lower tells every active supervisor (app.services.ratings).
LOW_SCORE = 2


class TicketRating(db.Model):
    """How it went, in the requester's words: one per ticket (ticket_id is unique, so a second
    rating, even two at the same moment, is refused by the database), crediting the agent who
    was assigned when it was given (the assignee at closing: a closed ticket cannot be
    reassigned), kept on the row so a later change of the ticket does not move the rating."""

    __tablename__ = "ticket_rating"
    __table_args__ = (
        CheckConstraint(f"score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Ticket.rating: the ticket page reads it as it reads Ticket.current_quote.
    ticket: Mapped[Ticket] = relationship(backref=backref("rating", uselist=False))
    contact: Mapped[Contact | None] = relationship()
    agent: Mapped[User | None] = relationship()

    @property
    def is_low(self) -> bool:
        """A rating the supervisors are told about (LOW_SCORE or lower)."""
        return self.score <= LOW_SCORE
