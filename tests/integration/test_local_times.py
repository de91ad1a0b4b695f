"""Pages show local times: the reader's zone (their own, else the company's Europe/Madrid) and
language, across the daylight-saving change of 25 October 2026 (03:00 CEST becomes 02:00 CET);
the customer's pages and mail keep the company's zone; each user chooses their own zone."""
import datetime as dt
import re

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import select

from app.extensions import db
from app.mail.compose import render_mail
from app.models import InboundMessage, InboundOutcome, Language, TicketStatus, User
from app.services import notes, notifications, preferences
from app.services.errors import NotPermitted, ValidationFailed
from app.services.outbox import enqueue_mail
from app.services.quote_links import make_token
from app.web.local_time import local_datetime
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.browsers import browser
from tests.factories import PASSWORD

UTC = dt.timezone.utc
CEST = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 in Madrid, summer time
CET = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)   # an hour later: 02:30 again, winter time
LATER = dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)  # 03:30 in Madrid


@pytest.fixture
def fixed(app):
    """The clock stopped on the day of the change, in the afternoon."""
    app.config["SOPORTE_FIXED_NOW"] = dt.datetime(2026, 10, 25, 15, 0, tzinfo=UTC)
    return app


def _signed_in(app, user):
    reader = browser(app)
    assert reader.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return reader


def _ticket_with_notes(world):
    """A ticket created before the change, with an internal note at each of the three moments."""
    ticket = factories.new_ticket(world)
    ticket.created_at = CEST
    for moment, text in ((CEST, "nota de verano"), (CET, "nota de invierno"), (LATER, "nota tardía")):
        notes.add_internal_note(world.agent, ticket, text).created_at = moment
    db.session.commit()
    return ticket


def _page(reader, path: str) -> str:
    response = reader.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_ticket_page_shows_the_companys_time_either_side_of_the_change(fixed, world):
    ticket = _ticket_with_notes(world)
    page = _page(_signed_in(fixed, world.agent), f"/operacion/ticket/{ticket.number}")
    assert page.count("25 oct 2026, 2:30") == 3  # created and the summer note; the winter note
    assert page.count("25 oct 2026, 3:30") == 1
    assert "2026-10-25 00:30" not in page and "0:30" not in page  # no UTC on the page
    assert "Horas en Europe/Madrid" in page


def test_a_user_in_another_zone_reads_their_own_time(fixed, world):
    ticket = _ticket_with_notes(world)
    world.agent2.time_zone = "America/Bogota"
    db.session.commit()
    page = _page(_signed_in(fixed, world.agent2), f"/operacion/ticket/{ticket.number}")
    assert page.count("24 oct 2026, 19:30") == 2  # created, summer note
    assert "24 oct 2026, 20:30" in page and "24 oct 2026, 21:30" in page
    # no Madrid time; the history's lines are dated by the fixed clock: 15:00 UTC, 10:00 here
    assert "25 oct 2026, 2:30" not in page and "25 oct 2026, 3:30" not in page
    assert "25 oct 2026, 10:00" in page and "Horas en America/Bogota" in page
    # the colleague next to them still reads Madrid's time
    assert "25 oct 2026, 3:30" in _page(_signed_in(fixed, world.agent),
                                        f"/operacion/ticket/{ticket.number}")


def test_english_readers_get_english_formats(fixed, world):
    ticket = _ticket_with_notes(world)
    world.agent.language = Language.EN
    world.agent2.language = Language.EN
    world.agent2.time_zone = "America/Bogota"
    db.session.commit()
    page = _page(_signed_in(fixed, world.agent), f"/operacion/ticket/{ticket.number}")
    assert page.count("Oct 25, 2026, 2:30\u202fAM") == 3 and "Oct 25, 2026, 3:30\u202fAM" in page
    assert "Times in Europe/Madrid" in page
    far = _page(_signed_in(fixed, world.agent2), f"/operacion/ticket/{ticket.number}")
    assert "Oct 24, 2026, 8:30\u202fPM" in far and "Times in America/Bogota" in far


def test_the_list_and_the_notifications_show_local_times(fixed, world):
    ticket = _ticket_with_notes(world)
    notifications.notify(world.agent, "assigned", "Le asignaron un ticket", ticket).created_at = CET
    db.session.commit()
    reader = _signed_in(fixed, world.agent)
    listing = _page(reader, "/operacion/ticket")
    assert ticket.number in listing and "25 oct 2026, 2:30" in listing
    assert "25 oct 2026, 2:30" in _page(reader, "/notificaciones")


def test_the_list_shows_each_tickets_age_by_the_one_clock_in_the_readers_language(fixed, world):
    ticket = _ticket_with_notes(world)  # created at CEST: 14 h 30 min before the fixed now
    older = factories.new_ticket(world)
    older.created_at = CEST - dt.timedelta(days=3)
    db.session.commit()
    listing = _page(_signed_in(fixed, world.agent), "/operacion/ticket")
    ages = dict(re.findall(r'ticket-link" href="[^"]+">(TCK-\d+)</a>.*?<time [^>]*>([^<]+)</time>',
                           listing, re.S))
    assert ages == {ticket.number: "14 h", older.number: "4 d"}
    world.agent.language = Language.EN
    db.session.commit()
    listing = _page(_signed_in(fixed, world.agent), "/operacion/ticket")
    assert "14 hr" in listing and "4 days" in listing


def test_triage_and_quarantine_show_when_mail_arrived_in_local_time(fixed, world):
    ingest("test", 0, "1", corpus.simple(sender="alguien@gmail.example", subject="Ayuda"))
    fixed.config["SOPORTE_INGEST_RATE_LIMIT"] = 0  # the next one is held
    ingest("test", 0, "2", corpus.simple(subject="retenido"))
    received = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert received[1].outcome is InboundOutcome.QUARANTINED
    received[0].received_at, received[1].received_at = CET, LATER
    db.session.commit()
    reader = _signed_in(fixed, world.agent)
    assert "25 oct 2026, 2:30" in _page(reader, "/operacion/correo/triage")
    assert "25 oct 2026, 3:30" in _page(reader, "/operacion/correo/cuarentena")


def test_undelivered_mail_shows_when_it_was_queued_and_its_next_attempt(fixed, world):
    ticket = factories.new_ticket(world)
    mail = enqueue_mail("acknowledgement", to_address="carla@acme.example", ticket=ticket)
    mail.attempts, mail.created_at, mail.next_attempt_at = 2, CEST, LATER
    db.session.commit()
    page = _page(_signed_in(fixed, world.agent), "/operacion/correo/salida")
    assert "25 oct 2026, 2:30" in page and "Próximo intento: 25 oct 2026, 3:30" in page


def test_a_user_chooses_their_zone_and_goes_back_to_the_companys(fixed, world):
    ticket = _ticket_with_notes(world)
    reader = _signed_in(fixed, world.agent)
    form = _page(reader, "/preferencias/zona-horaria")
    assert 'id="time-zone-link"' in form and "Zona horaria" in form
    assert '<option value="" selected>La de la empresa (Europe/Madrid)</option>' in form
    assert '<option value="America/Bogota" >' in form
    saved = reader.post("/preferencias/zona-horaria", data={"time_zone": "America/Bogota"})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).time_zone == "America/Bogota"
    assert "24 oct 2026, 21:30" in _page(reader, f"/operacion/ticket/{ticket.number}")
    assert '<option value="America/Bogota" selected>' in _page(reader, "/preferencias/zona-horaria")
    assert reader.post("/preferencias/zona-horaria", data={"time_zone": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).time_zone is None
    assert "25 oct 2026, 3:30" in _page(reader, f"/operacion/ticket/{ticket.number}")


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "europe/madrid", "x" * 300])
def test_an_unknown_zone_is_refused_with_what_to_do(fixed, world, value):
    reader = _signed_in(fixed, world.agent)
    refused = reader.post("/preferencias/zona-horaria", data={"time_zone": value})
    assert refused.status_code == 422
    assert "Elija una zona horaria de la lista" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).time_zone is None


def test_the_zone_form_needs_its_csrf_token(fixed, world):
    reader = _signed_in(fixed, world.agent)
    fixed.config["WTF_CSRF_ENABLED"] = True
    assert reader.post("/preferencias/zona-horaria",
                       data={"time_zone": "America/Bogota"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).time_zone is None


def test_the_zone_form_needs_a_signed_in_user(fixed, world):
    anonymous = browser(fixed)
    assert anonymous.get("/preferencias/zona-horaria").status_code == 302
    assert anonymous.post("/preferencias/zona-horaria", data={"time_zone": "UTC"}).status_code == 302


def test_only_the_user_sets_their_own_zone(fixed, world):
    with pytest.raises(NotPermitted):
        preferences.set_time_zone(world.admin, world.agent, "America/Bogota")
    with pytest.raises(ValidationFailed) as refused:
        preferences.set_time_zone(world.agent, world.agent, "Nowhere/Town")
    assert refused.value.field == "time_zone"
    assert preferences.set_time_zone(world.agent, world.agent, " America/Bogota ") == "America/Bogota"
    assert world.agent.time_zone == "America/Bogota"
    assert "America/Bogota" in preferences.zone_choices() and "Etc/GMT+5" not in preferences.zone_choices()


def test_a_zone_set_elsewhere_and_not_in_the_list_stays_chosen_on_the_account_page(fixed,
                                                                                   world):
    world.agent.time_zone = "US/Eastern"  # a legacy alias, as an older admin form allowed
    db.session.commit()
    reader = _signed_in(fixed, world.agent)
    form = _page(reader, "/preferencias/zona-horaria")
    assert '<option value="US/Eastern" selected>US/Eastern</option>' in form
    assert '<option value="" >La de la empresa (Europe/Madrid)</option>' in form
    assert reader.post("/preferencias/zona-horaria",
                       data={"time_zone": "US/Eastern"}).status_code == 303  # saved unchanged
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).time_zone == "US/Eastern"
    refused = reader.post("/preferencias/zona-horaria", data={"time_zone": "Marte/Olimpo"})
    assert refused.status_code == 422  # the form comes back with the zone kept chosen
    assert '<option value="US/Eastern" selected>' in refused.get_data(as_text=True)
    assert "US/Eastern" not in preferences.zone_choices()
    assert preferences.zone_choices("US/Eastern") == sorted([*preferences.zone_choices(),
                                                             "US/Eastern"])


def test_the_customers_page_keeps_the_companys_zone(fixed, world):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    ticket.current_quote.created_at = CEST
    world.agent.time_zone = "America/Bogota"
    db.session.commit()
    reader = _signed_in(fixed, world.agent)  # a staff member in Bogotá opens the customer's link
    token = make_token(ticket.current_quote)
    page = _page(reader, f"/cotizacion/{token}")
    assert "25 oct 2026, 2:30 (Europe/Madrid)" in page and "24 oct 2026" not in page
    decided = reader.post(f"/cotizacion/{token}/aprobar").get_data(as_text=True)
    db.session.expire_all()
    shown = local_datetime(ticket.current_quote.decided_at, "Europe/Madrid")
    assert f"Registrado el {shown} (Europe/Madrid)." in decided


def test_mail_keeps_the_companys_zone_whoever_sends_it(fixed, world):
    ticket = factories.ticket_in(world, TicketStatus.APPROVED)
    quote = ticket.current_quote
    quote.decided_at = CET
    world.agent.time_zone = "America/Bogota"
    db.session.commit()
    with fixed.test_request_context():
        g.pop("_flask_babel", None)
        login_user(world.agent)  # a staff member in Bogotá triggers the mail
        spanish = render_mail("quote_decided_staff", "es", quote=quote, ticket=ticket,
                              staff=world.agent)
        english = render_mail("quote_decision", "en", quote=quote, ticket=ticket)
    assert "Registrado el 25 oct 2026, 2:30 (Europe/Madrid)." in spanish.text
    assert "Registrado el 25 oct 2026, 2:30 (Europe/Madrid)." in spanish.html
    assert "Recorded on Oct 25, 2026, 2:30\u202fAM (Europe/Madrid)." in english.text
    assert "24 oct" not in spanish.text and "Oct 24" not in english.text
