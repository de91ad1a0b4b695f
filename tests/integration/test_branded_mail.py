"""Mail and pages that look like the company (issue 16): every customer email carries the company's
name, colours and logo (inside the message, by Content-ID), its text part says everything its
HTML says, the quote says until when it is valid in the customer's language; every customer
page shows the name, logo and colours; the logo is served safely; the administrator's page."""
import io
import re
from email import message_from_bytes, policy
from html.parser import HTMLParser

import pytest
from babel.dates import format_date
from sqlalchemy import select

from app.extensions import db
from app.mail.build import build_message
from app.models import CompanyBranding, OutboxMessage
from app.services import clock, portal_links, quote_links, ratings
from app.services.branding import current_brand
from tests.customer_mails import (CUSTOMER_MAIL_KINDS, brand_the_company, every_customer_mail,
                                  png)
from tests.factories import PASSWORD

ADMIN_PAGE = "/admin/marca/"


class _Visible(HTMLParser):
    """The text a reader sees in an HTML mail, and its links."""

    def __init__(self):
        super().__init__()
        self.words: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("title", "style", "head"):
            self._skip += 1
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("title", "style", "head"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.words += re.findall(r"\w+", data.lower())


def _visible(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    return parser


def _parsed(row: OutboxMessage):
    """The message as the customer's mail program gets it (built, sent as bytes, parsed)."""
    return message_from_bytes(build_message(row).as_bytes(), policy=policy.default)


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_customer_mail_carries_the_companys_name_colours_and_logo_inside(world, language):
    logo = png(300, 75)
    brand_the_company(world, logo=logo)
    contact = world.contact if language == "es" else world.english_contact
    mails = every_customer_mail(world, contact)
    cid = current_brand().logo_cid
    for kind in CUSTOMER_MAIL_KINDS:
        row = mails[kind]
        assert "Talleres Nórdicos S.L." in row.body_html, kind
        assert "background:#5b2a86" in row.body_html, kind  # the header band
        assert f'src="cid:{cid}"' in row.body_html, kind
        assert "Talleres Nórdicos S.L." in row.body_text, kind
        message = _parsed(row)
        assert message["From"].addresses[0].display_name == "Talleres Nórdicos S.L.", kind
        html_part = message.get_body(("html",))
        related = next(part for part in message.walk()
                       if part.get_content_type() == "multipart/related")
        assert html_part in list(related.iter_parts()), kind
        image = next(part for part in related.iter_parts()
                     if part.get_content_maintype() == "image")
        assert image["Content-ID"] == f"<{cid}>", kind
        assert image.get_content_type() == "image/png", kind
        assert image.get_content() == logo, kind
        assert image.get_content_disposition() == "inline", kind
        assert message.get_body(("plain",)).get_content().strip() == row.body_text.strip()
    view_ticket = mails["acknowledgement"].body_html
    assert "background:#a3123a" in view_ticket  # the "View the ticket" button


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_customer_mails_text_part_says_everything_its_html_says(world, language):
    brand_the_company(world)
    contact = world.contact if language == "es" else world.english_contact
    for kind, row in every_customer_mail(world, contact).items():
        seen = _visible(row.body_html)
        text = row.body_text
        text_words = set(re.findall(r"\w+", text.lower()))
        assert seen.links, kind
        for link in seen.links:
            assert link in text, f"{kind}: the link {link} is not in the text part"
        missing = [word for word in seen.words if word not in text_words]
        assert not missing, f"{kind}: the text part lacks {sorted(set(missing))}"


def test_the_quote_mail_has_its_items_price_hours_codes_links_and_expiry_in_both_parts(world):
    brand_the_company(world)
    mails = every_customer_mail(world, world.english_contact)
    row = mails["quote_request"]
    quote = db.session.get(OutboxMessage, row.id).ticket.current_quote
    expiry = clock.local(quote_links.expires_at(quote), clock.company_zone())
    for part in (row.body_text, row.body_html):
        assert "€1,234.50" in part and "2.5 h" in part
        assert "Valid until" in part and format_date(expiry.date(), "medium", locale="en") in part
        assert re.search(r"APPROVE [A-HJ-NP-Z2-9]{6} or REJECT [A-HJ-NP-Z2-9]{6}", part)
        # the link is signed when the mail is written: read its token back, not a new one
        token = re.search(r"/cotizacion/([\w.-]+)\?decision=approve", part).group(1)
        assert quote_links.quote_of_token(token).id == quote.id
        assert "El servidor de correo no arranca" in part  # the request quoted


def test_the_quote_says_its_expiry_and_amounts_in_spanish_to_a_spanish_customer(world, app):
    app.config["SOPORTE_QUOTE_LINK_DAYS"] = 10
    mails = every_customer_mail(world)
    row = mails["quote_request"]
    quote = row.ticket.current_quote
    expiry = clock.local(quote.created_at, clock.company_zone()).date()
    import datetime as dt
    expected = format_date(expiry + dt.timedelta(days=10), "medium", locale="es")
    for part in (row.body_text, row.body_html):
        assert "1.234,50\u00a0€" in part and "2,5 h" in part
        assert f"Válida hasta: {expected}" in part.replace("</th><td class=\"expires\">", ": ")


def test_without_settings_the_mail_has_the_configured_name_the_apps_colours_and_no_logo(
        world, app):
    app.config["SOPORTE_SUPPORT_NAME"] = "Mesa de ayuda Acme"
    mails = every_customer_mail(world)
    for kind, row in mails.items():
        assert "Mesa de ayuda Acme" in row.body_html and "Mesa de ayuda Acme" in row.body_text
        assert "background:#212529" in row.body_html and "cid:" not in row.body_html, kind
        message = _parsed(row)
        assert not any(part.get_content_maintype() == "image" for part in message.walk()), kind


def test_a_logo_replaced_after_the_mail_was_written_is_sent_under_its_content_id(world):
    brand_the_company(world, logo=png(200, 50))
    row = every_customer_mail(world)["closed"]
    brand_the_company(world, logo=png(100, 50))
    cid = re.search(r'src="cid:([^"]+)"', row.body_html).group(1)
    image = next(p for p in _parsed(row).walk() if p.get_content_maintype() == "image")
    assert image["Content-ID"] == f"<{cid}>" and image.get_content() == png(100, 50)


def _customer_pages(world) -> dict[str, str]:
    """Every customer page's path, reached from the mail the customer got."""
    mails = every_customer_mail(world)
    ticket = mails["acknowledgement"].ticket
    quoted = mails["quote_request"].ticket
    closed = mails["closed"].ticket
    db.session.refresh(world.contact)
    return {
        "ticket": f"/portal/t/{portal_links.make_token(world.contact, ticket)}",
        "ticket-with-quote": f"/portal/t/{portal_links.make_token(world.contact, quoted)}",
        "ticket-problem": "/portal/t/not-a-link",
        "request-link": "/portal/enlace",
        "quote": f"/cotizacion/{quote_links.make_token(quoted.current_quote)}",
        "quote-problem": "/cotizacion/not-a-link",
        "rate": f"/portal/valorar/{ratings.make_token(closed)}",
        "rate-problem": "/portal/valorar/not-a-link",
    }


def test_every_customer_page_shows_the_companys_name_logo_and_colours(world, client):
    brand_the_company(world)
    digest = db.session.get(CompanyBranding, 1).logo_sha256
    for name, path in _customer_pages(world).items():
        response = client.get(path)
        assert response.status_code in (200, 404), (name, response.status_code)
        page = response.get_data(as_text=True)
        assert '<span class="brand-name fw-semibold fs-5">Talleres Nórdicos S.L.</span>' in page, name
        assert f'src="/marca/logo/{digest}"' in page, name
        assert "background-color: #5b2a86" in page and "--bs-btn-bg: #a3123a" in page, name


def test_the_decision_page_shows_the_company_too(world, client):
    brand_the_company(world)
    quote_path = _customer_pages(world)["quote"]
    response = client.post(f"{quote_path}/aprobar")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="approve"' not in page
    assert "Talleres Nórdicos S.L." in page and "background-color: #5b2a86" in page
    assert re.search(r'src="/marca/logo/[0-9a-f]{64}"', page)


def test_the_quote_pages_say_until_when_the_quote_is_valid(world, client):
    pages = _customer_pages(world)
    quote = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "quote_request")).all()[-1].ticket.current_quote
    day = format_date(clock.local(quote_links.expires_at(quote), clock.company_zone()).date(),
                      "medium", locale="es")
    for name in ("quote", "ticket-with-quote"):
        page = client.get(pages[name]).get_data(as_text=True)
        assert "Válida hasta" in page and day in page, name


def test_the_logo_is_served_with_its_own_type_nosniff_and_cached(world, client):
    logo = png(120, 40)
    brand_the_company(world, logo=logo)
    digest = db.session.get(CompanyBranding, 1).logo_sha256
    response = client.get(f"/marca/logo/{digest}")
    assert response.status_code == 200 and response.data == logo
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    again = client.get(f"/marca/logo/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    brand_the_company(world, logo=png(160, 40))
    assert client.get(f"/marca/logo/{digest}").status_code == 404  # the old one is gone
    assert client.get("/marca/logo/" + "0" * 64).status_code == 404
    assert client.get("/marca/logo/../../etc/passwd").status_code == 404


def test_the_customer_pages_keep_their_csp_and_load_the_logo_from_their_own_origin(world, client):
    brand_the_company(world)
    response = client.get("/portal/enlace")
    assert "img-src 'self'" in response.headers["Content-Security-Policy"]
    assert re.search(r'src="/marca/logo/[0-9a-f]{64}"', response.get_data(as_text=True))


@pytest.mark.parametrize("role", ("supervisor", "agent", "viewer"))
def test_only_administrators_open_or_save_the_company_look(world, client, role):
    _login(client, getattr(world, role))
    assert client.get(ADMIN_PAGE).status_code == 403
    assert client.post(ADMIN_PAGE, data={"name": "Intruso"}).status_code == 403
    assert db.session.get(CompanyBranding, 1) is None


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    assert client.get(ADMIN_PAGE).status_code == 302


def test_an_administrator_saves_the_look_with_a_logo_and_sees_it(world, client, app):
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(ADMIN_PAGE).get_data(as_text=True)
    assert "Imagen de la empresa" in page and 'placeholder="#212529"' in page
    response = client.post(ADMIN_PAGE, data={
        "csrf_token": _csrf(page), "name": "Talleres Nórdicos", "primary_color": "#5b2a86",
        "accent_color": "#A3123A", "logo": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    row = db.session.get(CompanyBranding, 1)
    assert (row.name, row.accent_color, row.logo_content_type) == \
        ("Talleres Nórdicos", "#a3123a", "image/png")
    assert row.updated_by_id == world.admin.id
    saved = client.get(ADMIN_PAGE).get_data(as_text=True)
    assert "Guardado." in saved and "Guardado por última vez por Admin" in saved
    assert f'src="/marca/logo/{row.logo_sha256}"' in saved


def test_a_form_without_its_csrf_token_is_refused(world, client, app):
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(ADMIN_PAGE, data={"name": "Sin token"}).status_code == 400
    assert db.session.get(CompanyBranding, 1) is None


@pytest.mark.parametrize("fields, field, words", [
    ({"primary_color": "#ffff00"}, "primary_color", "Elija un tono más oscuro"),
    ({"accent_color": "azul"}, "accent_color", "seis dígitos hexadecimales"),
    ({"logo": b"<svg onload='alert(1)'/>"}, "logo", "No se aceptan logotipos SVG"),
    ({"logo": png(900, 60)}, "logo", "demasiado largo y estrecho"),
])
def test_a_refused_value_shows_the_form_again_with_the_reason_under_its_field(
        world, client, fields, field, words):
    _login(client, world.admin)
    if "logo" in fields:  # a file of its own per request (the client closes what it sends)
        fields = {"logo": (io.BytesIO(fields["logo"]), "logo.png")}
    response = client.post(ADMIN_PAGE, data={"name": "Acme", **fields},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert 'value="Acme"' in page  # what was typed is kept
    assert db.session.get(CompanyBranding, 1) is None


def test_the_admin_home_lists_the_company_look(world, client):
    _login(client, world.admin)
    home = client.get("/admin/").get_data(as_text=True)
    assert ADMIN_PAGE in home and "Imagen de la empresa" in home
