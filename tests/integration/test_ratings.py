"""The customer's rating from the closing email's link (issue 16): GET shows the form and changes
nothing, one POST records it, a second is refused; bad links and values; a low rating tells the
supervisors; the satisfaction report and the ticket page show it."""
import re
import time

from sqlalchemy import func, select

from app.extensions import db
from app.log_redaction import redact
from app.models import Language, Notification, OutboxMessage, TicketRating, TicketStatus
from app.services import assignment, ratings, status_changes
from tests import factories
from tests.factories import PASSWORD


def _closed(world, assignee=None, contact=None, client=None):
    """A ticket assigned to `assignee` (the agent by default), closed: its closing mail sent."""
    fields = {}
    if contact is not None:
        fields = {"contact_id": contact.id, "client_id": (client or contact.client).id}
    ticket = factories.new_ticket(world, **fields)
    assignment.assign(world.supervisor, ticket, (assignee or world.agent).id)
    status_changes.close_ticket(world.agent, ticket, "Cambiamos la fuente de alimentación")
    db.session.commit()
    return ticket


def _closing_mail(ticket) -> OutboxMessage:
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "closed", OutboxMessage.ticket_id == ticket.id)
        .order_by(OutboxMessage.id.desc())).first()


def _path(ticket) -> str:
    """The rating page's path, from the closing mail the requester got."""
    url = re.search(r"https?://\S+(/portal/valorar/[^\s\"<]+)", _closing_mail(ticket).body_text)
    assert url, _closing_mail(ticket).body_text
    return url.group(1)


def _ratings() -> int:
    return db.session.scalar(select(func.count(TicketRating.id)))


def _sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_the_closing_mail_asks_for_a_rating_in_the_requesters_language(world):
    spanish = _closed(world)
    english = _closed(world, contact=world.english_contact)
    assert "¿Qué tal le atendimos? Valore nuestra ayuda:" in _closing_mail(spanish).body_text
    assert "How did it go? Rate our help:" in _closing_mail(english).body_text
    html = _closing_mail(english).body_html
    assert 'href="http://127.0.0.1:5000/portal/valorar/' in html and "Rate our help</a>" in html


def test_opening_the_link_shows_the_form_and_changes_nothing(world, client):
    ticket = _closed(world)
    page = client.get(_path(ticket))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "¿Qué tal le atendimos?" in html and ticket.number in html
    assert html.count('type="radio" name="score"') == 5 and "<legend" in html
    assert 'name="comment"' in html
    db.session.expire_all()
    assert _ratings() == 0  # a mail scanner that opens the link rates nothing
    assert ticket.status is TicketStatus.CLOSED


def test_a_post_records_the_rating_once_and_a_second_is_refused(world, client):
    ticket = _closed(world, assignee=world.agent2)
    path = _path(ticket)
    done = client.post(path, data={"score": "4", "comment": "Rápidos y amables"})
    assert done.status_code == 200
    assert "Gracias por su valoración" in done.get_data(as_text=True)
    rating = db.session.scalars(select(TicketRating)).one()
    assert (rating.ticket_id, rating.score, rating.comment) == (ticket.id, 4, "Rápidos y amables")
    assert rating.agent_id == world.agent2.id and rating.contact_id == world.contact.id

    again = client.post(path, data={"score": "1", "comment": "Cambio de opinión"})
    assert again.status_code == 409
    assert "ya ha sido valorado" in again.get_data(as_text=True)
    db.session.expire_all()
    assert _ratings() == 1 and db.session.get(TicketRating, rating.id).score == 4

    reopened = client.get(path)  # opening the link again: already rated, with the rating
    html = reopened.get_data(as_text=True)
    assert reopened.status_code == 200 and "Este ticket ya está valorado" in html
    assert "4 de 5" in html and "Rápidos y amables" in html and 'name="score"' not in html


def test_a_tampered_link_rates_nothing(world, client):
    ticket = _closed(world)
    path = _path(ticket)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for response in (client.get(forged), client.post(forged, data={"score": "5"})):
        assert response.status_code == 404
        assert 'data-kind="tampered"' in response.get_data(as_text=True)
    other = ratings.make_token(ticket).split(".")  # another ticket's id under this signature
    assert client.get("/portal/valorar/" + ".".join(["eyJ0Ijo5OTk5LCJjIjoxfQ"] + other[1:])
                      ).status_code == 404
    assert _ratings() == 0


def test_an_expired_link_says_so_in_the_requesters_language(world, client, app, monkeypatch):
    ticket = _closed(world, contact=world.english_contact)
    days = app.config["SOPORTE_RATING_LINK_DAYS"]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - (days + 1) * 86400)
    token = ratings.make_token(ticket)
    monkeypatch.setattr(time, "time", real)
    for response in (client.get(f"/portal/valorar/{token}"),
                     client.post(f"/portal/valorar/{token}", data={"score": "5"})):
        html = response.get_data(as_text=True)
        assert response.status_code == 410 and 'data-kind="expired"' in html
        assert f"ratings are taken for {days} days" in html
    assert _ratings() == 0


def test_a_score_out_of_range_or_a_bad_comment_is_refused_with_the_form_again(world, client):
    path = _path(_closed(world))
    for data in ({"score": "6"}, {"score": "0"}, {"score": "cuatro"}, {}):
        response = client.post(path, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, data
        assert "Elija una puntuación del 1 al 5." in html and 'name="score"' in html
    response = client.post(path, data={"score": "3", "comment": "hola\x00"})
    assert response.status_code == 422 and "caracteres de control" in response.get_data(
        as_text=True)
    response = client.post(path, data={"score": "3", "comment": "x" * 2001})
    assert response.status_code == 422
    assert _ratings() == 0


def test_a_reopened_ticket_is_rated_once_it_is_closed_again(world, client):
    ticket = _closed(world)
    path = _path(ticket)
    status_changes.reopen_ticket(world.supervisor, ticket, "El cliente volvió a escribir")
    db.session.commit()
    for response in (client.get(path), client.post(path, data={"score": "5"})):
        assert response.status_code == 409
        assert "reabierto" in response.get_data(as_text=True)
    assert _ratings() == 0


def test_a_rated_ticket_closed_again_sends_no_second_link(world, client):
    ticket = _closed(world)
    client.post(_path(ticket), data={"score": "5"})
    status_changes.reopen_ticket(world.supervisor, ticket, "Otra consulta")
    status_changes.close_ticket(world.agent, ticket, "Resuelto de nuevo")
    db.session.commit()
    assert "/portal/valorar/" not in _closing_mail(ticket).body_text


def test_a_low_rating_tells_every_active_supervisor_by_email_and_dashboard(world, client):
    english = factories.make_user(world.supervisor.role, "boss@soporte.example", "Boss",
                                  language=Language.EN)
    db.session.commit()
    ticket = _closed(world)
    client.post(_path(ticket), data={"score": "2", "comment": "Tardaron mucho"})
    notes = {n.user_id: n.message for n in db.session.scalars(
        select(Notification).where(Notification.kind == ratings.LOW_RATING))}
    assert notes == {
        world.supervisor.id: f"El ticket {ticket.number} de Acme S.A. recibió una valoración de "
                             f"2 sobre 5: Servidor caído",
        english.id: f"Ticket {ticket.number} of Acme S.A. was rated 2 of 5: Servidor caído"}
    mails = {m.to_address: m for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "rating_low"))}
    assert set(mails) == {"super@soporte.example", "boss@soporte.example"}
    assert "Tardaron mucho" in mails["boss@soporte.example"].body_text
    assert "rated our help 2 of 5" in mails["boss@soporte.example"].body_text
    assert "valoró nuestra ayuda con un 2 sobre 5" in mails["super@soporte.example"].body_text
    assert world.inactive.email not in mails  # (an agent, and inactive: never told)


def test_a_fair_rating_tells_nobody(world, client):
    client.post(_path(_closed(world)), data={"score": "3"})
    assert _ratings() == 1
    assert not db.session.scalars(select(Notification).where(
        Notification.kind == ratings.LOW_RATING)).all()
    assert not db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "rating_low")).all()


def test_the_post_needs_the_pages_csrf_token(world, client, app):
    path = _path(_closed(world))
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(path, data={"score": "5"})
    assert refused.status_code == 400
    assert _ratings() == 0
    page = refused.get_data(as_text=True)  # the customer's page, with the company's look
    assert 'id="link-problem"' in page and 'data-kind="form_expired"' in page
    assert "El formulario caducó" in page and "brand-band" in page
    english = client.post(_path(_closed(world, contact=world.english_contact)),
                          data={"score": "5"})  # in the language of the link's customer
    assert english.status_code == 400 and "The form expired" in english.get_data(as_text=True)


def test_the_report_gives_each_agents_and_each_clients_average(world, client):
    for assignee, contact, score in ((world.agent, world.contact, 5),
                                     (world.agent, world.contact, 2),
                                     (world.agent2, world.contact, 4),
                                     (world.agent2, world.other_contact, 1)):
        client.post(_path(_closed(world, assignee=assignee, contact=contact)),
                    data={"score": str(score), "comment": f"nota {score}"})
    assert _ratings() == 4
    _sign_in(client, world.supervisor)
    page = client.get("/informes/satisfaccion").get_data(as_text=True)
    rows = lambda key: re.findall(  # noqa: E731
        r"<tr><td>([^<]+)</td><td class=\"text-end\">(\d+)</td><td class=\"text-end\">([^<]+)"
        r"</td></tr>", page.split(f'id="satisfaction-{key}"')[1].split("</section>")[0])
    assert rows("per-agent") == [("Agente Dos", "2", "2,50"), ("Agente Uno", "2", "3,50")]
    assert rows("per-client") == [("Acme S.A.", "3", "3,67"), ("Otra Empresa", "1", "1,00")]
    low = page.split('id="satisfaction-low"')[1]
    assert "nota 2" in low and "nota 1" in low and "nota 4" not in low
    assert "4 valoraciones, media 3,00" in page
    agent_only = client.get(f"/informes/satisfaccion?agent={world.agent2.id}").get_data(
        as_text=True)
    assert "2 valoraciones, media 2,50" in agent_only


def test_the_report_is_the_supervisors(world, client):
    _sign_in(client, world.agent)
    assert client.get("/informes/satisfaccion").status_code == 403


def test_the_ticket_page_shows_the_rating(world, client):
    ticket = _closed(world)
    client.post(_path(ticket), data={"score": "4", "comment": "Todo bien"})
    _sign_in(client, world.agent)
    html = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    section = html.split('id="ticket-rating"')[1].split("</section>")[0]
    assert "Valoración del cliente" in section and "4 de 5" in section
    assert "Todo bien" in section and "Agente Uno" in section


def test_the_link_token_is_kept_out_of_the_logs(world):
    path = _path(_closed(world))
    assert redact(f"GET {path} HTTP/1.1") == "GET /portal/valorar/[redacted] HTTP/1.1"


def test_refused_posts_are_throttled_per_address(world, client, app):
    from app.extensions import limiter

    limiter.reset()  # the counts of earlier tests in this process
    app.config["SOPORTE_RATING_POST_LIMIT"] = "2 per hour"
    path = _path(_closed(world))
    assert [client.post(path, data={"score": "9"}).status_code for _ in range(2)] == [422, 422]
    throttled = client.post(path, data={"score": "4"})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    assert "Demasiados intentos" in throttled.get_data(as_text=True)
    assert _ratings() == 0
    limiter.reset()
    assert client.post(path, data={"score": "4"}).status_code == 200
