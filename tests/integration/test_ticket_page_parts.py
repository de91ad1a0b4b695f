"""A long conversation on the ticket page (issue 15): the newest part first with a link that
counts and loads the earlier ones (a plain link without JavaScript; htmx inserts the same part in
place), the description or opening email always on top, the files of the shown notes only, a
bad cursor answered with a message, and the reply guard still right when the newest customer
message is in an earlier part."""
import datetime as dt
import html
import io
import re

import pytest

from app.extensions import db
from app.models import NoteKind
from app.models.ticket import Note
from app.services import notes
from app.services.notes import Upload
from app.services.ticket_view import PART_SIZE, ticket_page_view, ticket_view, timeline_part
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
KINDS = [NoteKind.CUSTOMER_EMAIL, NoteKind.PUBLIC_REPLY, NoteKind.INTERNAL]


def _login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def _long_ticket(world, count=120, kinds=KINDS):
    """A web ticket created at START, then `count` notes a minute apart ("Mensaje 001" …), the
    kinds taken in turn."""
    ticket = factories.new_ticket(world, description="La impresora no imprime")
    ticket.created_at = ticket.changes[0].created_at = START
    db.session.add_all([Note(ticket=ticket, kind=kinds[n % len(kinds)],
                             body_text=f"Mensaje {n:03d}",
                             author_contact=world.contact if kinds[n % len(kinds)]
                             is NoteKind.CUSTOMER_EMAIL else None,
                             author_user=None if kinds[n % len(kinds)]
                             is NoteKind.CUSTOMER_EMAIL else world.agent,
                             created_at=START + dt.timedelta(minutes=n))
                        for n in range(1, count + 1)])
    db.session.commit()
    return ticket


def _shown(page: str) -> list[int]:
    """The numbers of the messages the page shows, in its order."""
    return [int(n) for n in re.findall(r"Mensaje (\d{3})", page)]


def _earlier_link(page: str) -> tuple[str, str, str]:
    """The "load earlier" link: its count, its href (no JavaScript) and its hx-get (htmx)."""
    link = re.search(r'<a href="([^"]+)"[^>]*id="load-earlier"\s+hx-get="([^"]+)"[^>]*>'
                     r'Cargar mensajes anteriores \((\d+)\)</a>', page)
    assert link, "no link to the earlier messages"
    return link.group(3), html.unescape(link.group(1)), html.unescape(link.group(2))


def test_a_long_conversation_shows_its_newest_part_and_counts_the_earlier_ones(world, client):
    ticket = _long_ticket(world)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert _shown(page) == list(range(121 - PART_SIZE, 121))  # the newest, oldest first
    count, _, _ = _earlier_link(page)
    assert count == str(120 - PART_SIZE + 1)  # the earlier notes and the "created" line
    assert "La impresora no imprime" in page  # the description stays on top
    assert page.index("La impresora no imprime") < page.index('id="load-earlier"') < page.index(
        f"Mensaje {121 - PART_SIZE:03d}")
    assert 'id="show-latest"' not in page  # this is the latest part


def test_a_short_conversation_shows_everything_and_no_link(world, client):
    ticket = _long_ticket(world, count=PART_SIZE - 1)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert _shown(page) == list(range(1, PART_SIZE))
    assert "load-earlier" not in page and "Cargar mensajes anteriores" not in page


def test_following_the_link_without_javascript_shows_each_earlier_part(world, client):
    ticket = _long_ticket(world)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    _, href, _ = _earlier_link(page)
    assert href.startswith(f"/operacion/ticket/{ticket.number}?before=")
    page = client.get(href).get_data(as_text=True)
    assert _shown(page) == list(range(121 - 2 * PART_SIZE, 121 - PART_SIZE))
    count, href, _ = _earlier_link(page)
    assert count == str(120 - 2 * PART_SIZE + 1)
    assert 'id="show-latest"' in page and 'id="action-reply"' in page  # the forms stay
    page = client.get(href).get_data(as_text=True)
    assert _shown(page) == list(range(1, 121 - 2 * PART_SIZE))
    assert "Creó el ticket" in page and "load-earlier" not in page  # the beginning


def test_the_link_for_htmx_answers_only_the_earlier_entries(world, client):
    ticket = _long_ticket(world)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    _, _, fragment_url = _earlier_link(page)
    part = client.get(fragment_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and 'id="action-reply"' not in part
    assert part.lstrip().startswith('<li class="thread-item thread-earlier"')
    assert _shown(part) == list(range(121 - 2 * PART_SIZE, 121 - PART_SIZE))
    assert _earlier_link(part)[0] == str(120 - 2 * PART_SIZE + 1)


def test_walking_every_part_gives_the_whole_timeline_once_in_order(world, app):
    ticket = _long_ticket(world, count=130)
    # at one same moment (Mensaje 040's): two notes and the "created" line, which follows them
    moment = START + dt.timedelta(minutes=40)
    notes.add_internal_note(world.agent, ticket, "Mensaje 900").created_at = moment
    ticket.changes[0].created_at = moment
    db.session.commit()
    whole = [(e.kind, e.cursor.id) for e in ticket_view(world.agent, ticket.number).timeline]
    view = ticket_page_view(world.agent, ticket.number)
    parts = [view.timeline]
    while view.earlier:
        view = timeline_part(world.agent, ticket.number, view.earlier_cursor)
        parts.insert(0, view.timeline)
    assert [(e.kind, e.cursor.id) for part in parts for e in part] == whole
    assert all(len(part) == PART_SIZE for part in parts[1:])


def test_only_the_shown_notes_files_are_on_the_page(world, client):
    ticket = _long_ticket(world)
    old = notes.add_internal_note(world.agent, ticket, "Con adjunto antiguo", [
        Upload("antiguo.png", io.BytesIO(corpus.PNG), "image/png")])
    old.created_at = START + dt.timedelta(minutes=10, seconds=30)
    new = notes.add_internal_note(world.agent, ticket, "Con adjunto nuevo", [
        Upload("nuevo.png", io.BytesIO(corpus.PNG), "image/png")])
    new.created_at = START + dt.timedelta(minutes=119, seconds=30)
    db.session.commit()
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "nuevo.png" in page and "antiguo.png" not in page
    while "antiguo.png" not in page and "load-earlier" in page:
        page = client.get(_earlier_link(page)[1]).get_data(as_text=True)
    assert "antiguo.png" in page and "Con adjunto antiguo" in page and "nuevo.png" not in page


def test_the_email_a_ticket_was_opened_from_stays_on_top_and_is_shown_once(world, client):
    from sqlalchemy import select

    from mail_ingest.ingest import ingest
    from app.models import Ticket

    ingest("test", 0, "1", corpus.gmail_reply())
    ticket = db.session.scalars(select(Ticket)).one()
    first = ticket.notes[0].created_at
    db.session.add_all([Note(ticket=ticket, kind=NoteKind.INTERNAL, body_text=f"Mensaje {n:03d}",
                             author_user=world.agent,
                             created_at=first + dt.timedelta(minutes=n))
                        for n in range(1, 121)])
    db.session.commit()
    _login(client, world.agent)
    seen = 0
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    while True:
        timeline = page.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
        assert timeline.index("msg-CUSTOMER_EMAIL") < timeline.index("Mensaje")  # on top
        assert timeline.count("Sigue sin funcionar.") == 1
        seen += 1
        if "load-earlier" not in page:
            break
        page = client.get(_earlier_link(page)[1]).get_data(as_text=True)
    assert seen == 3 and "msg-DESCRIPTION" not in page


@pytest.mark.parametrize("before", ["x", "note-1", "note-a-1", "bogus-1-1", "note-1-1-1",
                                    "note-1-999999999999999999999", "note--1-"])
def test_a_bad_cursor_is_refused_with_a_message_not_a_server_error(world, client, before):
    ticket = _long_ticket(world, count=3)
    _login(client, world.agent)
    for url in (f"/operacion/ticket/{ticket.number}?before={before}",
                f"/operacion/ticket/{ticket.number}/anteriores?before={before}"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert "Este enlace a mensajes anteriores no es válido" in html.unescape(
            response.get_data(as_text=True))
    assert client.get(f"/operacion/ticket/{ticket.number}/anteriores").status_code == 422


def _seen_through(page: str) -> str:
    return re.search(r'name="seen_through" value="(\d+)"', page).group(1)


def test_the_reply_guard_knows_a_customer_message_in_an_earlier_part(world, client):
    from app.services import customer_mail
    from app.services.customer_mail import CustomerEmail

    # the customer wrote first, then 60 internal notes: the newest part shows no customer email
    ticket = _long_ticket(world, count=2, kinds=[NoteKind.CUSTOMER_EMAIL])
    db.session.add_all([Note(ticket=ticket, kind=NoteKind.INTERNAL, body_text=f"Mensaje {n:03d}",
                             author_user=world.agent, created_at=START + dt.timedelta(hours=n))
                        for n in range(3, PART_SIZE + 13)])
    db.session.commit()
    newest_customer = max(note.id for note in ticket.notes if note.kind is NoteKind.CUSTOMER_EMAIL)
    _login(client, world.agent)
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "msg-CUSTOMER_EMAIL" not in page.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    assert _seen_through(page) == str(newest_customer)
    customer_mail.receive(world.contact, CustomerEmail(
        subject=f"Re: [{ticket.number}] {ticket.subject}", text="¿Hay novedades?", html=None,
        uploads=[]), ticket)
    db.session.commit()
    response = client.post(f"/operacion/ticket/{ticket.number}/reply",
                           data={"text": "Seguimos.", "seen_through": _seen_through(page)},
                           content_type="multipart/form-data")
    assert response.status_code == 409  # the new message was not on the page
    page = response.get_data(as_text=True)
    assert "¿Hay novedades?" in html.unescape(page)
    response = client.post(f"/operacion/ticket/{ticket.number}/reply",
                           data={"text": "Seguimos.", "seen_through": _seen_through(page)},
                           content_type="multipart/form-data")
    assert response.status_code == 303
