"""Every page of the dashboard and the customer's quote page, at a laptop's and a phone's width:
axe-core finds no serious or critical WCAG 2 A/AA violation, the header stays one line (and
collapsed on the phone), and a full-page screenshot of each goes to test-artifacts/."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, OutboxMessage, OutboxStatus, Ticket
from app.services import assignment, canned_replies, notes
from app.services.quote_links import make_token
from app.services.webhooks.endpoints import EndpointInput, create_endpoint
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import shot, sign_in

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
HEADER_MAX_HEIGHT = 64  # one line of navbar (a wrapped one is about 100 px, the open menu 400)


def _demo_data(world, app) -> dict:
    """A day's worth of data: a customer's email with an image opened a ticket, staff replied,
    noted and quoted, the reply bounced; one mail waits for triage, one sits in quarantine; the administrator has
    an unread notification. Returns the addresses the pages need."""
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"  # deliveries wait in the log
    hook = create_endpoint(world.admin, EndpointInput(url="http://127.0.0.1:9/hooks")).endpoint
    ingest("test", 0, "1", corpus.outlook_inline_image())
    ticket = db.session.scalars(select(Ticket)).one()
    notes.reply_publicly(world.agent, ticket, "Hola Carla, ¿puede reiniciar el servidor?")
    notes.add_internal_note(world.agent, ticket, "El cliente tiene la versión antigua.")
    assignment.assign(world.supervisor, ticket, world.admin.id)
    db.session.commit()
    quote = factories.quote(world, ticket, price="150.50", hours="2.5")
    ingest("test", 0, "2", corpus.simple(sender="alguien@gmail.example", subject="Ayuda urgente"))
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0  # the next message is held
    ingest("test", 0, "3", corpus.simple(subject="Mensaje retenido"))
    app.config.pop("SOPORTE_INGEST_RATE_LIMIT")
    undelivered = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "public_reply")).one()
    undelivered.status, undelivered.attempts = OutboxStatus.FAILED, 5
    undelivered.last_error = "550 5.1.1 mailbox unavailable"
    reply = canned_replies.create_reply(
        world.supervisor, "Saludo", "Hola {cliente}, gracias por escribir.")
    db.session.commit()
    assert len(db.session.scalars(select(InboundMessage)).all()) == 3
    pages = {
        "ticket-list": "/operacion/ticket",
        "ticket-list-filtered": "/operacion/ticket?status=QUOTED&q=captura",
        "aging": "/operacion/antiguedad",
        "ticket": f"/operacion/ticket/{ticket.number}",
        "new-ticket": "/operacion/ticket/nuevo",
        "new-ticket-client": f"/operacion/ticket/nuevo?client_id={world.client.id}",
        "edit-ticket": f"/operacion/ticket/{ticket.number}/editar",
        "triage": "/operacion/correo/triage",
        "quarantine": "/operacion/correo/cuarentena",
        "outbox": "/operacion/correo/salida",
        "notifications": "/notificaciones",
        "time-zone": "/preferencias/zona-horaria",
        "error-404": "/operacion/ticket/TCK-999999",
        "canned-replies": "/operacion/respuestas",
        "canned-reply-edit": f"/operacion/respuestas/{reply.id}",
        "admin-home": "/admin/",
        "admin-client-list": "/admin/client/",
        "admin-client-edit": f"/admin/client/edit/?id={world.client.id}",
        "admin-api-tokens": "/admin/tokens/",
        "admin-webhooks": "/admin/webhooks/",
        "admin-webhook-new": "/admin/webhooks/new/",
        "admin-webhook-edit": f"/admin/webhooks/{hook.id}/",
        "admin-webhook-log": f"/admin/webhooks/{hook.id}/deliveries/",
    }
    portal = {
        "portal-quote": f"/cotizacion/{make_token(quote)}",
        "portal-link-problem": "/cotizacion/not-a-valid-link",
    }
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    bulk = {"number": ticket.number, "assignee_id": world.agent.id}
    return {"staff": pages, "portal": portal, "bulk": bulk}


def _bulk_result(page, base: str, bulk: dict, size: str, problems: list[str]) -> None:
    """From the list, assign the ticket to the agent in bulk, then look at the result page."""
    page.goto(f"{base}/operacion/ticket")
    page.check(f"input[name=numbers][value='{bulk['number']}']")
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-assignee", str(bulk["assignee_id"]))
    page.click("#bulk-submit")
    page.wait_for_url("**/operacion/ticket/lote")
    _look(page, "bulk-result", size, problems)


def _header_problem(page, size: str) -> str | None:
    """Why the header is not one line (collapsed on a phone), or None."""
    header = page.locator("nav.navbar")
    if header.count() == 0:
        return f"no header (nav.navbar) at the {size} width"
    height = header.first.bounding_box()["height"]
    if height >= HEADER_MAX_HEIGHT:
        return f"the header is {height:.0f} px high at the {size} width (one line is < {HEADER_MAX_HEIGHT})"
    return None


def _visit(page, base: str, name: str, path: str, size: str, problems: list[str],
           header: bool = True) -> None:
    """Open the page, then look at it (see _look)."""
    page.goto(base + path)
    page.wait_for_load_state("load")
    _look(page, name, size, problems, header)


def _look(page, name: str, size: str, problems: list[str], header: bool = True) -> None:
    """Record what is wrong with the page shown (accessibility, header) and screenshot it."""
    try:
        check_accessibility(page, f"{name} at the {size} width ({page.url})")
    except AssertionError as violation:
        problems.append(str(violation))
    if header and (problem := _header_problem(page, size)):
        problems.append(f"{name}: {problem}")
    shot(page, f"{name}-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_every_page_is_accessible_keeps_a_one_line_header_and_is_photographed(
        live_server, browser, world, app, backend, size):
    addresses = _demo_data(world, app)
    admin = world.admin.email
    db.session.commit()
    page = browser.new_context(locale="es-ES", viewport=SIZES[size]).new_page()
    problems: list[str] = []

    _visit(page, live_server, "sign-in", "/login", size, problems)
    sign_in(page, live_server, admin)
    for name, path in addresses["staff"].items():
        _visit(page, live_server, name, path, size, problems, header=True)
    _bulk_result(page, live_server, addresses["bulk"], size, problems)
    for name, path in addresses["portal"].items():
        _visit(page, live_server, name, path, size, problems, header=False)

    assert not problems, "\n\n".join(problems)
