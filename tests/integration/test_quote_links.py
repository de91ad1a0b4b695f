"""The customer's quote decision from the signed link: GET shows, POST decides; every bad link."""
import re
import threading

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import Language, Notification, OutboxMessage, QuoteStatus, TicketStatus
from app.services.quote_links import SALT, make_token
from tests import factories


def _links(ticket) -> dict:
    """The approve and reject paths from the quote request mail the customer got."""
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "quote_request", OutboxMessage.ticket_id == ticket.id)
        .order_by(OutboxMessage.id.desc())).first()
    urls = re.findall(r"https?://\S+/cotizacion/[^\s?\"]+\?decision=(?:approve|reject)",
                      mail.body_text)
    paths = {u.rsplit("=", 1)[1]: u.split("5000", 1)[1] for u in urls}
    return paths


def _token(path: str) -> str:
    return path.split("/cotizacion/")[1].split("?")[0]


def _quoted(world):
    ticket = factories.ticket_in(world, TicketStatus.QUOTED)
    db.session.commit()
    return ticket


def test_opening_the_link_shows_the_quote_and_decides_nothing(world, client):
    ticket = _quoted(world)
    page = client.get(_links(ticket)["approve"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ticket.number in html and "100,00\xa0US$" in html and "Aprobar la cotización" in html
    db.session.expire_all()
    assert ticket.status is TicketStatus.QUOTED  # GET changed nothing (mail scanners)
    assert ticket.current_quote.status is QuoteStatus.QUOTED


def test_approving_from_the_page(world, client):
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    done = client.post(f"/cotizacion/{token}/aprobar")
    assert done.status_code == 200 and "Cotización aprobada" in done.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.status is TicketStatus.APPROVED
    assert ticket.current_quote.decision_channel.value == "LINK"
    kinds = {m.kind for m in db.session.scalars(select(OutboxMessage))}
    assert {"quote_decision", "quote_decided_staff"} <= kinds
    assert db.session.scalars(select(Notification).where(
        Notification.user_id == world.supervisor.id)).all()


def test_rejecting_with_a_reason(world, client):
    ticket = _quoted(world)
    token = _token(_links(ticket)["reject"])
    client.post(f"/cotizacion/{token}/rechazar", data={"reason": "Es muy caro"})
    db.session.expire_all()
    assert ticket.status is TicketStatus.NEW
    assert ticket.current_quote.status is QuoteStatus.REJECTED
    assert ticket.current_quote.decision_note == "Es muy caro"


def _assert_dead(client, token, kind):
    page = client.get(f"/cotizacion/{token}")
    assert page.status_code in (404, 410)
    assert f'data-kind="{kind}"' in page.get_data(as_text=True)
    post = client.post(f"/cotizacion/{token}/aprobar")
    assert post.status_code in (404, 410)


def test_a_replayed_link_is_dead(world, client):
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    client.post(f"/cotizacion/{token}/aprobar")
    _assert_dead(client, token, "used")
    db.session.expire_all()
    assert ticket.status is TicketStatus.APPROVED


@pytest.mark.parametrize("position", [5, 40, -3])
def test_a_tampered_link_is_refused(world, client, position):
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    flipped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + flipped + token[position + 1:] if position >= 0 else \
        token[:position] + flipped + token[position + 1 or len(token):]
    _assert_dead(client, tampered, "tampered")
    db.session.expire_all()
    assert ticket.status is TicketStatus.QUOTED


def test_a_link_signed_with_another_key_is_refused(world, client):
    ticket = _quoted(world)
    quote = ticket.current_quote
    forged = URLSafeTimedSerializer("not-our-secret", salt=SALT).dumps(
        {"q": quote.id, "v": quote.version, "d": "x"})
    _assert_dead(client, forged, "tampered")


def test_an_expired_link_is_refused(world, client, app):
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    app.config["SOPORTE_QUOTE_LINK_DAYS"] = -1  # every link is older than its lifetime
    _assert_dead(client, token, "expired")


def test_a_new_version_kills_every_older_link(world, client):
    ticket = _quoted(world)
    old = _token(_links(ticket)["approve"])
    factories.quote(world, ticket, price="80.00")
    new = _token(_links(ticket)["approve"])
    _assert_dead(client, old, "superseded")
    assert client.get(f"/cotizacion/{new}").status_code == 200


def test_a_post_needs_the_pages_csrf_token(world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    browser = app.test_client()
    assert browser.post(f"/cotizacion/{token}/aprobar").status_code == 400
    page = browser.get(f"/cotizacion/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert browser.post(f"/cotizacion/{token}/aprobar", data={"csrf_token": csrf}).status_code == 200


def test_two_decisions_at_once_exactly_one_wins(world, app):
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    db.session.commit()
    barrier = threading.Barrier(2)
    results = {}

    def decide(action):
        with app.test_client() as browser:
            barrier.wait(timeout=10)
            results[action] = browser.post(f"/cotizacion/{token}/{action}").status_code

    threads = [threading.Thread(target=decide, args=(a,)) for a in ("aprobar", "rechazar")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results.values()) == [200, 410]
    db.session.expire_all()
    winner = "aprobar" if results["aprobar"] == 200 else "rechazar"
    expected = TicketStatus.APPROVED if winner == "aprobar" else TicketStatus.NEW
    assert ticket.status is expected
    assert len(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "quote_decision")).all()) == 1


def test_make_token_binds_the_content(world):
    ticket = _quoted(world)
    quote = ticket.current_quote
    before = make_token(quote)
    quote.message = "otro mensaje"
    assert make_token(quote) != before


# A dead link's page in the customer's language: the contact's, whatever the browser asks,
# except a tampered link (whose customer cannot be known: the browser's).
DEAD_LINK_TITLE = {"es": "Este enlace no se puede usar", "en": "This link cannot be used"}
OTHER = {"es": "en", "en": "es"}


def _dead_link(kind: str, world, client, app) -> str:
    """A link of the given kind for a quoted ticket of world's contact."""
    ticket = _quoted(world)
    token = _token(_links(ticket)["approve"])
    if kind == "used":
        client.post(f"/cotizacion/{token}/aprobar")
    elif kind == "superseded":
        factories.quote(world, ticket, price="80.00")
        db.session.commit()
    elif kind == "expired":
        app.config["SOPORTE_QUOTE_LINK_DAYS"] = -1
    elif kind == "tampered":
        token = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    return token


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("kind", ["expired", "superseded", "used"])
def test_a_dead_link_answers_in_the_customers_language(world, client, app, kind, language):
    ticket = _quoted(world)
    ticket.contact.language = Language(language)
    db.session.commit()
    token = _dead_link(kind, world, client, app)
    page = client.get(f"/cotizacion/{token}", headers={"Accept-Language": OTHER[language]})
    assert page.status_code == 410
    assert DEAD_LINK_TITLE[language] in page.get_data(as_text=True), (kind, language)


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_tampered_link_answers_in_the_browsers_language(world, client, app, language):
    _quoted(world).contact.language = Language(OTHER[language])
    db.session.commit()
    token = _dead_link("tampered", world, client, app)
    page = client.get(f"/cotizacion/{token}", headers={"Accept-Language": language})
    assert page.status_code == 404
    assert DEAD_LINK_TITLE[language] in page.get_data(as_text=True)
