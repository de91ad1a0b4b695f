"""A working day in the browser, as staff and the customer do it: create a ticket, assign it,
quote it, the customer approves from the link in the email, start work, log time, resolve,
close, record the payment, find it again with filters and search, switch to English; the
same pages on a phone; and the buttons each role sees. Screenshots go to test-artifacts/."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, PaymentStatus, Ticket, TicketStatus
from tests import factories
from tests.e2e.browsing import PHONE, open_user_menu, shot, sign_in, sign_out


def _saved(page) -> None:
    """The action was accepted (not refused with a message)."""
    page.wait_for_selector(".flash")
    errors = page.query_selector_all(".flash.error")
    assert not errors, errors[0].inner_text()


def _change_status(page, status: str, note: str) -> None:
    page.select_option("#action-status select[name=status]", status)
    page.fill("#action-status textarea[name=note]", note)
    page.click("#action-status button")
    _saved(page)


def _quote_link(ticket_id: int) -> str:
    """The approve link of the quote email, as the customer received it (path and query)."""
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket_id, OutboxMessage.kind == "quote_request")).one()
    path = re.search(r"https?://[^/\s]+(/cotizacion/\S+\?decision=approve)", mail.body_text)[1]
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    return path


def _ticket(number: str) -> Ticket:
    db.session.expire_all()
    ticket = db.session.scalars(select(Ticket).where(Ticket.number == number)).one()
    return ticket


def test_a_ticket_from_creation_to_payment_in_the_browser(live_server, page, world, backend,
                                                          tmp_path):
    supervisor, agent, agent_id = world.supervisor.email, world.agent.name, world.agent.id
    client_id = world.client.id
    db.session.commit()
    sign_in(page, live_server, supervisor)

    # create: client first, then the client's own contacts, contracts and projects
    page.click("#new-ticket-link")
    page.select_option("#client_id", str(client_id))
    page.click("#choose-client")
    page.select_option("select[name=contact_id]", label="Carla Cliente <carla@acme.example>")
    assert "Contrato ajeno" not in page.inner_text("select[name=contract_id]")
    page.select_option("select[name=contract_id]", label="Licencias")
    page.select_option("select[name=urgency]", "HIGH")
    page.fill("input[name=subject]", "Servidor de correo caído")
    page.fill("textarea[name=description]", "El servidor de correo no responde desde las 9.")
    (tmp_path / "registro.txt").write_text("error 421\n")
    page.set_input_files("input[name=files]", str(tmp_path / "registro.txt"))
    shot(page, f"new-ticket-{backend}")
    page.click("#save-ticket")
    page.wait_for_url(re.compile(r".*/operacion/ticket/TCK-\d+$"))
    number = page.url.rsplit("/", 1)[1]
    assert page.inner_text("#status") == "Nuevo"
    assert "registro.txt" in page.inner_text("body")

    # assign: the least-loaded agent is suggested; pick one
    assert "menos trabajo abierto" in page.inner_text("#action-assign select")
    page.select_option("#action-assign select", str(agent_id))
    page.click("#action-assign button")
    _saved(page)
    assert agent in page.inner_text("#ticket-fields")

    # quote: billed work waits for the customer
    page.fill("#action-quote input[name=price]", "250.50")
    page.fill("#action-quote input[name=estimated_hours]", "3")
    page.fill("#action-quote textarea[name=message]", "Cambio de la fuente del servidor")
    page.click("#action-quote button")
    _saved(page)
    assert page.inner_text("#status") == "Cotizado"
    assert page.query_selector("#action-time") is None

    # the customer approves from the link in the email, without an account
    customer = page.context.browser.new_context(locale="es-ES").new_page()
    customer.goto(live_server + _quote_link(_ticket(number).id))
    assert "250,50\xa0€" in customer.inner_text("body")  # in the customer's language
    shot(customer, f"customer-quote-{backend}")
    customer.click("#approve")
    customer.wait_for_load_state()
    assert "aprob" in customer.inner_text("body").lower()
    shot(customer, f"customer-decided-{backend}")
    customer.context.close()

    # start work, log time, resolve
    page.reload()
    assert page.inner_text("#status") == "Aprobado"
    _change_status(page, "IN_PROGRESS", "Empiezo por la fuente")
    assert page.inner_text("#status") == "En proceso"
    page.fill("#action-time input[name=hours]", "1")
    page.fill("#action-time input[name=minutes]", "30")
    page.fill("#action-time input[name=note]", "Cambio de fuente")
    page.click("#action-time button")
    _saved(page)
    assert "1 h 30 min" in page.inner_text("#time-logged")
    assert "3" in page.inner_text("#time-logged")  # against the quote's 3 hours
    _change_status(page, "RESOLVED", "Servidor funcionando")
    assert page.inner_text("#status") == "Resuelto"

    # close with the final note; the payment comes later
    page.fill("#action-close textarea[name=note]", "Fuente cambiada, servidor estable")
    page.click("#action-close button")
    _saved(page)
    assert page.inner_text("#status") == "Finalizado"
    assert page.query_selector("#action-status") is None  # read-only now
    page.select_option("#action-payment select[name=payment_status]", "PAID")
    page.click("#action-payment button")
    _saved(page)
    assert "Pagado" in page.inner_text("#ticket-fields")
    timeline = page.inner_text("#timeline")
    for line in ("Estado: Nuevo → Cotizado", "Estado: Aprobado → En proceso",
                 "Cliente carla@acme.example — Estado: Cotizado → Aprobado",
                 f"Asignado a: — → {agent}", "1 h 30 min Cambio de fuente",
                 "Estado: Resuelto → Finalizado", "Pago: Pendiente → Pagado"):
        assert line in timeline, line
    assert "status" not in timeline and "payment_status" not in timeline
    shot(page, f"ticket-closed-{backend}")

    # the list: closed tickets are hidden unless asked for; filters and search live in the URL
    page.goto(f"{live_server}/operacion/ticket")
    assert number not in page.inner_text("main")
    page.click(".more-filters summary")  # "Closed too" is among the folded filters
    page.check("input[name=archived]")
    page.select_option("select[name=status]", "CLOSED")
    page.keyboard.press("Escape")
    page.locator("h1").click()  # focus out of the fields: "/" jumps to the search box
    page.keyboard.press("/")
    page.keyboard.type("correo")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=correo**")
    assert "status=CLOSED" in page.url and "q=correo" in page.url and "archived=1" in page.url
    assert number in page.inner_text("main")
    shot(page, f"list-filtered-{backend}")
    page.fill("input[name=q]", "impresora")
    page.click("text=Filtrar")
    assert number not in page.inner_text("main")

    page.locator("h1").click()
    page.keyboard.press("n")  # "n": a new ticket
    page.wait_for_url("**/operacion/ticket/nuevo")

    # switch to English: every page follows
    open_user_menu(page)
    page.select_option("nav select[name=language]", "en")
    page.click("#set-language")
    page.wait_for_load_state()
    page.goto(f"{live_server}/operacion/ticket/{number}")
    assert page.inner_text("#status") == "Closed"
    assert "Status: Resolved → Closed" in page.inner_text("#timeline")
    open_user_menu(page)
    assert "Sign out" in page.inner_text("nav")
    shot(page, f"ticket-english-{backend}")

    ticket = _ticket(number)
    assert ticket.status is TicketStatus.CLOSED and ticket.payment_status is PaymentStatus.PAID
    assert ticket.total_minutes == 90 and ticket.assignee.name == agent
    db.session.commit()


def _overflows(page) -> bool:
    """True when the page is wider than the phone's screen (a phone would zoom out, or
    scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]


def test_the_list_and_the_ticket_page_fit_a_phone(live_server, browser, world, backend):
    for i in range(12):
        factories.new_ticket(world, description=f"Pedido número {i} con una descripción larga "
                                                "que no debería ensanchar la página del teléfono")
    number = factories.new_ticket(world).number
    email = world.supervisor.email
    db.session.commit()
    phone = browser.new_context(locale="es-ES", viewport=PHONE, is_mobile=True,
                                has_touch=True).new_page()
    sign_in(phone, live_server, email)
    assert not _overflows(phone)
    first = phone.query_selector("#tickets tbody tr")  # a card: its status is in sight
    badge = first.query_selector(".badge").bounding_box()
    assert badge["x"] + badge["width"] <= PHONE["width"]
    assert "Acme S.A." in first.inner_text()
    # the column headings are gone (only "select all" stays above the cards)
    assert not any(th.is_visible() for th in phone.query_selector_all("#tickets thead th:not(.pick)"))
    shot(phone, f"phone-list-{backend}")
    phone.goto(f"{live_server}/operacion/ticket/{number}")
    assert not _overflows(phone)
    assert phone.is_visible("#action-assign button")
    shot(phone, f"phone-ticket-{backend}")
    phone.goto(f"{live_server}/operacion/ticket/nuevo")
    assert not _overflows(phone)


def test_each_role_sees_only_the_buttons_it_may_press(live_server, page, world, backend):
    ticket = factories.new_ticket(world)
    factories.quote(world, ticket)
    number = ticket.number
    users = {role: getattr(world, role).email for role in ("viewer", "agent", "supervisor")}
    db.session.commit()
    expected = {  # a quoted ticket awaiting the customer: no status change, no time yet
        "viewer": set(),
        "agent": {"action-quote", "action-note", "action-reply", "action-close",
                  "action-portal_link"},
        "supervisor": {"action-assign", "action-quote", "action-approve", "action-note",
                       "action-reply", "action-close", "action-payment", "action-portal_link"},
    }
    for role, email in users.items():
        sign_in(page, live_server, email)
        page.goto(f"{live_server}/operacion/ticket/{number}")
        shown = {f.get_attribute("id") for f in page.query_selector_all("form.action")}
        assert shown == expected[role], role
        sign_out(page)
