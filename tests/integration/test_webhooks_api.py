"""The webhook endpoints over the API: administrators only, the secret shown once, the address
guard's refusals as 422 on "url", the delivery log and "send again"; never a 500."""
from __future__ import annotations

import datetime as dt

import pytest
from flask import g

from app.extensions import db
from app.models import WebhookEndpoint
from app.webhooks import worker
from tests import factories
from tests.api_calls import API, assert_error, bearer
from tests.integration.test_webhooks import Receiver, verified

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
HOOKS = f"{API}/webhooks"


@pytest.fixture
def world(app):
    app.config["SOPORTE_FIXED_NOW"] = T0
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    return factories.make_world()


@pytest.fixture
def admin(world):
    return bearer(world.admin)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(
        client, world, admin, receiver):
    created = client.post(HOOKS, headers=admin, json={
        "url": receiver.url, "description": "ERP", "event_types": ["ticket.created"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["ticket.created"]
    assert created.headers["Location"].endswith(f"/webhooks/{body['id']}")
    assert created.headers["Cache-Control"] == "no-store"  # the secret stays in no cache

    listed = client.get(HOOKS, headers=admin).get_json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    one = client.get(f"{HOOKS}/{body['id']}", headers=admin).get_json()
    assert "secret" not in one and body["secret"] not in str(one)

    factories.new_ticket(world)
    worker.send_once()
    [(headers, sent)] = receiver.requests
    assert verified(body["secret"], headers, sent)


def test_staff_other_than_administrators_are_refused(client, world, receiver):
    for user in (world.supervisor, world.agent, world.viewer):
        headers = bearer(user)
        assert_error(client.get(HOOKS, headers=headers), 403, "not_permitted")
        assert_error(client.post(HOOKS, headers=headers, json={"url": receiver.url}), 403,
                     "not_permitted")


def test_an_admin_token_scoped_without_webhooks_is_refused(client, world):
    assert_error(client.get(HOOKS, headers=bearer(world.admin, "VIEW")), 403, "not_permitted")
    assert client.get(HOOKS, headers=bearer(world.admin, "MANAGE_WEBHOOKS")).status_code == 200


def test_without_a_token_the_answer_is_401(client, world):
    assert_error(client.get(HOOKS), 401, "not_authenticated")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://localhost/", "http://[::1]/",
                                 "http://169.254.169.254/", "http://10.0.0.1/"])
def test_a_private_address_is_refused_on_the_field_url(client, app, world, admin, url):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    body = assert_error(client.post(HOOKS, headers=admin, json={"url": url}), 422,
                        "validation_failed")
    assert body["field"] == "url"
    assert "SOPORTE_WEBHOOKS_ALLOWED_NETWORKS" in body["message"] or "resolver" in body["message"]


def test_the_refusal_is_in_the_callers_language(client, app, world, admin):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    spanish = client.post(HOOKS, headers=admin, json={"url": "http://10.0.0.1/"}).get_json()
    g.pop("_flask_babel", None)  # the test's app context outlives each request: its locale too
    english = client.post(HOOKS, headers={**admin, "Accept-Language": "en"},
                          json={"url": "http://10.0.0.1/"}).get_json()
    assert "dirección privada" in spanish["message"]
    assert "private, loopback or link-local" in english["message"]


@pytest.mark.parametrize("body, field", [
    ({}, "url"),
    ({"url": 5}, "url"),
    ({"url": "ftp://93.184.215.14/"}, "url"),
    ({"url": "http://x/" + "a" * 3000}, "url"),
    ({"url": "https://93.184.215.14/", "event_types": ["ticket.nope"]}, "event_types"),
    ({"url": "https://93.184.215.14/", "event_types": "ticket.created"}, "event_types"),
    ({"url": "https://93.184.215.14/", "description": "a\nb"}, "description"),
    ({"url": "https://93.184.215.14/", "description": "x" * 201}, "description"),
    ({"url": "https://93.184.215.14/", "active": "maybe"}, "active"),
    ({"url": "https://93.184.215.14/", "secret": "whsec_mine"}, "secret"),
])
def test_bad_values_are_422_naming_the_field(client, world, admin, body, field):
    answer = assert_error(client.post(HOOKS, headers=admin, json=body), 422, "validation_failed")
    assert answer["field"] == field


@pytest.mark.parametrize("path", ["/0", "/99999999999", "/abc", "/7", "/7/deliveries",
                                  "/7/deliveries/1/resend", "/-1"])
def test_unknown_endpoints_are_404(client, world, admin, path):
    method = client.post if path.endswith("resend") else client.get
    assert method(HOOKS + path, headers=admin).status_code == 404


def test_a_body_that_is_not_json_is_400_and_json_that_is_no_object_422(client, world, admin):
    answer = client.post(HOOKS, headers={**admin, "Content-Type": "application/json"},
                         data=b"{not json")
    assert_error(answer, 400, "bad_request")
    assert_error(client.post(HOOKS, headers=admin, json=[1, 2]), 422, "validation_failed")


def test_patch_changes_only_what_is_sent_and_disabling_stops_deliveries(
        client, world, admin, receiver):
    endpoint_id = client.post(HOOKS, headers=admin, json={"url": receiver.url}).get_json()["id"]
    changed = client.patch(f"{HOOKS}/{endpoint_id}", headers=admin,
                           json={"active": False, "description": "pausado"})
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["active"] is False and body["disabled_reason"] == "administrator"
    assert body["url"] == receiver.url and body["description"] == "pausado"
    factories.new_ticket(world)
    worker.send_once()
    assert receiver.requests == []
    assert client.patch(f"{HOOKS}/{endpoint_id}", headers=admin,
                        json={"active": True}).get_json()["disabled_reason"] is None


def test_rotate_returns_a_new_secret_and_both_sign_meanwhile(client, world, admin, receiver):
    first = client.post(HOOKS, headers=admin, json={"url": receiver.url}).get_json()
    rotated = client.post(f"{HOOKS}/{first['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200, rotated.get_data(as_text=True)
    assert rotated.headers["Cache-Control"] == "no-store"
    second = rotated.get_json()
    assert second["secret"] != first["secret"]
    assert second["previous_secret_until"].startswith("2026-03-03T10:00:00")
    factories.new_ticket(world)
    worker.send_once()
    [(headers, sent)] = receiver.requests
    assert verified(first["secret"], headers, sent) and verified(second["secret"], headers, sent)
    assert_error(client.post(f"{HOOKS}/{first['id']}/rotate-secret", headers=admin,
                             json={"keep_previous_hours": 500}), 422, "validation_failed")
    now = client.post(f"{HOOKS}/{first['id']}/rotate-secret", headers=admin,
                      json={"keep_previous_hours": 0}).get_json()
    assert now["previous_secret_until"] is None


def test_the_delivery_log_shows_the_answers_and_send_again_requeues(
        client, app, world, admin, receiver):
    endpoint_id = client.post(HOOKS, headers=admin, json={"url": receiver.url}).get_json()["id"]
    factories.new_ticket(world)
    receiver.answers.put(500)
    worker.send_once()
    log = client.get(f"{HOOKS}/{endpoint_id}/deliveries", headers=admin).get_json()
    [item] = log["items"]
    assert item["status"] == "PENDING" and item["last_status_code"] == 500
    assert item["latest_attempts"][0]["status_code"] == 500
    assert item["latest_attempts"][0]["response_excerpt"] == "answer 500"
    assert item["event"]["type"] == "ticket.created" and item["event"]["id"].startswith("msg_")
    assert item["event"]["payload"]["data"]["ticket"]["status"] == "NEW"
    assert log["next_before"] is None

    app.config["SOPORTE_FIXED_NOW"] = T0 + dt.timedelta(minutes=1)
    worker.send_once()
    resent = client.post(f"{HOOKS}/{endpoint_id}/deliveries/{item['id']}/resend", headers=admin)
    assert resent.status_code == 202 and resent.get_json()["status"] == "PENDING"
    worker.send_once()
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(receiver.requests) == 3 and ids == {item["event"]["id"]}
    page = client.get(f"{HOOKS}/{endpoint_id}/deliveries?limit=1", headers=admin).get_json()
    assert page["next_before"] == item["id"]
    assert client.get(f"{HOOKS}/{endpoint_id}/deliveries?before={item['id']}",
                      headers=admin).get_json()["items"] == []
    assert_error(client.get(f"{HOOKS}/{endpoint_id}/deliveries?limit=0", headers=admin), 422,
                 "validation_failed")
    assert_error(client.get(f"{HOOKS}/{endpoint_id}/deliveries?before=x", headers=admin), 422,
                 "validation_failed")


def test_a_delivery_of_another_endpoint_is_404(client, world, admin, receiver):
    first = client.post(HOOKS, headers=admin, json={"url": receiver.url}).get_json()["id"]
    other = client.post(HOOKS, headers=admin, json={"url": receiver.url,
                                                    "event_types": ["time.logged"]}).get_json()
    factories.new_ticket(world)
    [item] = client.get(f"{HOOKS}/{first}/deliveries", headers=admin).get_json()["items"]
    assert_error(client.post(f"{HOOKS}/{other['id']}/deliveries/{item['id']}/resend",
                             headers=admin), 404, "not_found")


def test_delete_removes_the_endpoint(client, world, admin, receiver):
    endpoint_id = client.post(HOOKS, headers=admin, json={"url": receiver.url}).get_json()["id"]
    factories.new_ticket(world)
    answer = client.delete(f"{HOOKS}/{endpoint_id}", headers=admin)
    assert answer.status_code == 204 and answer.get_data() == b""
    assert db.session.get(WebhookEndpoint, endpoint_id) is None
    assert_error(client.get(f"{HOOKS}/{endpoint_id}", headers=admin), 404, "not_found")


def test_the_document_describes_the_webhook_paths(client, world):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert {"/api/v1/webhooks", "/api/v1/webhooks/{endpoint_id}/rotate-secret",
            "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"} <= set(paths)
