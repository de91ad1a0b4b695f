"""The administrators' webhook pages in /admin/webhooks/: only administrators open them (and see
the menu entry); a new endpoint's secret is shown once; a refused address keeps what was typed
with the guard's message; rotate, disable, delete; the delivery log shows each attempt, and
"send again" puts the same event back in the queue; CSRF on every form."""
from __future__ import annotations

import datetime as dt
import html
import logging
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from app.webhooks import worker
from app.services.webhooks.endpoints import EndpointInput, create_endpoint
from tests import factories
from tests.factories import PASSWORD
from tests.integration.test_webhooks import Receiver, verified

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
PAGE = "/admin/webhooks/"
D = WebhookDeliveryStatus


@pytest.fixture
def world(app):
    app.config["SOPORTE_FIXED_NOW"] = T0
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    return factories.make_world()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _endpoint(world, url):
    new = create_endpoint(world.admin, EndpointInput(url=url))
    db.session.commit()
    return new


def _secret_shown(page: str) -> str:
    return re.search(r'id="new-secret-value"[^>]*value="(whsec_[^"]+)"', page).group(1)


@pytest.mark.parametrize("role", ("supervisor", "agent", "viewer"))
def test_only_administrators_open_the_pages_or_see_the_menu_entry(world, client, role, receiver):
    endpoint = _endpoint(world, receiver.url).endpoint
    _login(client, getattr(world, role))
    for path in (PAGE, f"{PAGE}new/", f"{PAGE}{endpoint.id}/", f"{PAGE}{endpoint.id}/delete/",
                 f"{PAGE}{endpoint.id}/deliveries/"):
        assert client.get(path).status_code == 403, path
    for path in (f"{PAGE}new/", f"{PAGE}{endpoint.id}/", f"{PAGE}{endpoint.id}/delete/",
                 f"{PAGE}{endpoint.id}/rotate/", f"{PAGE}{endpoint.id}/active/"):
        assert client.post(path, data={"url": "http://127.0.0.1:9/x"}).status_code == 403, path
    db.session.expire_all()
    assert [e.url for e in db.session.scalars(select(WebhookEndpoint))] == [receiver.url]
    assert PAGE not in client.get("/operacion/ticket").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    assert client.get(PAGE).status_code == 302


def test_an_administrator_sees_the_menu_entry_and_the_list(world, client, receiver):
    _endpoint(world, receiver.url)
    _login(client, world.admin)
    home = client.get("/admin/").get_data(as_text=True)
    assert f'href="{PAGE}"' in home and "Webhooks" in home
    listing = client.get(PAGE).get_data(as_text=True)
    assert receiver.url.replace("?", "?") in listing.replace("&amp;", "&")
    for text in ("Todos los eventos", "Activo", "Ninguna todavía", "Registro de entregas"):
        assert text in listing, text
    assert "whsec_" not in listing


def test_the_list_shows_each_endpoints_last_delivery_read_in_one_query(world, client, app,
                                                                      receiver):
    from sqlalchemy import event

    first = _endpoint(world, receiver.url).endpoint
    second = _endpoint(world, receiver.url + "&second").endpoint
    factories.new_ticket(world)
    receiver.answers.put(200)
    receiver.answers.put(500)
    worker.send_once()
    third = _endpoint(world, receiver.url + "&third").endpoint  # nothing sent to it yet
    _login(client, world.admin)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        listing = client.get(PAGE).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    rows = dict(re.findall(r'<tr id="endpoint-(\d+)">(.*?)</tr>', listing, re.S))
    assert "Entregado (200)" in rows[str(first.id)]
    assert "En cola (500)" in rows[str(second.id)]
    assert "Ninguna todavía" in rows[str(third.id)]
    assert len([s for s in statements if "FROM webhook_delivery" in s]) == 1


def test_a_new_endpoint_shows_its_secret_once(world, client, app, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    form = client.get(f"{PAGE}new/").get_data(as_text=True)
    assert "Ticket creado" in form and "Estado cambiado" in form  # readable Spanish labels
    made = client.post(f"{PAGE}new/", data={
        "url": receiver.url, "description": "ERP de facturación",
        "event_types": ["ticket.created", "time.logged"], "active": "1",
        "csrf_token": _csrf(form)})
    assert made.status_code == 201
    assert "no-store" in made.headers["Cache-Control"]
    shown = made.get_data(as_text=True)
    secret = _secret_shown(shown)
    assert "no se vuelve a mostrar" in shown
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert (endpoint.description, endpoint.event_types, endpoint.active) == (
        "ERP de facturación", "ticket.created time.logged", True)
    assert endpoint.secrets(T0) == [secret]
    for path in (PAGE, f"{PAGE}{endpoint.id}/", f"{PAGE}{endpoint.id}/deliveries/"):
        assert secret not in client.get(path).get_data(as_text=True), path
    assert "ERP de facturación" in client.get(f"{PAGE}{endpoint.id}/").get_data(as_text=True)
    assert "Ticket creado, Tiempo registrado" in client.get(PAGE).get_data(as_text=True)
    assert secret not in caplog.text


def test_a_refused_address_keeps_what_was_typed_with_the_guards_message(world, client, app):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    _login(client, world.admin)
    refused = client.post(f"{PAGE}new/", data={
        "url": "http://127.0.0.1:8080/hooks", "description": "Pruebas internas",
        "event_types": ["quote.sent"], "active": "1"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'value="http://127.0.0.1:8080/hooks"' in page and 'value="Pruebas internas"' in page
    assert re.search(r'value="quote.sent"[^>]*checked', page)
    assert 'id="url-error"' in page and 'aria-invalid="true"' in page
    assert "whsec_" not in page
    assert client.post(f"{PAGE}new/", data={"url": "ftp://x"}).status_code == 422
    assert client.post(f"{PAGE}new/", data={"url": "http://127.0.0.1/",
                                            "event_types": ["nope"]}).status_code == 422
    assert client.post(f"{PAGE}new/", data={"url": "x" * 5000}).status_code == 422
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_editing_keeps_typed_values_on_a_refusal_and_saves_otherwise(world, client, app,
                                                                     receiver):
    endpoint = _endpoint(world, receiver.url).endpoint
    _login(client, world.admin)
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    refused = client.post(f"{PAGE}{endpoint.id}/", data={"url": "http://10.1.2.3/x",
                                                         "description": "Nuevo"})
    assert refused.status_code == 422
    assert 'value="http://10.1.2.3/x"' in refused.get_data(as_text=True)
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    saved = client.post(f"{PAGE}{endpoint.id}/", data={
        "url": receiver.url, "description": "Nuevo", "event_types": ["reply.added"]})
    assert saved.status_code == 303
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, endpoint.id)
    assert (endpoint.description, endpoint.event_types) == ("Nuevo", "reply.added")
    assert client.get(f"{PAGE}999999/").status_code == 404


def test_rotating_shows_the_new_secret_once_and_until_when_the_old_one_signs(
        world, client, app, receiver):
    old = _endpoint(world, receiver.url)
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    form = client.get(f"{PAGE}{old.endpoint.id}/").get_data(as_text=True)
    rotated = client.post(f"{PAGE}{old.endpoint.id}/rotate/", data={
        "keep_previous_hours": "24", "csrf_token": _csrf(form)})
    assert rotated.status_code == 200 and "no-store" in rotated.headers["Cache-Control"]
    shown = rotated.get_data(as_text=True)
    secret = _secret_shown(shown)
    assert secret != old.secret
    assert "sigue firmando" in shown and "3 mar 2026" in shown
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, old.endpoint.id).secrets(T0) == [secret, old.secret]
    assert secret not in client.get(f"{PAGE}{old.endpoint.id}/").get_data(as_text=True)
    bad = client.post(f"{PAGE}{old.endpoint.id}/rotate/", data={
        "keep_previous_hours": "999", "csrf_token": _csrf(form)})
    assert bad.status_code == 422 and 'value="999"' in bad.get_data(as_text=True)
    assert "whsec_" not in bad.get_data(as_text=True)


def test_disabling_enabling_and_deleting_after_a_confirmation(world, client, receiver):
    endpoint_id = _endpoint(world, receiver.url).endpoint.id
    _login(client, world.admin)
    assert client.post(f"{PAGE}{endpoint_id}/active/", data={"active": "0"}).status_code == 303
    listing = client.get(PAGE).get_data(as_text=True)
    assert "Desactivado por un administrador" in listing
    db.session.expire_all()
    assert not db.session.get(WebhookEndpoint, endpoint_id).active
    client.post(f"{PAGE}{endpoint_id}/active/", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint_id).active
    confirm = client.get(f"{PAGE}{endpoint_id}/delete/")
    assert confirm.status_code == 200 and "¿Eliminar" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint_id) is not None  # asking deletes nothing
    assert client.post(f"{PAGE}{endpoint_id}/delete/").status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint_id) is None
    assert client.post(f"{PAGE}{endpoint_id}/delete/").status_code == 404


def test_the_log_shows_attempts_and_send_again_queues_the_same_event(world, client, app,
                                                                     receiver):
    new = _endpoint(world, receiver.url)
    factories.new_ticket(world)
    receiver.answers.put(500)
    worker.send_once()
    delivery = db.session.scalar(select(WebhookDelivery))
    event_id = delivery.event.event_id
    assert delivery.status is D.PENDING and delivery.last_status_code == 500
    app.config["SOPORTE_FIXED_NOW"] = delivery.next_attempt_at
    worker.send_once()
    db.session.commit()
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    log = client.get(f"{PAGE}{new.endpoint.id}/deliveries/").get_data(as_text=True)
    for text in ("Ticket creado", event_id, "Entregado", "answer 200", "Enviar de nuevo"):
        assert text in log, text
    one = client.get(f"{PAGE}{new.endpoint.id}/deliveries/{delivery.id}/").get_data(as_text=True)
    assert "answer 500" in one and "answer 200" in one and html.unescape(one).count('"ticket.created"') == 1
    refused = client.post(f"{PAGE}{new.endpoint.id}/deliveries/{delivery.id}/resend/")
    assert refused.status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status is D.DELIVERED
    again = client.post(f"{PAGE}{new.endpoint.id}/deliveries/{delivery.id}/resend/",
                        data={"csrf_token": _csrf(log)})
    assert again.status_code == 303
    db.session.expire_all()
    queued = db.session.get(WebhookDelivery, delivery.id)
    assert (queued.status, queued.attempts, queued.event.event_id) == (D.PENDING, 0, event_id)
    db.session.commit()
    assert worker.send_once().delivered == 1
    ids = [headers["webhook-id"] for headers, _body in receiver.requests]
    assert ids == [event_id] * 3 and verified(new.secret, *receiver.requests[-1])
    other = _endpoint(world, receiver.url + "&otro=1").endpoint
    assert client.get(f"{PAGE}{other.id}/deliveries/{delivery.id}/").status_code == 302


def test_a_disabled_endpoints_log_says_why_it_cannot_send_again(world, client, receiver):
    new = _endpoint(world, receiver.url)
    factories.new_ticket(world)
    worker.send_once()
    _login(client, world.admin)
    client.post(f"{PAGE}{new.endpoint.id}/active/", data={"active": "0"})
    log = client.get(f"{PAGE}{new.endpoint.id}/deliveries/").get_data(as_text=True)
    assert "Enviar de nuevo" not in log and "actívelo" in log.lower()
    delivery = db.session.scalar(select(WebhookDelivery))
    answer = client.post(f"{PAGE}{new.endpoint.id}/deliveries/{delivery.id}/resend/")
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, delivery.id).status is D.DELIVERED


def test_every_form_refuses_a_post_without_its_csrf_token(world, client, app, receiver):
    endpoint_id = _endpoint(world, receiver.url).endpoint.id
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    for path in (f"{PAGE}new/", f"{PAGE}{endpoint_id}/", f"{PAGE}{endpoint_id}/active/",
                 f"{PAGE}{endpoint_id}/rotate/", f"{PAGE}{endpoint_id}/delete/"):
        assert client.post(path, data={"url": receiver.url + "&b=1",
                                       "active": "0"}).status_code == 400, path
    db.session.expire_all()
    [endpoint] = db.session.scalars(select(WebhookEndpoint)).all()
    assert endpoint.url == receiver.url and endpoint.active


def test_bad_ids_and_pages_are_answered_without_a_500(world, client, receiver):
    endpoint_id = _endpoint(world, receiver.url).endpoint.id
    _login(client, world.admin)
    assert client.get(f"{PAGE}99999999999999/").status_code == 404
    assert client.get(f"{PAGE}{endpoint_id}/deliveries/?before=abc").status_code == 200
    assert client.get(f"{PAGE}{endpoint_id}/deliveries/?before=99999999999999").status_code == 200
    assert client.post(f"{PAGE}{endpoint_id}/rotate/",
                       data={"keep_previous_hours": "dos"}).status_code == 422
