"""Flask-Admin in headless Chromium under the app's CSP (script-src 'self', nothing inline):
every admin page opens with no CSP violation and no console error, and the confirmations, the
bulk actions and the inline forms work."""
from sqlalchemy import select

from app.extensions import db
from app.models import Mailbox
from tests.e2e.browsing import shot, sign_in

ADMIN_VIEWS = ("client", "contact", "contract", "project", "tickettype", "user", "mailbox")

# Installed before any page script (Playwright's init scripts are not subject to the page CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push([e.violatedDirective, e.blockedURI, e.sample, e.sourceFile,
                           e.lineNumber].join(' '));
});
"""


def _watch(page) -> dict:
    """Record the page's console errors, page errors, CSP violations and dialogs from now on."""
    seen = {"errors": [], "dialogs": [], "answer": "dismiss"}
    page.on("console", lambda m: seen["errors"].append(f"{m.text} {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message.replace("\xa0", " "))
        getattr(dialog, seen["answer"])()

    page.on("dialog", on_dialog)
    page.add_init_script(RECORD_VIOLATIONS)
    return seen


def _mailbox_names() -> list[str]:
    """The mailboxes in the database (the transaction ended at once: on SQLite it is the lock)."""
    db.session.expire_all()
    names = db.session.scalars(select(Mailbox.name).order_by(Mailbox.name)).all()
    db.session.commit()
    return names


def _signed_in_admin(page, live_server, world, *mailboxes: Mailbox) -> dict:
    """Store the mailboxes, sign in as the administrator (no transaction left open), and watch
    the admin pages from then on (see _watch)."""
    email = world.admin.email
    db.session.add_all(mailboxes)
    db.session.commit()
    sign_in(page, live_server, email)
    return _watch(page)


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations || []")


def _open(page, url: str) -> list[str]:
    """Open a page and click its javascript: links (tabs, dropdown toggles); its violations."""
    page.goto(url)
    page.wait_for_load_state("load")
    for link in page.query_selector_all('a[href^="javascript:"]:visible'):
        link.click()
        page.keyboard.press("Escape")  # close what it opened (a dropdown, a select list)
    return _violations(page)


def test_every_admin_page_opens_with_no_csp_violation_or_console_error(live_server, world,
                                                                        page, backend):
    mailbox = Mailbox(name="Local", url="maildir:///var/mail/soporte")
    client_id = world.client.id
    seen = _signed_in_admin(page, live_server, world, mailbox)
    mailbox_id = mailbox.id
    db.session.commit()
    pages = ["/admin/"] + [f"/admin/{view}/{suffix}" for view in ADMIN_VIEWS
                           for suffix in ("", "new/")]
    pages += [f"/admin/mailbox/edit/?id={mailbox_id}", f"/admin/client/edit/?id={client_id}"]
    violations = {path: _open(page, live_server + path) for path in pages}
    shot(page, f"admin-client-edit-{backend}")
    assert {path: found for path, found in violations.items() if found} == {}
    assert seen["errors"] == []
    assert seen["dialogs"] == []


def test_deleting_a_mailbox_asks_first_and_a_no_keeps_it(live_server, world, page):
    seen = _signed_in_admin(page, live_server, world,
                     Mailbox(name="Local", url="maildir:///var/mail/soporte"))
    page.goto(f"{live_server}/admin/mailbox/")
    page.click("form.icon button")  # the row's trash can
    assert seen["dialogs"] == ["¿Está seguro de que quiere borrar este elemento?"]
    page.wait_for_load_state("load")
    assert _mailbox_names() == ["Local"]  # dismissed: kept
    seen["answer"] = "accept"
    with page.expect_navigation():
        page.click("form.icon button")
    assert len(seen["dialogs"]) == 2
    assert _mailbox_names() == []
    assert _violations(page) == [] and seen["errors"] == []


def test_a_bulk_delete_asks_first(live_server, world, page):
    seen = _signed_in_admin(page, live_server, world, Mailbox(name="Uno", url="maildir:///var/mail/uno"),
                     Mailbox(name="Dos", url="maildir:///var/mail/dos"))
    page.goto(f"{live_server}/admin/mailbox/")
    page.click("a.dropdown-toggle:has-text('Con seleccionados')")
    page.click("a.dropdown-item:has-text('Borrar')")
    assert len(seen["dialogs"]) == 1  # nothing selected: it says so
    page.check("input.action-rowtoggle")
    page.click("a.dropdown-toggle:has-text('Con seleccionados')")
    page.click("a.dropdown-item:has-text('Borrar')")
    assert len(seen["dialogs"]) == 2 and "?" in seen["dialogs"][1]  # asks; dismissed
    assert _mailbox_names() == ["Dos", "Uno"]
    seen["answer"] = "accept"
    page.click("a.dropdown-toggle:has-text('Con seleccionados')")
    with page.expect_navigation():
        page.click("a.dropdown-item:has-text('Borrar')")
    page.wait_for_load_state("load")
    assert _mailbox_names() == [], page.inner_text("body")
    assert _violations(page) == [] and seen["errors"] == []


def test_a_client_domain_is_added_and_removed_in_the_form(live_server, world, page):
    seen = _signed_in_admin(page, live_server, world)
    page.goto(f"{live_server}/admin/client/new/")
    before = page.locator("#domains .inline-field").count()
    page.click("#domains-button")
    assert page.locator("#domains .inline-field").count() == before + 1
    seen["answer"] = "accept"
    page.click("#domains .inline-field .inline-remove-field")
    assert len(seen["dialogs"]) == 1
    assert page.locator("#domains .inline-field").count() == before
    assert _violations(page) == [] and seen["errors"] == []


def _saved(page, live_server, view: str, row_id: int, field: str, value: str) -> str:
    """Open a row's edit form, type a new value into one field, save; the page shown after."""
    page.goto(f"{live_server}/admin/{view}/edit/?id={row_id}")
    page.fill(f"#{field}", value)
    with page.expect_navigation():
        page.click("input[type=submit].btn-primary")
    page.wait_for_load_state("load")
    return page.inner_text("body")


def _stored(model, row_id, field: str):
    """A field of a row as the database now holds it (the transaction ended at once: on SQLite
    it is the lock)."""
    db.session.expire_all()
    value = getattr(db.session.get(model, row_id), field)
    db.session.commit()
    return value


def _domains_of(client_id: int) -> list[str]:
    """The client's email domains as the database holds them (transaction ended at once)."""
    from app.models import ClientDomain

    db.session.expire_all()
    domains = db.session.scalars(select(ClientDomain.domain).where(
        ClientDomain.client_id == client_id).order_by(ClientDomain.domain)).all()
    db.session.commit()
    return domains


def test_every_admin_model_is_edited_and_saved_in_the_browser(live_server, world, page, backend):
    from app.models import Client, Contact, Contract, Project, TicketType, User

    mailbox = Mailbox(name="Local", url="maildir:///var/mail/soporte")
    rows = {"client": (Client, world.client.id, "name", "Acme Sociedad Anónima"),
            "contact": (Contact, world.contact.id, "name", "Carla C. Cliente"),
            "contract": (Contract, world.contract.id, "name", "Licencias 2027"),
            "project": (Project, world.project.id, "name", "Red nueva (fase 2)"),
            "tickettype": (TicketType, world.ticket_type.id, "name", "Incidente grave"),
            "user": (User, world.agent.id, "name", "Agente Primero")}
    seen = _signed_in_admin(page, live_server, world, mailbox)
    rows["mailbox"] = (Mailbox, mailbox.id, "name", "Local principal")
    db.session.commit()
    for view, (model, row_id, field, value) in rows.items():
        body = _saved(page, live_server, view, row_id, field, value)
        assert "Ya existe" not in body, (view, body)
        assert _stored(model, row_id, field) == value, (view, body)
    page.goto(f"{live_server}/admin/client/edit/?id={rows['client'][1]}")
    page.fill("#domains-0-domain", "ACME-nuevo.example ")
    with page.expect_navigation():
        page.click("input[type=submit].btn-primary")
    assert _domains_of(rows["client"][1]) == ["acme-nuevo.example"]  # normalised, replaced
    shot(page, f"admin-edits-saved-{backend}")
    assert _violations(page) == [] and seen["errors"] == []


def _save_user(page, live_server, user_id: int, *, active: bool | None = None,
               password: str = "") -> str:
    """Open the user's edit form, tick or untick Active and type a new password; save."""
    page.goto(f"{live_server}/admin/user/edit/?id={user_id}")
    if active is not None:
        page.set_checked("#active", active)
    if password:
        page.fill("#new_password", password)
    with page.expect_navigation():
        page.click("input[type=submit].btn-primary")
    page.wait_for_load_state("load")
    return page.inner_text("body")


def test_an_administrator_deactivates_reactivates_and_resets_a_user_in_the_browser(
        live_server, browser, world, page, backend):
    from app.models import TicketStatus, User
    from tests.factories import ticket_in

    ticket = ticket_in(world, TicketStatus.IN_PROGRESS, free=True)
    ticket.assignee_id = world.agent.id
    agent_id, agent_email = world.agent.id, world.agent.email
    seen = _signed_in_admin(page, live_server, world)
    agent = browser.new_context(locale="es-ES").new_page()
    sign_in(agent, live_server, agent_email)

    body = _save_user(page, live_server, agent_id, active=False)
    assert f"{agent_email} tiene 1 ticket abierto que necesita un nuevo asignado" in body, body
    assert _stored(User, agent_id, "active") is False
    shot(page, f"admin-user-deactivated-{backend}")
    with page.expect_navigation():
        page.click("text=Verlos y reasignarlos")
    assert "needs_assignee=1" in page.url
    agent.goto(f"{live_server}/operacion/ticket")
    assert "/login" in agent.url  # their session ended

    _save_user(page, live_server, agent_id, active=True)
    assert _stored(User, agent_id, "active") is True
    _save_user(page, live_server, agent_id, password="una clave nueva y larga")
    sign_in(agent, live_server, agent_email, "una clave nueva y larga")
    assert "/operacion/ticket" in agent.url
    refused = _save_user(page, live_server, agent_id, password="corta")
    assert "al menos 8 caracteres" in refused
    assert _violations(page) == [] and seen["errors"] == []


# Words Flask-Admin or the models would show in English (its "Salvar" too).
ENGLISH_WORDS = ("Name", "Active", "Client", "Email", "Language", "Role", "Domains",
                 "Covers Support", "Starts On", "Ends On", "Save", "Salvar")


def test_a_spanish_administrator_reads_the_admin_in_spanish_and_finds_the_way_back(
        live_server, world, page, backend):
    import re

    seen = _signed_in_admin(page, live_server, world,
                            Mailbox(name="Local", url="maildir:///var/mail/soporte"))
    db.session.commit()
    for path in ("/admin/", "/admin/contract/", "/admin/contract/new/", "/admin/user/new/"):
        page.goto(live_server + path)
        text = page.inner_text("body") + " " + " ".join(
            page.eval_on_selector_all("input[type=submit]", "els => els.map(e => e.value)"))
        english = [w for w in ENGLISH_WORDS if re.search(rf"\b{w}\b", text)]
        assert english == [], (path, english)
    page.goto(live_server + "/admin/")
    assert "hace gratuitos los tickets nuevos" in page.inner_text("body")
    shot(page, f"admin-home-{backend}")
    with page.expect_navigation():
        page.click("nav >> text=Volver a los tickets")
    assert page.url.endswith("/operacion/ticket")
    assert _violations(page) == [] and seen["errors"] == []
