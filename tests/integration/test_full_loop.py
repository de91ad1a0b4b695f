"""The whole story through real servers: Dovecot in, SMTP out, the customer's link, the reply."""
import re

from sqlalchemy import select

from app.extensions import db
from app.mail.worker import send_once
from app.models import InboundMessage, NoteKind, Ticket, TicketStatus
from app.services import quotes, status_changes, worklog
from app.services.quotes import QuoteInput
from mail_ingest.poller import poll_once
from tests import mail_corpus as corpus


def _body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_customer_email_to_quote_approval_to_resolution_and_reply(world, dovecot, imap_user,
                                                                   smtp_server, client):
    # 1. the customer writes; the poller makes a ticket
    dovecot.append(imap_user, corpus.simple(subject="El servidor no arranca",
                                            body="Desde anoche no arranca el servidor."))
    assert poll_once(dovecot.url(imap_user)).outcomes == {"TICKET": 1}
    ticket = db.session.scalars(select(Ticket)).one()
    # 2. the acknowledgement arrives over SMTP with the number
    send_once()
    [ack] = smtp_server.messages
    assert ticket.number in ack["Subject"] and ack["Auto-Submitted"] == "auto-replied"
    # 3. staff quote it; the quote mail arrives with its links
    quotes.save_quote(world.agent, ticket, QuoteInput("250.00", "3", "USD", "Cambio de fuente"))
    db.session.commit()
    send_once()
    quote_mail = smtp_server.messages[-1]
    assert "250,00\xa0US$" in _body(quote_mail)  # the customer's (Spanish) formats
    approve_url = re.search(r"(https?://\S+/cotizacion/\S+)\?decision=approve",
                            _body(quote_mail)).group(1)
    # 4. the customer follows the link and approves from the page
    path = approve_url.split("5000", 1)[1]
    assert client.get(path).status_code == 200
    assert client.post(f"{path}/aprobar").status_code == 200
    db.session.expire_all()
    assert ticket.status is TicketStatus.APPROVED
    # 5. work is done and logged; the ticket is resolved; the customer is told
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    worklog.log_time(world.agent, ticket, 2, 30, "Cambio de fuente de poder")
    status_changes.change_status(world.agent, ticket, TicketStatus.RESOLVED, "Fuente reemplazada.")
    db.session.commit()
    send_once()
    resolution = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec ==
                  world.contact.email][-1]
    assert "Fuente reemplazada." in _body(resolution)
    assert resolution["In-Reply-To"]  # our mails form one thread
    # 6. the customer replies to our last mail; it lands on the same ticket and reopens it
    dovecot.append(imap_user, corpus.simple(subject=f"Re: {resolution['Subject']}",
                                            body="Gracias, pero volvió a fallar.",
                                            in_reply_to=resolution["Message-ID"],
                                            references=resolution["Message-ID"]))
    assert poll_once(dovecot.url(imap_user)).outcomes == {"NOTE": 1}
    db.session.expire_all()
    reply = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    assert reply.ticket_id == ticket.id
    assert ticket.notes[-1].kind is NoteKind.CUSTOMER_EMAIL
    assert "volvió a fallar" in ticket.notes[-1].body_text
    assert ticket.status is TicketStatus.IN_PROGRESS
    assert ticket.total_minutes == 150
    assert len(db.session.scalars(select(Ticket)).all()) == 1
