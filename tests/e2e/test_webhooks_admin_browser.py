"""The administrators' webhook pages in headless Chromium: an administrator registers an endpoint
(a real receiver on loopback), sees its secret once, a new ticket is delivered, and the
endpoint's log shows it with "send again"; the pages pass axe and fit a phone's width."""
import datetime as dt

from sqlalchemy import select

from app.extensions import db
from app.models import WebhookEndpoint
from app.webhooks import worker
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import PHONE, shot, sign_in
from tests.integration.test_webhooks import Receiver, verified

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)


def test_an_administrator_registers_an_endpoint_and_reads_its_log(live_server, browser, world,
                                                                 page, app, backend):
    app.config["SOPORTE_FIXED_NOW"] = T0
    app.config["SOPORTE_WEBHOOKS_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    admin_email = world.admin.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    with Receiver() as receiver:
        sign_in(page, live_server, admin_email)
        page.goto(f"{live_server}/admin/")
        with page.expect_navigation():
            page.click('a[href="/admin/webhooks/"]')
        with page.expect_navigation():
            page.click("#new-endpoint")
        page.fill("#endpoint-url", receiver.url)
        page.fill("#endpoint-description", "ERP de facturación")
        page.check("label:has-text('Ticket creado')")
        check_accessibility(page, "the new endpoint's form")
        with page.expect_navigation():
            page.click("#endpoint-form button[type=submit]")
        secret = page.locator("#new-secret-value").input_value()
        assert secret.startswith("whsec_")
        assert "no se vuelve a mostrar" in page.locator("#new-secret").inner_text()
        check_accessibility(page, "the new endpoint's secret")
        shot(page, f"admin-webhook-created-{backend}")

        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        endpoint_id, types = endpoint.id, endpoint.event_types
        assert types == "ticket.created"
        factories.new_ticket(world)
        db.session.commit()
        assert worker.send_once().delivered == 1
        db.session.commit()  # no transaction held while the browser works (SQLite's lock)
        assert verified(secret, *receiver.requests[0])

        with page.expect_navigation():
            page.click("#open-log")
        log = page.locator("#deliveries").inner_text()
        assert "Ticket creado" in log and "Entregado" in log and "answer 200" in log
        assert page.locator("#deliveries button:has-text('Enviar de nuevo')").count() == 1
        assert secret not in page.content()
        check_accessibility(page, "the delivery log")
        shot(page, f"admin-webhook-log-{backend}")

        phone = browser.new_context(locale="es-ES", viewport=PHONE).new_page()
        sign_in(phone, live_server, admin_email)
        for path in ("/admin/webhooks/", f"/admin/webhooks/{endpoint_id}/deliveries/"):
            phone.goto(f"{live_server}{path}")
            check_accessibility(phone, f"{path} on a phone")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide on a phone"
        shot(phone, f"admin-webhook-log-phone-{backend}")
    assert errors == []
