"""The triage, quarantine and undelivered-mail reads: the permission check is inside them, and
each page flag is its action's check (creating a client here: flag true exactly when
clients.create_client succeeds)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InboundMessage
from app.services import clients, mail_queues
from app.services.errors import DomainError, NotPermitted
from app.services.permissions import CONSOLE
from mail_ingest.ingest import ingest
from tests import mail_corpus as corpus


@pytest.mark.parametrize("read", [mail_queues.triage_page, mail_queues.quarantine_page,
                                  mail_queues.undelivered_mail])
def test_a_reader_without_view_is_refused(world, read):
    with pytest.raises(NotPermitted):
        read(CONSOLE)


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "viewer"])
def test_the_new_client_flag_is_true_exactly_when_creating_one_works(world, role):
    actor = getattr(world, role)
    ingest("test", 0, "1", corpus.simple(sender="ana@ferreteria-sol.example"))
    page = mail_queues.triage_page(actor)
    [record] = page.records
    assert [c.name for c in page.clients] == sorted(c.name for c in page.clients)
    try:
        with db.session.begin_nested():
            clients.create_client(actor, "Ferretería Sol")
        created = True
    except DomainError:
        created = False
    db.session.rollback()
    assert page.can_create_client is created
    assert created is (role == "admin")
    assert page.can_resolve[record.id] is (role != "viewer")


def test_quarantine_rows_say_who_may_retry(world, app):
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    ingest("test", 0, "1", corpus.simple(subject="retenido"))
    record = db.session.scalars(select(InboundMessage)).one()
    assert mail_queues.quarantine_page(world.admin).can_retry == {record.id: True}
    assert mail_queues.quarantine_page(world.agent).can_retry == {record.id: False}
