"""Domain errors: one root, a subclass per kind; each carries a user-safe, translatable message.

Adapters (web, admin, CLI, mail poller) catch DomainError once and show
`str(error)`, which renders the message in the current locale.
"""
from __future__ import annotations


class DomainError(Exception):
    """A workflow rule refused the action; nothing was changed."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message  # a lazy string: rendered in the locale active when shown
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """An input value is missing or malformed."""


class NotPermitted(DomainError):
    """The acting user's role does not grant this action."""


class InvalidTransition(DomainError):
    """SPEC §3 does not allow this status change."""


class QuoteNotApproved(DomainError):
    """Work or time before the quote is approved on a billed ticket."""


class TicketClosed(DomainError):
    """The ticket is closed and read-only."""


class NoStaffAvailable(DomainError):
    """No active staff member can be assigned."""


class NotFound(DomainError):
    """A referenced record does not exist."""
