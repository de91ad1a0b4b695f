"""Domain errors: one root, a subclass per kind; each carries a stable code, a user-safe
translatable message and the field it concerns.

Adapters (web, admin, CLI, mail poller, API) catch DomainError once: they show `str(error)`,
which renders the message in the current locale, and map `error.code` to their own answer
(an HTTP status, an exit code) in one table each (see app.web.errors.HTTP_STATUS).
"""
from __future__ import annotations


class DomainError(Exception):
    """A workflow rule refused the action; nothing was changed."""

    code = "domain_error"

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message  # a lazy string: rendered in the locale active when shown
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

    def as_dict(self) -> dict:
        """The error as plain values (code, message in the current locale, field)."""
        return {"code": self.code, "message": str(self), "field": self.field}


def passes(check, *args) -> bool:
    """A flag is a check that did not raise: True when `check(*args)` raises no DomainError
    (the ticket page's buttons, triage's, any adapter's)."""
    try:
        check(*args)
    except DomainError:
        return False
    return True


class ValidationFailed(DomainError):
    """An input value is missing or malformed (its field says which)."""

    code = "validation_failed"


class NotPermitted(DomainError):
    """The acting user's role does not grant this action."""

    code = "not_permitted"


class InvalidTransition(DomainError):
    """SPEC §3 does not allow this status change (or this action in the ticket's state)."""

    code = "invalid_transition"


class QuoteNotApproved(DomainError):
    """Work or time before the quote is approved on a billed ticket."""

    code = "quote_not_approved"


class TicketClosed(DomainError):
    """The ticket is closed and read-only."""

    code = "ticket_closed"


class NoStaffAvailable(DomainError):
    """No active staff member can be assigned."""

    code = "no_staff_available"


class NotFound(DomainError):
    """A referenced record does not exist."""

    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the record meanwhile, or it already exists."""

    code = "conflict"


class EntryBilled(DomainError):
    """The time entry was billed in a billing batch that is still locked: it cannot be changed
    or deleted until a supervisor unlocks the batch."""

    code = "entry_billed"


class LinkProblem(DomainError):
    """A customer's signed link cannot be used: tampered, expired, already used or superseded
    (its `kind`, which picks the page the customer sees)."""

    code = "link_unusable"

    def __init__(self, kind: str, message):
        super().__init__(message)
        self.kind = kind


# Every code an adapter may meet, for the tables that map them (tested to cover every subclass,
# wherever it is defined: sign_in.SignInThrottled is "too_many_attempts",
# presence.NewerCustomerMessage "customer_wrote_again").
CODES = frozenset({"domain_error", "validation_failed", "not_permitted", "invalid_transition",
                   "quote_not_approved", "ticket_closed", "no_staff_available", "not_found",
                   "conflict", "link_unusable", "too_many_attempts", "customer_wrote_again",
                   "entry_billed", "search_too_broad"})
