"""Approval by reply (issue 16): the quote email names a short code of its version; a reply that
threads to the ticket and says APROBAR/RECHAZAR <code> decides the quote by the link's rules, and
any other such reply stays an ordinary note while staff are told why it did not count. Through the
real ingest path (raw emails), and once through a real Dovecot."""
from __future__ import annotations

from email.message import EmailMessage
from itertools import count

from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import (InboundMessage, NoteKind, Notification, OutboxMessage, QuoteStatus,
                        TicketStatus)
from app.models.ticket import TicketChange
from app.services import assignment, quote_decisions
from app.services.quote_codes import ALPHABET, CODE_LENGTH, code_for
from app.web.tickets.history_lines import describe
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

_uids = count(1)


def _quote_mail(ticket) -> OutboxMessage:
    """The newest quote email the requester got for the ticket."""
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "quote_request", OutboxMessage.ticket_id == ticket.id)
        .order_by(OutboxMessage.id.desc())).first()


def _reply(ticket, body: str, sender: str = "carla@acme.example", to=None) -> str:
    """The customer answers the quote email (In-Reply-To its Message-ID); the outcome's name."""
    mail = to or _quote_mail(ticket)
    outcome = ingest("INBOX", 1, str(next(_uids)), corpus.simple(
        sender=sender, subject=f"Re: {mail.subject}", body=body, in_reply_to=mail.message_id,
        references=mail.message_id))
    db.session.expire_all()
    return outcome.outcome


def _quoted(world, contact=None):
    """A ticket waiting for the decision on quote version 1."""
    if contact is None:
        return factories.ticket_in(world, TicketStatus.QUOTED)
    ticket = factories.new_ticket(world, contact_id=contact.id)
    factories.quote(world, ticket)
    return ticket


def _changes(ticket, field: str) -> list[TicketChange]:
    return list(db.session.scalars(select(TicketChange).where(
        TicketChange.ticket_id == ticket.id, TicketChange.field == field)))


def _bell(user) -> list[str]:
    return list(db.session.scalars(select(Notification.message).where(
        Notification.user_id == user.id, Notification.kind == "quote_reply_refused")))


def _refused(ticket, kind: str, staff) -> str:
    """Assert the reply did not count and staff were told; the English history line."""
    [line] = _changes(ticket, "quote_reply_refused")
    assert line.new_value == kind
    assert line.note is not None and line.note.kind is NoteKind.CUSTOMER_EMAIL  # kept as a note
    [told] = _bell(staff)
    assert ticket.number in told and "no contó como decisión" in told  # the staff's language
    with force_locale("en"):
        return describe(line)


def test_the_code_is_short_unambiguous_and_one_per_version(world):
    ticket = _quoted(world)
    first = ticket.current_quote
    code = code_for(first)
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1I")
    assert code_for(first) == code
    second = factories.quote(world, ticket)
    assert code_for(second) != code


def test_the_quote_email_tells_how_to_reply_in_the_customers_language(world):
    spanish = _quoted(world)
    code = code_for(spanish.current_quote)
    mail = _quote_mail(spanish)
    line = f"O responda a este correo con APROBAR {code} o RECHAZAR {code}."
    assert line in mail.body_text and line in mail.body_html
    english = _quoted(world, world.english_contact)
    code = code_for(english.current_quote)
    assert f"Or reply to this email with APPROVE {code} or REJECT {code}." in \
        _quote_mail(english).body_text


def test_the_right_code_approves_the_quote_as_the_link_does(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    assert _reply(ticket, f"Hola,\n\nAPROBAR {code}\n\nSaludos, Carla") == "NOTE"
    assert ticket.status is TicketStatus.APPROVED
    quote = ticket.current_quote
    assert quote.status is QuoteStatus.APPROVED
    assert quote.decided_by_label == "customer carla@acme.example"
    [line] = _changes(ticket, "quote_reply")
    assert line.note.kind is NoteKind.CUSTOMER_EMAIL and f"APROBAR {code}" in line.note.body_text
    with force_locale("en"):
        assert describe(line) == "Decided quote version 1 by replying to the quote email"
    kinds = {m.kind for m in db.session.scalars(select(OutboxMessage))}
    assert {"quote_decision", "quote_decided_staff"} <= kinds  # confirmed and staff told
    assert _changes(ticket, "quote_reply_refused") == []


def test_rechazar_rejects_the_quote(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    _reply(ticket, f"rechazar {code.lower()}, es muy caro")
    assert ticket.status is TicketStatus.NEW
    assert ticket.current_quote.status is QuoteStatus.REJECTED
    assert "es muy caro" in ticket.current_quote.decision_note


def test_english_approve_works_whatever_the_mails_language(world):
    ticket = _quoted(world)
    _reply(ticket, f"Approve: {code_for(ticket.current_quote)}\nThanks")
    assert ticket.status is TicketStatus.APPROVED


def test_another_contact_of_the_client_may_decide(world):
    ticket = _quoted(world)
    _reply(ticket, f"APROBAR {code_for(ticket.current_quote)}", sender="eve@acme.example")
    assert ticket.status is TicketStatus.APPROVED
    assert ticket.current_quote.decided_by_label == "customer eve@acme.example"


def test_a_wrong_code_is_an_ordinary_note_and_the_assignee_is_told_why(world):
    ticket = _quoted(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.commit()
    wrong = "ZZZZZZ" if code_for(ticket.current_quote) != "ZZZZZZ" else "YYYYYY"
    assert _reply(ticket, f"APROBAR {wrong}") == "NOTE"
    assert ticket.status is TicketStatus.QUOTED
    assert ticket.current_quote.status is QuoteStatus.QUOTED
    line = _refused(ticket, "wrong_code", world.agent)
    assert line == (f"A reply to the quote email did not count as a decision: {wrong} is not "
                    "the code of any quote of this ticket")
    assert _bell(world.supervisor) == []  # the assignee is told, not everyone


def test_an_older_versions_code_does_not_count_after_a_new_version(world):
    ticket = _quoted(world)
    old_code, old_mail = code_for(ticket.current_quote), _quote_mail(ticket)
    factories.quote(world, ticket)
    _reply(ticket, f"APROBAR {old_code}", to=old_mail)
    assert ticket.status is TicketStatus.QUOTED
    assert ticket.current_quote.version == 2 and ticket.current_quote.status is QuoteStatus.QUOTED
    assert "quote version 1, replaced by a newer version" in \
        _refused(ticket, "superseded", world.supervisor)  # unassigned: the supervisors


def test_a_strangers_reply_does_not_count(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    # another client's contact: threaded by the Message-ID, so a note, but not their decision
    assert _reply(ticket, f"APROBAR {code}", sender="omar@otra.example") == "NOTE"
    assert ticket.status is TicketStatus.QUOTED
    assert "omar@otra.example is neither the requester nor a contact" in \
        _refused(ticket, "stranger", world.supervisor)
    # an address nobody knows: staff place it first (triage); nothing is decided
    assert _reply(ticket, f"APROBAR {code}", sender="someone@unknown.example") == "TRIAGE"
    assert ticket.status is TicketStatus.QUOTED
    assert ticket.current_quote.status is QuoteStatus.QUOTED


def test_a_reply_after_the_decision_does_not_count(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    _reply(ticket, f"APROBAR {code}")
    assert ticket.status is TicketStatus.APPROVED
    _reply(ticket, f"Perdón, mejor RECHAZAR {code}")
    assert ticket.status is TicketStatus.APPROVED
    assert ticket.current_quote.status is QuoteStatus.APPROVED
    assert "the quote was already decided (Approved)" in \
        _refused(ticket, "decided", world.supervisor)


def test_a_reply_after_the_link_decided_does_not_count(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    quote_decisions.decide_by_customer(ticket.current_quote.id, 1, False, "No")
    db.session.commit()
    _reply(ticket, f"APROBAR {code}")
    assert ticket.status is TicketStatus.NEW
    assert ticket.current_quote.status is QuoteStatus.REJECTED
    _refused(ticket, "decided", world.supervisor)


def test_a_command_in_the_quoted_history_only_is_an_ordinary_note(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    body = ("¿Pueden bajar el precio?\n\nEl lun, 2 nov 2026 a las 10:00, Soporte "
            "<soporte@soporte.example> escribió:\n"
            f"> O responda a este correo con APROBAR {code} o RECHAZAR {code}.\n")
    assert _reply(ticket, body) == "NOTE"
    assert ticket.status is TicketStatus.QUOTED
    assert _changes(ticket, "quote_reply") == [] and _changes(ticket, "quote_reply_refused") == []
    assert _bell(world.supervisor) == []
    # Outlook quotes without ">", below a "De:" header
    outlook = ("Lo consulto con mi jefe.\n\nDe: Soporte <soporte@soporte.example>\n"
               f"Enviado: lunes\nAsunto: Cotización\n\nAPROBAR {code}\n")
    assert _reply(ticket, outlook) == "NOTE"
    assert ticket.status is TicketStatus.QUOTED
    assert _changes(ticket, "quote_reply") == [] and _changes(ticket, "quote_reply_refused") == []
    # our whole instruction line pasted without quoting says both: it decides nothing
    _reply(ticket, f"O responda a este correo con APROBAR {code} o RECHAZAR {code}.")
    assert ticket.status is TicketStatus.QUOTED
    assert _changes(ticket, "quote_reply_refused")[0].new_value == "ambiguous"


def _html_reply(ticket, html: str) -> str:
    """The customer answers the quote email with an HTML-only message (no text part)."""
    mail = _quote_mail(ticket)
    message = EmailMessage()
    message["From"] = "Carla <carla@acme.example>"
    message["Subject"] = f"Re: {mail.subject}"
    message["Message-ID"] = corpus.mid("acme.example")
    message["In-Reply-To"] = message["References"] = mail.message_id
    message.set_content(html, subtype="html")
    outcome = ingest("INBOX", 1, str(next(_uids)), message.as_bytes())
    db.session.expire_all()
    return outcome.outcome


def test_an_html_only_reply_is_read_without_its_quoted_history(world):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    assert _html_reply(ticket, f'<div dir="ltr">Lo pienso.</div><div class="gmail_quote">'
                               f'<blockquote>APROBAR {code}</blockquote></div>') == "NOTE"
    assert ticket.status is TicketStatus.QUOTED
    assert _changes(ticket, "quote_reply_refused") == []
    _html_reply(ticket, f'<div dir="ltr"><b>Aprobar</b> {code}<br>Saludos</div>'
                        f'<div class="gmail_quote"><blockquote>¿Algo más?</blockquote></div>')
    assert ticket.status is TicketStatus.APPROVED


def test_the_ticket_page_says_the_reply_decided_and_why_another_did_not(world, client):
    ticket = _quoted(world)
    code = code_for(ticket.current_quote)
    _reply(ticket, f"APROBAR {code}")
    _reply(ticket, f"RECHAZAR {code}")
    assert client.post("/login", data={"email": world.supervisor.email,
                                       "password": PASSWORD}).status_code == 302
    page = client.get(f"/operacion/ticket/{ticket.number}").get_data(as_text=True)
    assert "Decidió la versión 1 de la cotización respondiendo al correo de la cotización" in page
    assert ("Una respuesta al correo de la cotización no contó como decisión: la cotización ya "
            "estaba decidida (Aprobado)") in page


def test_approval_by_reply_through_dovecot(world, dovecot, imap_user):
    from mail_ingest.poller import poll_once

    ticket = _quoted(world)
    mail = _quote_mail(ticket)
    dovecot.append(imap_user, corpus.simple(
        subject=f"Re: {mail.subject}", body=f"APROBAR {code_for(ticket.current_quote)}",
        in_reply_to=mail.message_id, references=mail.message_id))
    assert poll_once(dovecot.url(imap_user)).outcomes == {"NOTE": 1}
    db.session.expire_all()
    assert ticket.status is TicketStatus.APPROVED
    record = db.session.scalars(select(InboundMessage)).one()
    assert record.note_id is not None and record.ticket_id == ticket.id
