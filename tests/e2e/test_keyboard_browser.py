"""The dashboard by keyboard, as an agent works without the mouse: j/k walk the ticket list and
Enter opens the chosen ticket; on the ticket r, n and a go to the reply, the internal note and
the assignee; / finds the search box from anywhere; ? (or the user menu) shows the shortcuts;
keys typed into a field stay in the field (app/static/shortcuts.js)."""
from playwright.sync_api import expect

from app.extensions import db
from tests import factories
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import open_user_menu, shot, sign_in

SELECTED_ROW = "tr.ticket-row.table-active"


def _sign_in(page, live_server: str, user) -> None:
    email = user.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    sign_in(page, live_server, email)


def _blur(page) -> None:
    """Leave the focused field, as a user does by pressing Tab out of it or clicking away."""
    page.evaluate("document.activeElement && document.activeElement.blur()")


def _row_links(page) -> list[str]:
    """The ticket addresses of the list's rows, top to bottom."""
    return page.eval_on_selector_all("tr.ticket-row", "rows => rows.map(r => r.dataset.href)")


def test_the_list_is_walked_with_j_and_k_and_enter_opens_the_ticket(live_server, page, world,
                                                                     backend):
    for subject in ("Impresora atascada", "Correo lento", "VPN sin conexión"):
        factories.new_ticket(world, subject=subject)
    _sign_in(page, live_server, world.supervisor)
    rows = _row_links(page)
    assert len(rows) == 3

    # "j" typed into the search box is a letter of the search, not a move
    page.keyboard.press("/")
    expect(page.locator("input[name=q]")).to_be_focused()
    page.keyboard.type("j")
    assert page.input_value("input[name=q]") == "j"
    assert page.locator(SELECTED_ROW).count() == 0
    _blur(page)

    for key in ("j", "j", "j", "k"):
        page.keyboard.press(key)
    selected = page.locator(SELECTED_ROW)
    expect(selected).to_have_count(1)
    assert selected.get_attribute("data-href") == rows[1]
    assert selected.get_attribute("aria-selected") == "true"
    expect(selected.locator("a.ticket-link")).to_be_focused()  # what a screen reader announces
    shot(page, f"keyboard-list-{backend}")

    page.keyboard.press("Enter")
    page.wait_for_url(f"**{rows[1]}")
    page.wait_for_selector("#ticket-page")


def test_r_n_and_a_reach_the_reply_the_note_and_the_assignee(live_server, page, world, backend):
    number = factories.new_ticket(world).number
    _sign_in(page, live_server, world.supervisor)
    page.goto(f"{live_server}/operacion/ticket/{number}")

    page.keyboard.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    _blur(page)
    page.keyboard.press("n")
    expect(page.locator("#note-text")).to_be_focused()
    page.keyboard.type("x")  # inside the note, "x" is text and "a" below would be too
    assert page.input_value("#note-text") == "x"
    _blur(page)
    page.keyboard.press("a")
    expect(page.locator("#assignee")).to_be_focused()
    _blur(page)

    # no search box on the ticket: "/" opens the list with its search focused
    page.keyboard.press("/")
    page.wait_for_url("**/operacion/ticket")
    expect(page.locator("input[name=q]")).to_be_focused()


def test_question_mark_and_the_user_menu_show_the_shortcuts(live_server, page, world, backend):
    factories.new_ticket(world)
    _sign_in(page, live_server, world.agent)
    help_dialog = page.locator("#shortcuts-help")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("?")
    expect(help_dialog).to_be_focused()  # shown, and Bootstrap has moved the focus into it
    assert "Atajos de teclado" in help_dialog.inner_text()
    shot(page, f"keyboard-help-{backend}")
    check_accessibility(page, "the shortcuts dialog")
    page.keyboard.press("j")  # the list behind an open dialog does not move
    assert page.locator(SELECTED_ROW).count() == 0
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    open_user_menu(page)
    page.click("[data-shortcuts-help]")
    expect(help_dialog).to_be_focused()
