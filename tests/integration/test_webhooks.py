"""Webhooks end to end: events written with the change, delivered by the worker to a real HTTP
receiver on loopback that checks each signature as the Standard Webhooks convention says (the
check is written here from the convention, not taken from the app), retries that carry the same
webhook-id, a 410 that disables the endpoint, rotation, and the address guard."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import queue
import socket
import ssl
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (TicketStatus, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus,
                        WebhookEndpoint, WebhookEvent)
from app.models.enums import PaymentStatus, Urgency
from app.services import assignment, notes, quote_decisions, status_changes, tickets, worklog
from app.services.billing import basis, payment
from app.services.tickets import TicketFields
from app.services.errors import InvalidTransition, NotPermitted, ValidationFailed
from app.webhooks import worker
from app.services.webhooks.endpoints import (EndpointInput, create_endpoint, delete_endpoint,
                                             list_deliveries, resend_delivery, rotate_secret,
                                             update_endpoint)
from app.services.webhooks.transport import Answer
from tests import factories

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
D = WebhookDeliveryStatus


class Trickler:
    """A receiver on 127.0.0.1 whose first answer comes a byte of a header at a time, every
    `pause` seconds, for `count` bytes (each byte well inside the timeout), then completes;
    later connections are answered at once. `cut` is set when the sender hung up mid-trickle."""

    def __init__(self, pause: float = 0.05, count: int = 120):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.pause, self.count = pause, count
        self.cut, self.requests = threading.Event(), 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            with connection:
                self._answer(connection)

    def _answer(self, connection):
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(65536)
        head, body = request.split(b"\r\n\r\n", 1)
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length")))
        while len(body) < length:
            body += connection.recv(65536)
        self.requests += 1
        try:
            if self.requests == 1:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in range(self.count):
                    time.sleep(self.pause)
                    connection.sendall(b"z")
            else:
                connection.sendall(b"HTTP/1.1 200 OK")
            connection.sendall(b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            self.cut.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self.thread.join(timeout=10)


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (headers, exact body) and answers
    with the statuses queued by the test (200 when none is queued)."""

    def __init__(self, tls: tuple[str, str] | None = None):
        self.requests: list[tuple[dict, bytes]] = []
        self.answers: queue.Queue[int] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                try:
                    answer = receiver.answers.get_nowait()
                except queue.Empty:
                    answer = 200
                status = answer() if callable(answer) else answer  # a callable: a slow answer
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.end_headers()
                self.wfile.write(b"answer %d" % status)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/soporte?x=1"
        if tls:  # (certificate file, key file): answer over TLS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = self.url.replace("http://", "https://")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def verified(secret: str, headers: dict, body: bytes) -> bool:
    """The Standard Webhooks check, from the convention: base64 HMAC-SHA256 with the secret's
    key bytes (after "whsec_") over "{id}.{timestamp}.{body}"; any "v1," signature may match."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ")
             if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, signature) for signature in given)


@pytest.fixture
def world(app):
    app.config["SOPORTE_FIXED_NOW"] = T0
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    return factories.make_world()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def register(w, url, types=None):
    new = create_endpoint(w.admin, EndpointInput(url=url, event_types=types or []))
    db.session.commit()
    return new


def at(app, moment):
    app.config["SOPORTE_FIXED_NOW"] = moment


def test_a_new_ticket_reaches_the_receiver_signed_with_the_endpoint_secret(app, world, receiver):
    new = register(world, receiver.url)
    assert new.secret.startswith("whsec_") and len(base64.b64decode(new.secret[6:])) >= 24

    ticket = factories.new_ticket(world)
    report = worker.send_once()

    assert report.delivered == 1
    [(headers, body)] = receiver.requests
    assert verified(new.secret, headers, body)
    assert headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert payload["type"] == "ticket.created"
    assert payload["timestamp"] == "2026-03-02T10:00:00.000Z"
    assert payload["data"]["ticket"] == {
        "number": ticket.number, "status": "NEW", "urgency": "MEDIUM",
        "client_id": world.client.id, "contact_id": world.contact.id, "assignee_id": None,
        "type_id": None}
    assert payload["data"]["actor_user_id"] == world.agent.id
    event = db.session.scalar(select(WebhookEvent))
    assert headers["webhook-id"] == event.event_id and body == event.payload.encode()
    [delivery] = list_deliveries(world.admin, new.endpoint)
    assert delivery.status is D.DELIVERED and delivery.last_status_code == 200
    [attempt] = delivery.attempt_log
    assert attempt.status_code == 200 and attempt.response_excerpt == "answer 200"


def test_a_signature_over_other_bytes_or_another_secret_does_not_verify(app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    worker.send_once()
    [(headers, body)] = receiver.requests
    assert not verified(new.secret, headers, body + b" ")
    assert not verified(new.secret, {**headers, "webhook-timestamp": "1"}, body)
    other = register(world, receiver.url).secret
    assert not verified(other, headers, body)


def test_a_retry_after_a_500_carries_the_same_id_and_body(app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    receiver.answers.put(500)

    first = worker.send_once()
    assert first.retried == 1 and first.delivered == 0
    [delivery] = list_deliveries(world.admin, new.endpoint)
    assert delivery.status is D.PENDING and delivery.last_status_code == 500
    assert delivery.next_attempt_at >= T0 + dt.timedelta(seconds=5)
    assert worker.send_once().delivered == 0  # not due yet: nothing is sent early

    at(app, delivery.next_attempt_at)
    assert worker.send_once().delivered == 1
    (h1, b1), (h2, b2) = receiver.requests
    assert h1["webhook-id"] == h2["webhook-id"] and b1 == b2
    assert h1["webhook-timestamp"] != h2["webhook-timestamp"]
    assert verified(new.secret, h1, b1) and verified(new.secret, h2, b2)
    db.session.expire_all()
    assert [a.status_code for a in list_deliveries(world.admin, new.endpoint)[0].attempt_log] \
        == [200, 500]


def test_retries_span_more_than_a_day_then_the_delivery_fails(app, world, receiver):
    register(world, receiver.url)
    factories.new_ticket(world)
    for _ in range(20):
        receiver.answers.put(503)
    now = T0
    while True:
        worker.send_once()
        delivery = db.session.scalar(select(WebhookDelivery))
        if delivery.status is not D.PENDING:
            break
        now = delivery.next_attempt_at
        at(app, now)
    assert delivery.status is D.FAILED
    assert len(receiver.requests) == worker.MAX_ATTEMPTS
    assert now - T0 >= dt.timedelta(days=1)
    assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1


def test_a_410_disables_the_endpoint_and_cancels_its_waiting_deliveries(app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    factories.new_ticket(world)
    receiver.answers.put(410)

    report = worker.send_once()

    assert len(receiver.requests) == 1 and report.failed == 1
    db.session.expire_all()
    endpoint = db.session.get(WebhookEndpoint, new.endpoint.id)
    assert not endpoint.active and endpoint.disabled_reason == "gone"
    statuses = sorted(d.status.value for d in list_deliveries(world.admin, endpoint))
    assert statuses == ["CANCELLED", "FAILED"]
    factories.new_ticket(world)  # a disabled endpoint gets no new deliveries
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 2
    with pytest.raises(InvalidTransition):
        resend_delivery(world.admin, list_deliveries(world.admin, endpoint)[0])


def test_a_change_rolled_back_leaves_no_event(app, world, receiver):
    register(world, receiver.url)
    from app.services import tickets
    from app.services.tickets import TicketFields

    tickets.create_ticket(world.agent, TicketFields(client_id=world.client.id,
                                                    description="Se revierte"))
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1  # in the txn
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert worker.send_once().delivered == 0 and receiver.requests == []


def test_without_an_endpoint_no_event_is_written(app, world):
    factories.new_ticket(world)
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_every_event_type_is_emitted_where_its_change_happens(app, world, receiver):
    register(world, receiver.url)
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    factories.quote(world, ticket)
    quote = ticket.current_quote
    quote_decisions.decide_by_customer(quote.id, quote.version, True)
    status_changes.change_status(world.agent, ticket, TicketStatus.IN_PROGRESS, "Empiezo")
    notes.add_internal_note(world.agent, ticket, "Nota interna")
    notes.reply_publicly(world.agent, ticket, "Respuesta al cliente")
    worklog.log_time(world.agent, ticket, 1, 30)
    status_changes.close_ticket(world.agent, ticket, "Resuelto")
    db.session.commit()

    types = [json.loads(e.payload)["type"] for e in
             db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))]
    assert types == ["ticket.created", "ticket.assigned", "ticket.status_changed", "quote.sent",
                     "ticket.status_changed", "ticket.billing_changed", "quote.decided",
                     "ticket.status_changed",
                     "note.added", "reply.added", "time.logged", "ticket.status_changed"]
    payloads = {json.loads(e.payload)["type"]: json.loads(e.payload)["data"]
                for e in db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))}
    assert payloads["ticket.assigned"]["assignee_id"] == world.agent.id
    assert (payloads["ticket.billing_changed"]["field"],
            payloads["ticket.billing_changed"]["new"]) == ("billing_basis", "QUOTE:1")
    assert payloads["quote.decided"]["quote"]["status"] == "APPROVED"
    assert payloads["quote.decided"]["quote"]["decision_channel"] == "LINK"
    assert payloads["time.logged"]["time_entry"]["minutes"] == 90
    assert payloads["ticket.status_changed"]["new_status"] == "CLOSED"
    assert payloads["reply.added"]["note"]["kind"] == "PUBLIC_REPLY"
    assert worker.send_once().delivered == len(types)
    assert [json.loads(body)["type"] for _, body in receiver.requests] == types


def test_an_edit_and_each_billing_or_payment_change_is_announced_with_before_and_after(
        app, world, receiver):
    """ticket.updated names each edited field (references by id, urgency by name) with its value
    before and after; ticket.billing_changed each change of the billing basis or the payment
    status, whoever made it; an edit that changes nothing announces nothing."""
    register(world, receiver.url)
    ticket = factories.new_ticket(world, subject="Impresora")
    db.session.execute(delete(WebhookDelivery))
    db.session.execute(delete(WebhookEvent))
    db.session.commit()

    fields = TicketFields(client_id=ticket.client_id, contact_id=ticket.contact_id,
                          description=ticket.description, subject=ticket.subject,
                          urgency=ticket.urgency, type_id=ticket.type_id)
    tickets.edit_ticket(world.agent, ticket, fields)  # nothing changed
    tickets.edit_ticket(world.agent, ticket, replace(
        fields, subject="Impresora sin tóner", urgency=Urgency.HIGH,
        contract_id=world.covering_contract.id))
    basis.mark_free(world.supervisor, ticket, True, "Garantía")  # covered: free already
    basis.mark_free(world.supervisor, ticket, False)
    payment.set_payment_status(world.supervisor, ticket, PaymentStatus.PAID)
    db.session.commit()

    events = [json.loads(e.payload) for e in
              db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id))]
    assert events[0]["type"] == "ticket.updated"  # the edit first, then what followed from it
    assert events[0]["data"]["changes"] == {
        "subject": {"changed": True},  # a text field's words are not sent
        "urgency": {"old": "MEDIUM", "new": "HIGH"},
        "contract_id": {"old": None, "new": world.covering_contract.id}}
    assert events[0]["data"]["actor_user_id"] == world.agent.id
    assert [e["type"] for e in events[1:]] == ["ticket.billing_changed"] * 5
    covered = f"CONTRACT:{world.covering_contract.id}"
    assert [(e["data"]["field"], e["data"]["old"], e["data"]["new"]) for e in events[1:]] == [
        # the covering contract, while New: not billed (marking it free then changes nothing)
        ("billing_basis", "BILLED", covered), ("payment_status", "UNPAID", "NOT_APPLICABLE"),
        # billed again, then paid
        ("billing_basis", covered, "BILLED"), ("payment_status", "NOT_APPLICABLE", "UNPAID"),
        ("payment_status", "UNPAID", "PAID")]
    assert worker.send_once().delivered == len(events)
    assert [json.loads(body)["type"] for _, body in receiver.requests] == \
        [event["type"] for event in events]


def test_an_endpoint_gets_only_the_types_it_subscribes_to(app, world, receiver):
    only_assigned = register(world, receiver.url, ["ticket.assigned"]).endpoint
    everything = register(world, receiver.url).endpoint
    ticket = factories.new_ticket(world)
    assignment.assign(world.supervisor, ticket, world.agent.id)
    db.session.commit()
    assert [d.event.type for d in list_deliveries(world.admin, only_assigned)] == \
        ["ticket.assigned"]
    assert len(list_deliveries(world.admin, everything)) == 2


def test_rotation_signs_with_both_secrets_until_the_overlap_ends(app, world, receiver):
    old = register(world, receiver.url)
    new = rotate_secret(world.admin, old.endpoint)
    db.session.commit()
    assert new.secret != old.secret and new.previous_until == T0 + dt.timedelta(hours=24)

    factories.new_ticket(world)
    worker.send_once()
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert verified(old.secret, headers, body) and verified(new.secret, headers, body)

    at(app, T0 + dt.timedelta(hours=24, seconds=1))
    factories.new_ticket(world)
    worker.send_once()
    headers, body = receiver.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert verified(new.secret, headers, body) and not verified(old.secret, headers, body)


def test_a_rotation_without_overlap_stops_the_old_secret_at_once(app, world, receiver):
    old = register(world, receiver.url)
    new = rotate_secret(world.admin, old.endpoint, keep_previous_hours=0)
    db.session.commit()
    factories.new_ticket(world)
    worker.send_once()
    headers, body = receiver.requests[-1]
    assert verified(new.secret, headers, body) and not verified(old.secret, headers, body)
    with pytest.raises(ValidationFailed) as refused:
        rotate_secret(world.admin, old.endpoint, keep_previous_hours=1000)
    assert refused.value.field == "keep_previous_hours"


def test_send_again_repeats_the_same_event(app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    worker.send_once()
    [delivery] = list_deliveries(world.admin, new.endpoint)
    resend_delivery(world.admin, delivery)
    db.session.commit()
    assert worker.send_once().delivered == 1
    (h1, b1), (h2, b2) = receiver.requests
    assert h1["webhook-id"] == h2["webhook-id"] and b1 == b2
    assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 2


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(app, world, receiver):
    register(world, receiver.url)
    factories.new_ticket(world)
    first = worker.claim_next(T0)
    assert first is not None and first.status is D.SENDING and first.attempts == 1
    assert worker.claim_next(T0) is None
    again = worker.claim_next(T0 + worker.lease())  # its worker died: sent again, same event
    assert again.id == first.id and again.attempts == 2


def test_a_result_arriving_after_the_lease_was_reclaimed_changes_nothing(app, world, receiver):
    register(world, receiver.url)
    factories.new_ticket(world)
    report = worker.SendReport()
    assert worker.lease() > dt.timedelta(seconds=2 * worker.attempt_deadline())
    stalled = worker.prepare(worker.claim_next(T0), report)
    at(app, T0 + worker.lease())  # the first worker stalled past its lease: reclaimed
    second = worker.prepare(worker.claim_next(T0 + worker.lease()), report)
    assert second.claim.attempts == 2

    worker.record(stalled.claim, Answer(200, "late"), None, 5, report)  # dropped
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.SENDING and delivery.attempts == 2
    assert delivery.last_status_code is None and delivery.attempt_log == []
    assert report.delivered == 0

    worker.record(second.claim, Answer(500, "down"), None, 5, report)
    db.session.expire_all()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.PENDING and delivery.last_status_code == 500
    resend_delivery(world.admin, delivery)  # attempts back to 0: claimed again as attempt 1,
    db.session.commit()                     # as the stalled claim was, but with another lease
    third = worker.prepare(worker.claim_next(T0 + worker.lease()), report)
    assert third.claim.attempts == stalled.claim.attempts == 1

    worker.record(stalled.claim, Answer(200, "later still"), None, 5, report)
    db.session.expire_all()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.SENDING and [a.status_code for a in delivery.attempt_log] == [500]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://10.1.2.3/", "http://192.168.0.5/",
    "http://172.16.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[fe80::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://[::]/", "http://224.0.0.1/", "http://100.64.0.1/", "http://localhost:5000/hook",
    "http://[fec0::1]/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
    "http://2130706433/", "http://0177.0.0.1/", "http://0x7f000001/",
])
def test_private_loopback_and_link_local_addresses_are_refused(app, world, url):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    with pytest.raises(ValidationFailed) as refused:
        create_endpoint(world.admin, EndpointInput(url=url))
    assert refused.value.field == "url"


@pytest.mark.parametrize("url", [
    "ftp://93.184.215.14/", "file:///etc/passwd", "https://user:secret@93.184.215.14/hook",
    "93.184.215.14/hook", "", "http:///nohost", "http://exa mple.com/", "http://1.2.3.4:99999/",
    "https://" + "a" * 2000 + ".example/",
])
def test_a_url_that_is_not_a_plain_http_url_is_refused(app, world, url):
    with pytest.raises(ValidationFailed) as refused:
        create_endpoint(world.admin, EndpointInput(url=url))
    assert refused.value.field == "url"


def test_a_public_address_is_accepted_and_an_allowed_network_too(app, world):
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    assert create_endpoint(world.admin, EndpointInput(url="https://93.184.215.14/hook"))
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "10.0.0.0/8, not-a-network"
    assert create_endpoint(world.admin, EndpointInput(url="http://10.1.2.3/hook"))
    with pytest.raises(ValidationFailed):
        create_endpoint(world.admin, EndpointInput(url="http://192.168.1.1/hook"))


def test_the_address_is_checked_again_at_each_attempt(app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""  # as if the name now led elsewhere

    report = worker.send_once()

    assert receiver.requests == [] and report.retried == 1
    [delivery] = list_deliveries(world.admin, new.endpoint)
    assert delivery.status is D.PENDING
    assert delivery.last_error == "refused: 127.0.0.1 resolves to 127.0.0.1, not a public address"
    assert delivery.last_status_code is None


def test_the_attempt_resolves_the_name_again_and_connects_to_the_address_it_checked(
        app, world, receiver, monkeypatch):
    real_getaddrinfo = socket.getaddrinfo
    answers, lookups = [], []  # what the name resolves to next (the last one stays)

    def resolver(host, port, *args, **kwargs):  # a DNS whose answer changes: a fault to provoke
        if host != "hooks.example.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = ""
    app.config["SOPORTE_WEBHOOKS_TIMEOUT"] = 2
    url = f"http://hooks.example.test:{receiver.server.server_port}/hook"
    answers[:] = ["93.184.215.14"]  # public when registered
    register(world, url)
    factories.new_ticket(world)

    answers[:] = ["127.0.0.1"]  # loopback when delivered: refused, nothing sent
    assert worker.send_once().retried == 1 and receiver.requests == []
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.last_error == \
        "refused: hooks.example.test resolves to 127.0.0.1, not a public address"

    # loopback allowed now; a second lookup within the attempt would answer 192.0.2.1 (nothing
    # there): the connection goes to the first, vetted answer, never to a fresh lookup
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    answers[:] = ["127.0.0.1", "192.0.2.1"]
    before = len(lookups)
    at(app, delivery.next_attempt_at)
    assert worker.send_once().delivered == 1
    assert len(lookups) == before + 1
    [(headers, _)] = receiver.requests
    assert headers["host"] == f"hooks.example.test:{receiver.server.server_port}"


def test_a_receiver_that_does_not_answer_is_retried(app, world):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now: connection refused
    register(world, f"http://127.0.0.1:{port}/")
    factories.new_ticket(world)
    assert worker.send_once().retried == 1
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.PENDING and delivery.last_error


def test_only_administrators_manage_endpoints(app, world, receiver):
    for user in (world.supervisor, world.agent, world.viewer):
        with pytest.raises(NotPermitted):
            create_endpoint(user, EndpointInput(url=receiver.url))


def test_an_unknown_event_type_is_refused(app, world, receiver):
    with pytest.raises(ValidationFailed) as refused:
        create_endpoint(world.admin, EndpointInput(url=receiver.url, event_types=["ticket.gone"]))
    assert refused.value.field == "event_types"


def test_disabling_by_hand_cancels_waiting_deliveries_and_deleting_removes_the_log(
        app, world, receiver):
    new = register(world, receiver.url)
    factories.new_ticket(world)
    update_endpoint(world.admin, new.endpoint, EndpointInput(active=False))
    db.session.commit()
    assert worker.send_once().delivered == 0 and receiver.requests == []
    db.session.expire_all()
    assert [d.status for d in list_deliveries(world.admin, new.endpoint)] == [D.CANCELLED]
    update_endpoint(world.admin, new.endpoint, EndpointInput(active=True))
    delete_endpoint(world.admin, new.endpoint)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_deleting_an_endpoint_removes_the_events_no_other_endpoint_awaits(app, world, receiver):
    first, second = register(world, receiver.url), register(world, receiver.url)
    factories.new_ticket(world)  # one event, a delivery to each endpoint
    worker.send_once()
    delete_endpoint(world.admin, first.endpoint)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    delete_endpoint(world.admin, second.endpoint)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_the_secret_is_stored_encrypted(app, world, receiver):
    new = register(world, receiver.url)
    stored = db.session.scalar(select(WebhookEndpoint.secret_encrypted))
    assert new.secret not in stored and new.secret[6:] not in stored


def test_the_send_command_runs_one_pass(app, world, receiver, runner):
    register(world, receiver.url)
    factories.new_ticket(world)
    result = runner.invoke(args=["webhooks", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output and len(receiver.requests) == 1


def test_a_redirect_is_an_answer_not_followed(app, world, receiver):
    register(world, receiver.url)
    factories.new_ticket(world)
    receiver.answers.put(302)
    assert worker.send_once().retried == 1
    assert len(receiver.requests) == 1
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.PENDING and delivery.last_status_code == 302


def test_a_receiver_slower_than_the_timeout_is_retried(app, world, receiver):
    app.config["SOPORTE_WEBHOOKS_TIMEOUT"] = 0.3
    register(world, receiver.url)
    factories.new_ticket(world)
    release = threading.Event()
    receiver.answers.put(lambda: release.wait(30) and 200)  # answers once the test is done
    try:
        assert worker.send_once().retried == 1
    finally:
        release.set()
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status is D.PENDING and "timed out" in delivery.last_error


def test_a_receiver_trickling_its_answer_is_cut_at_the_deadline_and_retried(app, world):
    app.config["SOPORTE_WEBHOOKS_TIMEOUT"] = 0.5  # for the whole answer, not for each byte
    with Trickler() as trickler:
        register(world, trickler.url)
        factories.new_ticket(world)
        assert worker.send_once().retried == 1
        assert trickler.cut.wait(10)  # hung up before the trickle ended
        delivery = db.session.scalar(select(WebhookDelivery))
        assert delivery.status is D.PENDING and "timed out" in delivery.last_error
        assert delivery.last_status_code is None

        at(app, delivery.next_attempt_at)
        assert worker.send_once().delivered == 1
    db.session.expire_all()
    assert [a.status_code for a in db.session.scalar(select(WebhookDelivery)).attempt_log] \
        == [200, None]


def test_an_https_endpoint_with_a_certificate_nobody_vouches_for_is_not_sent_to(
        app, world, tmp_path):
    with Receiver(tls=_self_signed(tmp_path)) as receiver:
        register(world, receiver.url)
        factories.new_ticket(world)
        assert worker.send_once().retried == 1
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.last_error.startswith("TLS failed") and "CERTIFICATE_VERIFY_FAILED" in \
        delivery.last_error
    assert receiver.requests == []


def test_two_workers_at_once_send_each_delivery_once(app, world, receiver):
    register(world, receiver.url)
    for _ in range(8):
        factories.new_ticket(world)
    db.session.commit()
    errors = []

    def work():
        with app.app_context():
            try:
                worker.send_once()
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    ids = [headers["webhook-id"] for headers, _ in receiver.requests]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.status == D.DELIVERED)) == 8


def _self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 signed by itself, and its key (files)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
            .not_valid_after(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)
