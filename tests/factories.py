"""Test data built through the same services the product uses (so states are reachable ones)."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Client, ClientDomain, Contact, Contract, Language, Project, Role, TicketStatus, \
    TicketType, User
from app.services import quote_decisions, quotes, status_changes, tickets
from app.services.quotes import QuoteInput
from app.services.tickets import TicketFields

PASSWORD = "correct horse battery"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """The test password's hash, computed once: scrypt is slow on purpose."""
    return generate_password_hash(PASSWORD)


def make_user(role: Role, email: str, name: str = "", active: bool = True,
              language: Language = Language.ES) -> User:
    """A staff user with the test password (tests of create_user itself go through the service)."""
    user = User(email=email, name=name or email.split("@")[0], role=role, active=active,
                language=language, password_hash=_password_hash())
    db.session.add(user)
    db.session.flush()
    return user


def make_world() -> SimpleNamespace:
    """Two clients with contacts, contracts and projects, a type, and one user per role."""
    acme = Client(name="Acme S.A.", domains=[ClientDomain(domain="acme.example")])
    other = Client(name="Otra Empresa", domains=[ClientDomain(domain="otra.example")])
    db.session.add_all([acme, other])
    w = SimpleNamespace(
        client=acme,
        other_client=other,
        contact=Contact(client=acme, name="Carla Cliente", email="carla@acme.example"),
        english_contact=Contact(client=acme, name="Eve", email="eve@acme.example",
                                language=Language.EN),
        other_contact=Contact(client=other, name="Omar", email="omar@otra.example"),
        contract=Contract(client=acme, name="Licencias", covers_support=False),
        covering_contract=Contract(client=acme, name="Soporte anual", covers_support=True),
        other_contract=Contract(client=other, name="Contrato ajeno", covers_support=True),
        project=Project(client=acme, name="Red nueva"),
        other_project=Project(client=other, name="Proyecto ajeno"),
        ticket_type=TicketType(name="Incidente"),
    )
    db.session.add_all([v for v in vars(w).values() if v not in (acme, other)])
    w.admin = make_user(Role.ADMIN, "admin@soporte.example", "Admin")
    w.supervisor = make_user(Role.SUPERVISOR, "super@soporte.example", "Supervisor")
    w.agent = make_user(Role.AGENT, "agent@soporte.example", "Agente Uno")
    w.agent2 = make_user(Role.AGENT, "agent2@soporte.example", "Agente Dos")
    w.viewer = make_user(Role.VIEWER, "viewer@soporte.example", "Viewer")
    w.inactive = make_user(Role.AGENT, "gone@soporte.example", "Gone", active=False)
    db.session.commit()
    return w


def new_ticket(w: SimpleNamespace, actor=None, **overrides):
    """A ticket of the world's client with its requester; overrides any TicketFields value."""
    fields = dict(client_id=w.client.id, contact_id=w.contact.id, description="No arranca el servidor",
                  subject="Servidor caído")
    fields.update(overrides)
    ticket = tickets.create_ticket(actor or w.agent, TicketFields(**fields))
    db.session.commit()
    return ticket


def quote(w: SimpleNamespace, ticket, price="100.00", hours="2", currency="USD"):
    """Save a quote on the ticket as the agent."""
    saved = quotes.save_quote(w.agent, ticket, QuoteInput(price, hours, currency, "Presupuesto"))
    db.session.commit()
    return saved


def ticket_in(w: SimpleNamespace, target: TicketStatus, free: bool = False):
    """A ticket driven through the services into the target status (billed unless free)."""
    ticket = new_ticket(w, contract_id=w.covering_contract.id if free else None)
    path = {
        TicketStatus.NEW: [],
        TicketStatus.QUOTED: ["quote"],
        TicketStatus.APPROVED: ["quote", "approve"],
        TicketStatus.IN_PROGRESS: ["quote", "approve", TicketStatus.IN_PROGRESS],
        TicketStatus.ON_HOLD: ["quote", "approve", TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD],
        TicketStatus.RESOLVED: ["quote", "approve", TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED],
        TicketStatus.CLOSED: ["close"],
    }[target]
    if free:
        path = [step for step in path if step not in ("quote", "approve")]
    for step in path:
        if step == "quote":
            quote(w, ticket)
        elif step == "approve":
            quote_decisions.decide_by_customer(ticket.current_quote.id, ticket.current_quote.version, True)
        elif step == "close":
            status_changes.close_ticket(w.agent, ticket, "Resuelto y cerrado")
        else:
            status_changes.change_status(w.agent, ticket, step, f"Paso a {step.value}")
        db.session.commit()
    assert ticket.status is target, f"factory could not reach {target}"
    return ticket


def money(value: str) -> Decimal:
    """A Decimal amount, for readable comparisons."""
    return Decimal(value)
