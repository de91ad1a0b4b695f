"""The dashboard through Flask's test client: sign-in, the list and its filters, the ticket page,
attachments, headers. (Browser tests with Playwright are still to come: see the README.)"""
import io
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Language, TicketStatus, Urgency
from app.services import notes
from app.services.notes import Upload
from tests import factories
from tests.factories import PASSWORD


def _login(client, user, password=PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


@pytest.fixture
def staff(world, client):
    """The world, signed in as the agent."""
    assert _login(client, world.agent).status_code == 302
    return world


def test_pages_need_a_signed_in_user(world, client):
    response = client.get("/operacion/ticket")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_passwords_throttle_that_address_not_the_account(world, client, app):
    for _ in range(5):
        assert _login(client, world.agent, "mala clave").status_code == 401
    # this address waits now, even with the right password; the account is not locked
    refused = _login(client, world.agent)
    assert refused.status_code == 429 and "Vuelva a intentarlo" in refused.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert _login(elsewhere, world.agent).status_code == 302


def test_unknown_user_gets_the_same_answer(world, client):
    answer = _login(client, type("U", (), {"email": "nadie@soporte.example"})())
    assert answer.status_code == 401


def test_sign_in_needs_the_forms_csrf_token(world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    assert browser.post("/login", data={"email": world.agent.email,
                                        "password": PASSWORD}).status_code == 400
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = browser.post("/login", data={"email": world.agent.email, "password": PASSWORD,
                                      "csrf_token": token})
    assert ok.status_code == 302


def test_sign_out_ends_the_session(staff, client):
    assert client.get("/operacion/ticket").status_code == 200
    client.post("/logout")
    assert client.get("/operacion/ticket").status_code == 302


def test_cookies_and_security_headers(staff, client):
    response = client.get("/operacion/ticket")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    login = client.post("/login", data={})
    cookie = "\n".join(login.headers.getlist("Set-Cookie"))
    assert cookie == "" or ("HttpOnly" in cookie and "SameSite=Lax" in cookie)


def _numbers(html: str) -> list[str]:
    return re.findall(r">(TCK-\d{6})</a>", html)


def test_the_list_shows_the_seed_columns_and_hides_closed(staff, client):
    open_ticket = factories.ticket_in(staff, TicketStatus.IN_PROGRESS)
    closed = factories.ticket_in(staff, TicketStatus.CLOSED)
    html = client.get("/operacion/ticket").get_data(as_text=True)
    for column in ("Número", "Cliente", "Descripción", "Fecha", "Estado", "Urgencia",
                   "Asignado a", "Contrato"):
        assert column in html
    assert _numbers(html) == [open_ticket.number]
    archived = client.get("/operacion/ticket?archived=1").get_data(as_text=True)
    assert set(_numbers(archived)) == {open_ticket.number, closed.number}


def test_filters_live_in_the_url(staff, client):
    acme = factories.new_ticket(staff, urgency=Urgency.HIGH, type_id=staff.ticket_type.id)
    other = factories.new_ticket(staff, client_id=staff.other_client.id,
                                 contact_id=staff.other_contact.id,
                                 contract_id=staff.other_contract.id)
    from app.services import assignment

    assignment.assign(staff.supervisor, other, staff.agent.id)
    db.session.commit()
    get = lambda query: _numbers(client.get(f"/operacion/ticket?{query}").get_data(as_text=True))  # noqa: E731
    assert get(f"client={staff.other_client.id}") == [other.number]
    assert get("urgency=HIGH") == [acme.number]
    assert get(f"type={staff.ticket_type.id}") == [acme.number]
    assert get(f"assignee={staff.agent.id}") == [other.number]
    assert get("mine=1") == [other.number]
    assert get(f"contract={staff.other_contract.id}") == [other.number]
    assert get("status=NEW") == [other.number, acme.number]
    assert get("from=2000-01-01&to=2000-12-31") == []
    assert get("urgency=NOPE&client=abc") == [other.number, acme.number]  # bad values ignored
    assert get("sort=number") == [acme.number, other.number]


def test_search_by_number_client_description_and_notes(staff, client):
    printer = factories.new_ticket(staff, description="La impresora atasca papel")
    other = factories.new_ticket(staff, client_id=staff.other_client.id,
                                 contact_id=staff.other_contact.id, description="Red lenta")
    notes.add_internal_note(staff.agent, other, "Revisar el switch del tercer piso")
    db.session.commit()
    search = lambda q: _numbers(client.get("/operacion/ticket", query_string={"q": q})  # noqa: E731
                                .get_data(as_text=True))
    assert search("IMPRESORA") == [printer.number]
    assert search("tercer piso") == [other.number]
    assert search("otra empresa") == [other.number]
    assert search(printer.number) == [printer.number]


def test_pagination_and_counts(staff, client):
    for _ in range(27):
        factories.new_ticket(staff)
    first = client.get("/operacion/ticket").get_data(as_text=True)
    assert len(_numbers(first)) == 25 and "Nuevo: 27" in first
    second = client.get("/operacion/ticket?page=2").get_data(as_text=True)
    assert len(_numbers(second)) == 2


def test_the_ticket_page_shows_fields_timeline_and_safe_html(staff, client, app):
    from mail_ingest.ingest import ingest
    from tests import mail_corpus as corpus

    ingest("test", 0, "1", corpus.outlook_inline_image())
    ticket = factories.ticket_in(staff, TicketStatus.IN_PROGRESS)
    db.session.commit()
    from app.models import Ticket

    email_ticket = db.session.scalars(select(Ticket).where(Ticket.source == "EMAIL")).one()
    html = client.get(f"/operacion/ticket/{email_ticket.number}").get_data(as_text=True)
    assert "Ver captura" in html and "<script>" not in html and "alert(1)" not in html
    image = re.search(r'<img [^>]*src="(/operacion/adjunto/\d+\?inline=1)"', html).group(1)
    shown = client.get(image)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "En proceso" in page and "100,00\xa0US$" in page and "Paso a IN_PROGRESS" in page


def test_a_gmail_reply_shows_its_quoted_history_folded(staff, client):
    from mail_ingest.ingest import ingest
    from tests import mail_corpus as corpus

    ingest("test", 0, "1", corpus.gmail_reply())
    from app.models import Ticket

    ticket = db.session.scalars(select(Ticket)).one()
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1]
    shown, folded = timeline.split("<summary>Historial citado</summary>", 1)
    assert "Sigue sin funcionar." in shown and "¿Probó reiniciar?" not in shown
    assert "¿Probó reiniciar?" in folded.split("</details>", 1)[0]


def test_attachments_download_as_files_with_nosniff(staff, client):
    ticket = factories.new_ticket(staff)
    notes.add_internal_note(staff.agent, ticket, "adjunto html",
                            [Upload("pagina.html", io.BytesIO(b"<script>alert(1)</script>"),
                                    "text/html")])
    db.session.commit()
    attachment = ticket.attachments[0]
    response = client.get(f"/operacion/adjunto/{attachment.id}?inline=1")
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/logout")
    assert client.get(f"/operacion/adjunto/{attachment.id}").status_code == 302


def test_each_user_sees_their_language(world, client):
    world.agent.language = Language.EN
    db.session.commit()
    _login(client, world.agent)
    html = client.get("/operacion/ticket").get_data(as_text=True)
    assert "Support tickets" in html and "Tickets de soporte" not in html


def test_viewers_may_look(world, client):
    factories.new_ticket(world)
    _login(client, world.viewer)
    assert client.get("/operacion/ticket").status_code == 200


def test_full_text_search_finds_words_in_tickets_and_notes(staff, client, backend):
    screen = factories.new_ticket(staff, description="La pantalla del portátil parpadea")
    other = factories.new_ticket(staff, description="Instalar antivirus")
    notes.add_internal_note(staff.agent, other, "Configuramos las impresoras de la oficina")
    db.session.commit()
    search = lambda q: _numbers(client.get("/operacion/ticket", query_string={"q": q})  # noqa: E731
                                .get_data(as_text=True))
    assert search("portatil parpadea") == [screen.number]  # accents do not matter
    assert search("impresoras") == [other.number]
    assert search('"; DROP TABLE ticket; --') == []  # quotes and operators are just text
    if backend == "postgresql":  # Spanish stemming: singular finds plural
        assert search("impresora") == [other.number]


def test_an_unknown_ticket_or_file_is_a_404_page_that_says_what_to_do(staff, client):
    missing = client.get("/operacion/ticket/TCK-999999")
    assert missing.status_code == 404
    assert "no hay ningún ticket TCK-999999" in missing.get_data(as_text=True)
    file = client.get("/operacion/adjunto/999999")
    assert file.status_code == 404 and "Este archivo no existe" in file.get_data(as_text=True)


def test_a_deactivated_users_open_tickets_are_marked_and_found_by_the_filter(staff, client):
    from app.services import assignment

    kept = factories.new_ticket(staff)
    left = factories.new_ticket(staff)
    unassigned = factories.new_ticket(staff)
    assignment.assign(staff.supervisor, kept, staff.agent.id)
    assignment.assign(staff.supervisor, left, staff.agent2.id)
    staff.agent2.active = False
    db.session.commit()
    page = client.get("/operacion/ticket").get_data(as_text=True)
    assert 'name="needs_assignee"' in page  # the filters offer it
    rows = {number: row for row in page.split('<tr class="ticket-row')[1:]
            for number in _numbers(row)}
    assert "necesita nuevo asignado" in rows[left.number]
    assert "necesita nuevo asignado" not in rows[kept.number] + rows[unassigned.number]
    # the filter lists both kinds, and each row's marker says which it is
    assert "Sin asignar o necesita nuevo asignado" in page
    assert "sin asignar" in rows[unassigned.number] and "sin asignar" not in rows[kept.number]
    # right after the deactivation, the "assigned to" filter still offers them, marked
    assert f'<option value="{staff.agent2.id}" >{staff.agent2.name} (inactivo)</option>' in page
    by_assignee = client.get(f"/operacion/ticket?assignee={staff.agent2.id}").get_data(
        as_text=True)
    assert set(_numbers(by_assignee)) == {left.number}
    needing = client.get("/operacion/ticket?needs_assignee=1").get_data(as_text=True)
    assert set(_numbers(needing)) == {left.number, unassigned.number}
    shown = client.get(f"/operacion/ticket/{left.number}").get_data(as_text=True)
    assert 'id="needs-new-assignee"' in shown and "necesita nuevo asignado" in shown
    assert 'id="needs-new-assignee"' not in client.get(
        f"/operacion/ticket/{kept.number}").get_data(as_text=True)


@pytest.mark.parametrize("zone, found_on", [("Europe/Madrid", "2026-10-25"),
                                            ("UTC", "2026-10-24")])
def test_the_lists_dates_are_days_in_the_readers_zone(staff, client, zone, found_on):
    import datetime as dt

    ticket = factories.new_ticket(staff)
    ticket.created_at = dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.timezone.utc)
    staff.agent.time_zone = zone
    db.session.commit()
    on = lambda day: _numbers(client.get(f"/operacion/ticket?from={day}&to={day}")  # noqa: E731
                              .get_data(as_text=True))
    assert on(found_on) == [ticket.number]
    assert on("2026-10-24" if found_on == "2026-10-25" else "2026-10-25") == []


def test_a_number_search_finds_the_ticket_closed_or_open_and_keeps_the_other_filters(staff,
                                                                                    client):
    for _ in range(6):
        factories.new_ticket(staff, description="Otro asunto")
    closed = factories.ticket_in(staff, TicketStatus.CLOSED)  # the seventh
    search = lambda **q: _numbers(client.get("/operacion/ticket", query_string=q)  # noqa: E731
                                  .get_data(as_text=True))
    for query in ("TCK-000007", "000007", "7", "tck-7"):
        assert search(q=query) == [closed.number], query
    assert search(q="6") == ["TCK-000006"]  # an open one, too
    assert search(q="7", client=staff.other_client.id) == []
    assert search(q="7", status="NEW") == []
    assert search(q="Otro asunto") and closed.number not in search(q="Servidor")


def test_the_next_page_shows_the_same_filter_with_every_status(staff, client, monkeypatch):
    from app.services import ticket_list

    monkeypatch.setattr(ticket_list, "PER_PAGE", 1)
    for _ in range(2):
        factories.new_ticket(staff)
    factories.ticket_in(staff, TicketStatus.IN_PROGRESS, free=True)
    factories.ticket_in(staff, TicketStatus.CLOSED, free=True)  # in neither status
    first = client.get("/operacion/ticket?status=IN_PROGRESS&status=NEW&sort=number")
    html = first.get_data(as_text=True)
    assert "página 1 de 3" in html
    next_link = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert next_link == "/operacion/ticket?status=NEW&status=IN_PROGRESS&sort=number&page=2"
    second = client.get(next_link).get_data(as_text=True)
    assert "página 2 de 3" in second
    previous = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert previous == "/operacion/ticket?status=NEW&status=IN_PROGRESS&sort=number&page=1"
