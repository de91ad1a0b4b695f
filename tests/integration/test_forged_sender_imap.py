"""A forged display name cannot make someone else the sender of an email (issue 9, item 2)."""
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage, InboundOutcome, Note
from mail_ingest.poller import poll_once
from tests import factories
from tests import mail_corpus as corpus


def test_an_encoded_name_naming_a_customer_does_not_write_on_her_ticket(world, dovecot,
                                                                         imap_user):
    ticket = factories.new_ticket(world)
    dovecot.append(imap_user, corpus.forged_display_name(
        victim=world.contact.email, subject=f"Re: [{ticket.number}] hola"))
    poll_once(dovecot.url(imap_user))
    db.session.expire_all()
    [record] = db.session.scalars(select(InboundMessage)).all()
    assert record.from_address == "attacker@evil.example"
    assert record.outcome is not InboundOutcome.NOTE and record.ticket_id != ticket.id
    assert not db.session.scalars(select(Note).where(Note.ticket_id == ticket.id,
                                                     Note.author_contact_id.is_not(None))).all()
