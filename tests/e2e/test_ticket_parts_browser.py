"""A long conversation in the browser (issue 15): the ticket page shows its newest part; "Load
earlier messages" inserts the part before it in place, above what was shown (the page is not
left, what was typed stays), until the beginning; no serious accessibility violation."""
import datetime as dt

from app.extensions import db
from app.models import NoteKind
from app.models.ticket import Note
from app.services.ticket_view import PART_SIZE
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import shot, sign_in

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
KINDS = [NoteKind.CUSTOMER_EMAIL, NoteKind.PUBLIC_REPLY, NoteKind.INTERNAL]


def _messages(page) -> list[int]:
    """The numbers of the messages in the thread, in the page's order."""
    return [int(text.split()[-1]) for text in page.locator(
        "#timeline .msg-body").all_inner_texts() if text.startswith("Mensaje")]


def test_load_earlier_inserts_each_earlier_part_in_place(live_server, page, world):
    ticket = factories.new_ticket(world, description="La impresora no imprime")
    ticket.created_at = ticket.changes[0].created_at = START
    db.session.add_all([Note(ticket=ticket, kind=KINDS[n % 3], body_text=f"Mensaje {n:03d}",
                             author_user=world.agent, created_at=START + dt.timedelta(minutes=n))
                        for n in range(1, 121)])
    number, email = ticket.number, world.agent.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/operacion/ticket/{number}")
    address = page.url
    assert _messages(page) == list(range(121 - PART_SIZE, 121))
    assert "La impresora no imprime" in page.locator("#timeline > li").first.inner_text()
    page.fill("#reply-text", "Borrador sin enviar")
    check_accessibility(page, "long ticket page")

    link = page.locator("#load-earlier")
    assert link.inner_text() == f"Cargar mensajes anteriores ({120 - PART_SIZE + 1})"
    link.click()
    page.locator("#timeline .msg-body", has_text=f"Mensaje {121 - 2 * PART_SIZE:03d}").wait_for()
    assert _messages(page) == list(range(121 - 2 * PART_SIZE, 121))
    assert page.url == address  # in place: the page was not left
    assert page.input_value("#reply-text") == "Borrador sin enviar"
    assert page.locator("#load-earlier").count() == 1
    assert page.locator("#load-earlier").inner_text() == (
        f"Cargar mensajes anteriores ({120 - 2 * PART_SIZE + 1})")

    page.locator("#load-earlier").click()
    page.wait_for_selector("#load-earlier", state="detached")
    assert _messages(page) == list(range(1, 121))
    items = page.locator("#timeline > li").all_inner_texts()
    assert "La impresora no imprime" in items[0] and "Creó el ticket" in items[1]
    shot(page, "ticket-page-long-conversation")
