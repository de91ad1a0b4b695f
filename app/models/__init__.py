"""The data model, one module per aggregate; importing this package registers every table."""
from app.models.api_token import ApiToken
from app.models.branding import CompanyBranding
from app.models.client import Client, ClientDomain, Contact, Contract, Project, TicketType
from app.models.enums import (
    DecisionChannel,
    InboundOutcome,
    Language,
    NoteKind,
    OutboxStatus,
    PaymentStatus,
    QuoteStatus,
    Role,
    TicketSource,
    TicketStatus,
    Urgency,
    WebhookDeliveryStatus,
)
from app.models.mail import InboundHighWater, InboundMessage, Mailbox, OutboxMessage
from app.models.notification import Notification
from app.models.quote import Quote
from app.models.rating import TicketRating
from app.models.sla import (BusinessCalendar, BusinessWindow, CalendarHoliday, SlaAlert, SlaDigest,
                            SlaTarget)
from app.models.ticket import Attachment, Note, Ticket, TicketChange, TicketCounter
from app.models.user import User
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.models.worklog import BillingAlert, BillingBatch, TimeEntry
from app.models.workspace import CannedReply, SavedView, TicketPresence

__all__ = [
    "ApiToken", "Attachment", "BillingAlert", "BillingBatch", "BusinessCalendar", "BusinessWindow", "CalendarHoliday", "CannedReply", "Client", "CompanyBranding", "InboundHighWater", "InboundMessage", "InboundOutcome", "Mailbox", "ClientDomain", "Contact", "Contract", "DecisionChannel",
    "Language", "Note", "NoteKind", "Notification", "OutboxMessage", "OutboxStatus",
    "PaymentStatus", "Project", "Quote", "QuoteStatus", "Role", "SavedView", "SlaAlert", "SlaDigest", "SlaTarget", "Ticket", "TicketPresence", "TicketChange",
    "TicketCounter", "TicketRating", "TicketSource", "TicketStatus", "TicketType", "TimeEntry", "Urgency", "User",
    "WebhookAttempt", "WebhookDelivery", "WebhookDeliveryStatus", "WebhookEndpoint", "WebhookEvent",
]
