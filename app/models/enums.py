"""Every enumeration of the domain, with its label for the UI (msgids in English, Spanish catalog)."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class LabeledEnum(str, enum.Enum):
    """A string enum whose members carry a translatable label."""

    @property
    def label(self):
        """The translated label of this member."""
        return self._labels().get(self, self.value)

    @classmethod
    def _labels(cls) -> dict:
        return {}


class Role(LabeledEnum):
    ADMIN = "ADMIN"
    SUPERVISOR = "SUPERVISOR"
    AGENT = "AGENT"
    VIEWER = "VIEWER"

    @classmethod
    def _labels(cls):
        return {
            cls.ADMIN: _l("Administrator"),
            cls.SUPERVISOR: _l("Supervisor"),
            cls.AGENT: _l("Agent"),
            cls.VIEWER: _l("Viewer"),
        }


class Urgency(LabeledEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @classmethod
    def _labels(cls):
        return {
            cls.LOW: _l("Low"),
            cls.MEDIUM: _l("Medium"),
            cls.HIGH: _l("High"),
            cls.CRITICAL: _l("Critical"),
        }


class TicketStatus(LabeledEnum):
    NEW = "NEW"
    QUOTED = "QUOTED"
    APPROVED = "APPROVED"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"

    @classmethod
    def _labels(cls):
        return {
            cls.NEW: _l("New"),
            cls.QUOTED: _l("Quoted"),
            cls.APPROVED: _l("Approved"),
            cls.IN_PROGRESS: _l("In progress"),
            cls.ON_HOLD: _l("On hold"),
            cls.RESOLVED: _l("Resolved"),
            cls.CLOSED: _l("Closed"),
        }


OPEN_STATUSES = frozenset(s for s in TicketStatus if s is not TicketStatus.CLOSED)


class QuoteStatus(LabeledEnum):
    PENDING = "PENDING"
    QUOTED = "QUOTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUPERSEDED = "SUPERSEDED"

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: _l("Pending"),
            cls.QUOTED: _l("Quoted"),
            cls.APPROVED: _l("Approved"),
            cls.REJECTED: _l("Rejected"),
            cls.SUPERSEDED: _l("Superseded"),
        }


class DecisionChannel(LabeledEnum):
    """How a quote decision reached us."""

    LINK = "LINK"
    RECORDED = "RECORDED"

    @classmethod
    def _labels(cls):
        return {
            cls.LINK: _l("Customer link"),
            cls.RECORDED: _l("Recorded by staff"),
        }


class BillingBasis(LabeledEnum):
    """Why work on a ticket may go ahead, decided when it is authorised and kept on the ticket."""

    FREE = "FREE"  # marked free by a supervisor
    CONTRACT = "CONTRACT"  # a contract covering support (billing_contract_id)
    QUOTE = "QUOTE"  # billed under an approved quote (billing_quote_version)

    @classmethod
    def _labels(cls):
        return {
            cls.FREE: _l("Free"),
            cls.CONTRACT: _l("Covered by contract"),
            cls.QUOTE: _l("Billed under an approved quote"),
        }


class BankPeriod(LabeledEnum):
    """What a contract's hour bank is counted over: each calendar month of the company's time
    zone, or the contract's whole term (starts_on to ends_on)."""

    MONTH = "MONTH"
    CONTRACT = "CONTRACT"

    @classmethod
    def _labels(cls):
        return {
            cls.MONTH: _l("Per month"),
            cls.CONTRACT: _l("Per contract period"),
        }


class BillingAlertKind(LabeledEnum):
    """What a billing warning watches: a contract's hour bank in one period, or a ticket's logged
    hours against its quote's estimate."""

    BANK = "BANK"
    ESTIMATE = "ESTIMATE"

    @classmethod
    def _labels(cls):
        return {
            cls.BANK: _l("Hour bank"),
            cls.ESTIMATE: _l("Quote estimate"),
        }


class ClockState(LabeledEnum):
    """Where a service-level clock of a ticket stands (app.services.sla.clocks): counting,
    paused while the customer must answer, reached in time, or past its due time."""

    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    MET = "MET"
    BREACHED = "BREACHED"

    @classmethod
    def _labels(cls):
        return {
            cls.RUNNING: _l("Running"),
            cls.PAUSED: _l("Paused"),
            cls.MET: _l("Met"),
            cls.BREACHED: _l("Breached"),
        }


class SlaClock(LabeledEnum):
    """Which service-level clock an escalation alert is about (app.services.sla.escalation)."""

    FIRST_RESPONSE = "FIRST_RESPONSE"
    NEXT_RESPONSE = "NEXT_RESPONSE"
    RESOLUTION = "RESOLUTION"

    @classmethod
    def _labels(cls):
        return {
            cls.FIRST_RESPONSE: _l("First response"),
            cls.NEXT_RESPONSE: _l("Next response"),
            cls.RESOLUTION: _l("Resolution"),
        }


class SlaAlertLevel(LabeledEnum):
    """An escalation alert: the warning before a target is missed, or the breach."""

    WARNING = "WARNING"
    BREACH = "BREACH"

    @classmethod
    def _labels(cls):
        return {
            cls.WARNING: _l("Warning"),
            cls.BREACH: _l("Breached"),
        }


class PaymentStatus(LabeledEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    NOT_APPLICABLE = "NOT_APPLICABLE"

    @classmethod
    def _labels(cls):
        return {
            cls.UNPAID: _l("Unpaid"),
            cls.PAID: _l("Paid"),
            cls.NOT_APPLICABLE: _l("Not applicable"),
        }


class NoteKind(LabeledEnum):
    INTERNAL = "INTERNAL"
    PUBLIC_REPLY = "PUBLIC_REPLY"
    CUSTOMER_EMAIL = "CUSTOMER_EMAIL"
    SYSTEM = "SYSTEM"

    @classmethod
    def _labels(cls):
        return {
            cls.INTERNAL: _l("Internal note"),
            cls.PUBLIC_REPLY: _l("Public reply"),
            cls.CUSTOMER_EMAIL: _l("Customer email"),
            cls.SYSTEM: _l("System event"),
        }


class TicketSource(LabeledEnum):
    EMAIL = "EMAIL"
    WEB = "WEB"  # the dashboard's form
    API = "API"  # another system, through /api/v1 (migration 4b5c6d7e8f90)

    @classmethod
    def _labels(cls):
        return {cls.EMAIL: _l("Email"), cls.WEB: _l("Web"), cls.API: _l("API")}


class OutboxStatus(LabeledEnum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: _l("Waiting"),
            cls.SENDING: _l("Sending"),
            cls.SENT: _l("Sent"),
            cls.FAILED: _l("Failed"),
        }


class Language(LabeledEnum):
    ES = "es"
    EN = "en"

    @classmethod
    def _labels(cls):
        return {cls.ES: _l("Spanish"), cls.EN: _l("English")}


class InboundOutcome(LabeledEnum):
    """What became of one fetched email."""

    TICKET = "TICKET"
    NOTE = "NOTE"
    IGNORED = "IGNORED"
    TRIAGE = "TRIAGE"
    QUARANTINED = "QUARANTINED"

    @classmethod
    def _labels(cls):
        return {
            cls.TICKET: _l("New ticket"),
            cls.NOTE: _l("Note on a ticket"),
            cls.IGNORED: _l("Ignored"),
            cls.TRIAGE: _l("Waiting for triage"),
            cls.QUARANTINED: _l("Quarantined"),
        }


class WebhookDeliveryStatus(LabeledEnum):
    """Where one event's delivery to one webhook endpoint stands."""

    PENDING = "PENDING"  # waiting for its (next) attempt
    SENDING = "SENDING"  # a worker holds it until its lease ends
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # the retries ran out, or the endpoint answered 410 Gone
    CANCELLED = "CANCELLED"  # its endpoint was disabled before it could be delivered

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: _l("Waiting"),
            cls.SENDING: _l("Sending"),
            cls.DELIVERED: _l("Delivered"),
            cls.FAILED: _l("Failed"),
            cls.CANCELLED: _l("Cancelled"),
        }
