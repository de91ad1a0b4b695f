"""Mail and pages that look like the company, in headless Chromium (issue 16).

Every customer email, as its mail program gets it (built, its logo taken from the message's own
inline part by Content-ID), rendered at 600 px (a desktop mail program's reading pane) and 320 px
(a small phone): nothing wider than the window, the logo loaded and shown, the company's name,
every button and link on screen. Every customer page (the ticket page, with a quote, the
link request, the quote, the rating, the pages of a bad link) at a phone's and a laptop's width:
axe-core finds no serious or critical violation, the logo loads within the pages' CSP, nothing
overflows. Screenshots: test-artifacts/mail-<kind>-<width>.png and
test-artifacts/portal-branded-<page>-<size>.png."""
import base64
from email import message_from_bytes, policy

import pytest

from app.extensions import db
from app.mail.build import build_message
from app.services import portal_links, quote_links, ratings
from tests.customer_mails import CUSTOMER_MAIL_KINDS, brand_the_company, every_customer_mail
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import shot

MAIL_WIDTHS = (600, 320)
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}

# What a reader must see, as one script: horizontal overflow, and each element's box.
_LAYOUT = """() => {
  const width = document.documentElement.clientWidth;
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height,
            text: (el.innerText || el.getAttribute('alt') || '').trim()}; };
  const logo = document.querySelector('img.brand-logo');
  return {width, scroll: document.documentElement.scrollWidth,
          logo: logo ? Object.assign(box(logo), {loaded: logo.complete && logo.naturalWidth > 0}) : null,
          name: document.querySelector('.brand-name') ? box(document.querySelector('.brand-name')) : null,
          links: [...document.querySelectorAll('a, button')].map(box)};
}"""


def _as_the_mail_program_shows_it(row) -> str:
    """The HTML part of the built message, its cid: logo replaced by the bytes of the message's
    own part with that Content-ID (what a mail program does; the test browser has no cid:)."""
    message = message_from_bytes(build_message(row).as_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part.get_content_maintype() == "image" and part["Content-ID"]:
            cid = part["Content-ID"].strip("<>")
            data = base64.b64encode(part.get_content()).decode("ascii")
            html = html.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return html


def _layout_problems(layout: dict, where: str, with_logo: bool = True) -> list[str]:
    """What is wrong with a rendered page: overflow, a missing logo or name, a link off screen."""
    problems = []
    width = layout["width"]
    if layout["scroll"] > width:
        problems.append(f"{where}: {layout['scroll']} px wide in a {width} px window")
    logo = layout["logo"]
    if with_logo and (logo is None or not logo["loaded"] or logo["width"] < 10
                      or logo["right"] > width):
        problems.append(f"{where}: the logo is not shown whole ({logo})")
    name = layout["name"]
    if name is None or name["width"] <= 0 or name["right"] > width or not name["text"]:
        problems.append(f"{where}: the company's name is not shown ({name})")
    for link in layout["links"]:
        if link["width"] <= 0 or link["height"] <= 0 or link["left"] < 0 or link["right"] > width:
            problems.append(f"{where}: the link or button {link['text']!r} is off screen ({link})")
    return problems


def test_every_customer_mail_renders_well_at_600_and_320_pixels(browser, app, world, backend):
    brand_the_company(world)
    mails = every_customer_mail(world)
    pages = {kind: _as_the_mail_program_shows_it(mails[kind]) for kind in CUSTOMER_MAIL_KINDS}
    db.session.commit()
    problems: list[str] = []
    for width in MAIL_WIDTHS:
        page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
        for kind, html in pages.items():
            page.set_content(html, wait_until="load")
            layout = page.evaluate(_LAYOUT)
            problems += _layout_problems(layout, f"the {kind} mail at {width} px")
            if not page.locator("a.button, a.rate, li a").first.is_visible():
                problems.append(f"the {kind} mail at {width} px: no visible button or link")
            shot(page, f"mail-{kind}-{width}")
        page.context.close()
    assert not problems, "\n".join(problems)


def test_a_mail_with_a_wide_logo_still_fits_a_phone(browser, app, world, backend):
    from tests.customer_mails import png

    brand_the_company(world, name="Compañía de Servicios Informáticos del Noroeste S.L.",
                      logo=png(1600, 400))
    html = _as_the_mail_program_shows_it(every_customer_mail(world)["quote_request"])
    db.session.commit()
    page = browser.new_context(viewport={"width": 320, "height": 900}).new_page()
    page.set_content(html, wait_until="load")
    problems = _layout_problems(page.evaluate(_LAYOUT), "a long name and wide logo at 320 px")
    shot(page, "mail-quote_request-320-long-name")
    assert not problems, "\n".join(problems)


def _customer_pages(world) -> dict[str, str]:
    """Each customer page's path, from the mail the customer got."""
    mails = every_customer_mail(world)
    db.session.refresh(world.contact)
    ticket, quoted = mails["acknowledgement"].ticket, mails["quote_request"].ticket
    paths = {
        "ticket": f"/portal/t/{portal_links.make_token(world.contact, ticket)}",
        "ticket-with-quote": f"/portal/t/{portal_links.make_token(world.contact, quoted)}",
        "ticket-link-problem": "/portal/t/not-a-valid-link",
        "request-link": "/portal/enlace",
        "quote": f"/cotizacion/{quote_links.make_token(quoted.current_quote)}",
        "quote-link-problem": "/cotizacion/not-a-valid-link",
        "rate": f"/portal/valorar/{ratings.make_token(mails['closed'].ticket)}",
    }
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    return paths


@pytest.mark.parametrize("size", SIZES)
def test_every_customer_page_shows_the_company_and_is_accessible(
        live_server, browser, world, app, backend, size):
    brand_the_company(world)
    paths = _customer_pages(world)
    page = browser.new_context(locale="es-ES", viewport=SIZES[size]).new_page()
    problems: list[str] = []
    for name, path in paths.items():
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        try:
            check_accessibility(page, f"{name} at the {size} width")
        except AssertionError as violation:
            problems.append(str(violation))
        problems += _layout_problems(page.evaluate(_LAYOUT), f"{name} at the {size} width")
        band = page.eval_on_selector("header.brand-band",
                                     "el => getComputedStyle(el).backgroundColor")
        if band != "rgb(91, 42, 134)":  # #5b2a86
            problems.append(f"{name} at the {size} width: the header is {band}")
        shot(page, f"portal-branded-{name}-{size}")
    assert not problems, "\n\n".join(problems)


def test_the_rating_page_sends_with_the_companys_button_colour(live_server, browser, world, app,
                                                               backend):
    brand_the_company(world)
    path = _customer_pages(world)["rate"]
    page = browser.new_context(locale="es-ES", viewport=SIZES["phone"]).new_page()
    page.goto(live_server + path)
    colour = page.eval_on_selector("#send-rating", "el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(163, 18, 58)"  # #a3123a
    page.check("input[name=score][value='5']")
    page.click("#send-rating")
    page.wait_for_load_state("load")
    assert page.locator(".brand-name").inner_text() == "Talleres Nórdicos S.L."
    check_accessibility(page, "the rating's thanks")
    shot(page, "portal-branded-rated-phone")


def test_the_administrator_sets_the_look_in_the_browser(live_server, page, world, app, backend,
                                                        tmp_path):
    from tests.customer_mails import png
    from tests.e2e.browsing import sign_in

    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "logo.png").write_bytes(png(240, 60))
    email = world.admin.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/admin/marca/")
    check_accessibility(page, "the company look's form")
    page.fill("#branding-name", "Talleres Nórdicos S.L.")
    page.fill("#branding-primary", "#ffe066")
    page.set_input_files("#branding-logo", str(tmp_path / "logo.svg"))
    page.click("#branding-save")
    assert "Elija un tono más oscuro" in page.inner_text("#primary_color-error")
    check_accessibility(page, "the company look's form with a refusal")
    shot(page, "admin-branding-refused")
    page.fill("#branding-primary", "#5b2a86")
    page.set_input_files("#branding-logo", str(tmp_path / "logo.png"))
    page.click("#branding-save")
    page.wait_for_selector("#branding-updated")
    # the saved logo loads in the preview (waited for: the page may show before its image)
    page.wait_for_function("() => { const logo = document.querySelector('#branding-preview img');"
                           " return logo !== null && logo.complete && logo.naturalWidth > 0; }")
    shot(page, "admin-branding-saved")
    page.goto(f"{live_server}/portal/enlace")
    assert page.inner_text(".brand-name") == "Talleres Nórdicos S.L."
