"""Demo data for the embedded default (`flask seed`): built through the workflow services."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.client import Client, ClientDomain, Contact, Contract, Project, TicketType
from app.models.enums import Language, Role, TicketStatus, Urgency
from app.models.user import User
from app.services import assignment, quote_decisions, quotes, status_changes, tickets, worklog
from app.services.accounts import create_user
from app.services.quotes import QuoteInput
from app.services.tickets import TicketFields

DEMO_PASSWORD = "soporte-demo"
DEMO_USERS = [
    ("admin@soporte.example", "Ana Administradora", Role.ADMIN),
    ("supervisor@soporte.example", "Sergio Supervisor", Role.SUPERVISOR),
    ("agente1@soporte.example", "Andrea Agente", Role.AGENT),
    ("agente2@soporte.example", "Alberto Agente", Role.AGENT),
    ("consulta@soporte.example", "Victoria Visora", Role.VIEWER),
]
TICKET_TYPES = ["Incidente", "Requerimiento", "Consulta"]


def seed_demo() -> bool:
    """Create the demo data unless it is there already; True when it was created."""
    if db.session.execute(select(User).where(User.email == DEMO_USERS[0][0])).first():
        return False
    admin, supervisor, agent, _agent2, _viewer = [
        create_user(email, DEMO_PASSWORD, role, name) for email, name, role in DEMO_USERS]
    types = {name: TicketType(name=name) for name in TICKET_TYPES}
    db.session.add_all(types.values())
    martillo = _client("Ferretería El Martillo", "elmartillo.example",
                       [("Marta Gómez", "marta@elmartillo.example", Language.ES)])
    clinica = _client("Clínica Santa Ana", "santaana.example",
                      [("Dr. Luis Pérez", "luis@santaana.example", Language.ES),
                       ("Jane Smith", "jane@santaana.example", Language.EN)])
    support = Contract(client=clinica, name="Soporte mensual 2026", covers_support=True)
    project = Project(client=martillo, name="Migración de correo")
    db.session.add_all([support, project, Contract(client=martillo, name="Licencias",
                                                   covers_support=False)])
    db.session.flush()
    _demo_tickets(admin, supervisor, agent, martillo, clinica, support, project, types)
    return True


def _client(name: str, domain: str, contacts: list[tuple[str, str, Language]]) -> Client:
    """A client with one email domain and its contacts."""
    client = Client(name=name, domains=[ClientDomain(domain=domain)])
    db.session.add(client)
    for contact_name, email, language in contacts:
        db.session.add(Contact(client=client, name=contact_name, email=email, language=language))
    db.session.flush()
    return client


def _demo_tickets(admin, supervisor, agent, martillo, clinica, support, project, types) -> None:
    """A handful of tickets in several statuses, each reached through the services."""
    marta = martillo.contacts[0]
    luis = clinica.contacts[0]
    tickets.create_ticket(admin, TicketFields(
        client_id=martillo.id, contact_id=marta.id, type_id=types["Consulta"].id,
        subject="Consulta sobre respaldo", description="¿Con qué frecuencia se respaldan los equipos?",
        urgency=Urgency.LOW))
    quoted = tickets.create_ticket(admin, TicketFields(
        client_id=martillo.id, contact_id=marta.id, project_id=project.id,
        type_id=types["Requerimiento"].id, subject="Migrar buzones a la nube",
        description="Necesitamos migrar 12 buzones de correo al nuevo proveedor.",
        urgency=Urgency.MEDIUM))
    quotes.save_quote(agent, quoted, QuoteInput(Decimal("450.00"), Decimal("6"), "USD",
                                                "Incluye migración y verificación."))
    approved = tickets.create_ticket(admin, TicketFields(
        client_id=martillo.id, contact_id=marta.id, type_id=types["Requerimiento"].id,
        subject="Instalar impresora", description="Instalar la impresora nueva en caja.",
        urgency=Urgency.HIGH))
    assignment.assign(supervisor, approved, agent.id)
    quotes.save_quote(agent, approved, QuoteInput("80.00", "1.5", "USD", ""))
    quote_decisions.record_decision(supervisor, approved, True, "Aprobado por teléfono por Marta.")
    status_changes.change_status(agent, approved, TicketStatus.IN_PROGRESS, "Comienzo la instalación.")
    worklog.log_time(agent, approved, 1, 15, "Instalación del controlador.")
    free = tickets.create_ticket(admin, TicketFields(
        client_id=clinica.id, contact_id=luis.id, contract_id=support.id,
        type_id=types["Incidente"].id, subject="No imprime la recepción",
        description="La impresora de recepción no responde desde esta mañana.",
        urgency=Urgency.CRITICAL))
    assignment.assign(supervisor, free, assignment.suggest_assignee().id)
    status_changes.change_status(agent, free, TicketStatus.IN_PROGRESS, "Reviso la cola de impresión.")
    worklog.log_time(agent, free, 0, 40, "Cola de impresión reiniciada.")
    status_changes.change_status(agent, free, TicketStatus.RESOLVED, "La impresora vuelve a imprimir.")
    closed = tickets.create_ticket(admin, TicketFields(
        client_id=clinica.id, contact_id=luis.id, contract_id=support.id,
        subject="Cambio de contraseña", description="Olvidé la contraseña del correo.",
        urgency=Urgency.MEDIUM))
    status_changes.change_status(agent, closed, TicketStatus.IN_PROGRESS, "Atiendo el pedido.")
    status_changes.close_ticket(agent, closed, "Contraseña restablecida; el usuario ya ingresa.")
