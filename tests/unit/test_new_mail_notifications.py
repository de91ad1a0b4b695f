"""A ticket that arrives by email with nobody assigned is announced to every active supervisor:
in the dashboard always, by email when SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL is on; each in the
supervisor's language. Exercised through the poller's ingest, as the mail arrives."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Language, Notification, OutboxMessage, Role, Ticket
from app.services import status_changes
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus

_uids = iter(range(1, 100_000))


def _ingest(raw: bytes):
    outcome = ingest("INBOX", 1, str(next(_uids)), raw)
    db.session.expire_all()
    return outcome


@pytest.fixture
def supervisors(world):
    """The world's Spanish supervisor, an English one, and one no longer active."""
    english = factories.make_user(Role.SUPERVISOR, "boss@soporte.example", "Boss",
                                  language=Language.EN)
    factories.make_user(Role.SUPERVISOR, "former@soporte.example", "Former", active=False)
    db.session.commit()
    return {world.supervisor.email: "es", english.email: "en"}


def _notifications() -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {}
    for notification in db.session.scalars(select(Notification).order_by(Notification.id)):
        found.setdefault(notification.user.email, []).append(notification)
    return found


def _staff_mail() -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "new_ticket_staff").order_by(OutboxMessage.id)).all()


def test_every_active_supervisor_is_told_in_the_dashboard_in_their_language(world, supervisors):
    outcome = _ingest(corpus.simple(subject="Re: La impresora no imprime"))
    assert outcome.outcome == "TICKET"
    found = _notifications()
    assert set(found) == set(supervisors)  # not the agents, the administrator, the inactive one
    [spanish] = found[world.supervisor.email]
    [english] = found["boss@soporte.example"]
    assert spanish.ticket.number == english.ticket.number == outcome.ticket_number
    assert spanish.kind == english.kind == "new_unassigned"
    assert spanish.message == (f"Nuevo ticket {outcome.ticket_number} de Acme S.A. por correo, "
                               "sin asignar: La impresora no imprime")
    assert english.message == (f"New ticket {outcome.ticket_number} from Acme S.A. by email, "
                               "unassigned: La impresora no imprime")
    assert _staff_mail() == []  # email only when the option is on


def test_by_email_too_when_the_option_is_on(world, supervisors, app):
    app.config["SOPORTE_NOTIFY_SUPERVISORS_BY_EMAIL"] = True
    outcome = _ingest(corpus.simple(subject="Sin correo", body="El buzón no recibe nada."))
    mails = {mail.to_address: mail for mail in _staff_mail()}
    assert set(mails) == set(supervisors)
    spanish, english = mails[world.supervisor.email], mails["boss@soporte.example"]
    assert spanish.subject == f"[{outcome.ticket_number}] Nuevo ticket sin asignar: Sin correo"
    assert english.subject == f"[{outcome.ticket_number}] New unassigned ticket: Sin correo"
    assert "nadie lo tiene asignado" in spanish.body_text
    assert "El buzón no recibe nada." in spanish.body_text
    assert "nobody is assigned" in english.body_text and "Acme S.A." in english.body_text
    assert spanish.headers.get("Auto-Submitted") == "auto-generated"


def test_a_reply_on_an_open_ticket_tells_no_one_a_reply_to_a_closed_one_does(world,
                                                                           supervisors):
    first = _ingest(corpus.simple(subject="Primero"))
    note = _ingest(corpus.simple(subject=f"Re: [{first.ticket_number}] Primero"))
    assert note.outcome == "NOTE"
    assert [len(told) for told in _notifications().values()] == [1, 1]
    ticket = db.session.scalars(select(Ticket)).one()
    status_changes.close_ticket(world.agent, ticket, "Hecho")
    db.session.commit()
    linked = _ingest(corpus.simple(subject=f"Re: [{first.ticket_number}] Primero"))
    assert linked.outcome == "TICKET" and linked.ticket_number != first.ticket_number
    assert {told[-1].ticket.number for told in _notifications().values()} \
        == {linked.ticket_number}
