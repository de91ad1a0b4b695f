"""The ticket page in the browser (issue 11), at desktop and phone widths: an agent replies to
the customer and adds an internal note from the composer below the conversation and sees each
in the thread, told apart, with the attached image previewed; the side panel sits beside the
conversation on a desktop and below it on a phone; no serious accessibility violation.
Screenshots go to test-artifacts/ticket-page-desktop.png and ticket-page-phone.png."""
import io

import pytest

from app.extensions import db
from app.services import notes
from app.services.notes import Upload
from tests import factories
from tests import mail_corpus as corpus
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import PHONE, shot, sign_in

WIDE = {"width": 1366, "height": 900}
SIZES = {"desktop": dict(viewport=WIDE),
         "phone": dict(viewport=PHONE, is_mobile=True, has_touch=True)}


def _saved(page) -> None:
    """The action was accepted (not refused with a message)."""
    page.wait_for_selector(".flash")
    errors = page.query_selector_all(".flash.error")
    assert not errors, errors[0].inner_text()


def _loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_agent_replies_and_adds_a_note_from_the_composer(live_server, browser, world, size,
                                                            tmp_path):
    ticket = factories.new_ticket(world, description="La impresora del segundo piso no imprime")
    notes.add_internal_note(world.agent, ticket, "Manual del fabricante",
                            [Upload("manual.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"),
                                    "application/pdf")])
    number, email = ticket.number, world.agent.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    (tmp_path / "captura.png").write_bytes(corpus.PNG)
    page = browser.new_context(locale="es-ES", **SIZES[size]).new_page()
    sign_in(page, live_server, email)
    page.goto(f"{live_server}/operacion/ticket/{number}")
    width = page.viewport_size["width"]

    # the description opens the thread; the composer's reply tab is ready
    first = page.locator("#timeline > li").first
    assert "La impresora del segundo piso" in first.inner_text()
    assert page.is_visible("#reply-text") and not page.is_visible("#note-text")

    # a reply with an image: it shows on the staff side, labelled, with a thumbnail
    page.fill("#reply-text", "Hoy pasa un técnico a revisarla")
    page.set_input_files("#reply-files", str(tmp_path / "captura.png"))
    page.click("#send-reply")
    _saved(page)
    reply = page.locator("#timeline .msg-PUBLIC_REPLY").last
    assert "Hoy pasa un técnico" in reply.inner_text()
    assert "Respuesta pública" in reply.locator(".msg-label").inner_text()
    thumbnail = reply.locator("img")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete", arg=thumbnail.element_handle())
    assert _loaded(thumbnail)
    assert "captura.png" in reply.inner_text()

    # an internal note from the other tab: yellow, labelled, after the reply
    page.click("#composer-tab-note")
    page.fill("#note-text", "Revisar el fusor antes de ir")
    page.click("#add-note")
    _saved(page)
    items = page.locator("#timeline > li")
    texts = [items.nth(i).inner_text() for i in range(items.count())]
    reply_at = next(i for i, t in enumerate(texts) if "Hoy pasa un técnico" in t)
    note_at = next(i for i, t in enumerate(texts) if "Revisar el fusor" in t)
    assert reply_at < note_at
    note = page.locator("#timeline .msg-INTERNAL").last
    assert "Nota interna" in note.locator(".msg-label").inner_text()
    assert note.evaluate("e => getComputedStyle(e).backgroundColor") != reply.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    # a PDF is a download link with its size, never an image
    manual = page.locator("#timeline .msg-download", has_text="manual.pdf")
    assert "bytes" in manual.locator("xpath=..").inner_text()
    assert page.locator("#timeline img[alt='manual.pdf']").count() == 0

    # the layout: the side panel beside the conversation on a desktop, below it on a phone
    thread = page.locator("#timeline").bounding_box()
    fields = page.locator("#ticket-fields").bounding_box()
    if size == "desktop":
        assert fields["x"] > thread["x"] + thread["width"] - 1
    else:
        assert fields["y"] > thread["y"] + thread["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_accessibility(page, f"ticket page ({size})")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"ticket-page-{size}")
    page.context.close()
