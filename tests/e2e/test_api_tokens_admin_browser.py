"""Everyone's API tokens in headless Chromium: from the users list an administrator opens a
colleague's tokens, creates one (its secret shown once), revokes it, and the page passes axe at
a laptop's and a phone's width."""
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from app.services import api_tokens
from tests.e2e.accessibility import check_accessibility
from tests.e2e.browsing import PHONE, shot, sign_in


def _tokens() -> list[ApiToken]:
    """The tokens as the database holds them (the transaction ended at once: SQLite's lock)."""
    db.session.expire_all()
    tokens = db.session.scalars(select(ApiToken)).all()
    db.session.commit()
    return tokens


def test_an_administrator_gives_a_colleague_a_token_and_revokes_it(live_server, browser, world,
                                                                   page, backend):
    agent_id, agent_email, admin_email = world.agent.id, world.agent.email, world.admin.email
    db.session.commit()  # no transaction held while the browser works (SQLite's lock)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, admin_email)

    page.goto(f"{live_server}/admin/user/")
    with page.expect_navigation():
        page.click(f'a[href="/admin/tokens/?user_id={agent_id}"]')
    assert page.locator("h1").inner_text() == f"Tokens de API de {agent_email}"
    assert page.locator("#token-owner").input_value() == str(agent_id)
    page.fill("#token-name", "Integración ERP")
    page.fill("#token-scopes", "VIEW")
    with page.expect_navigation():
        page.click("#token-form button[type=submit]")
    secret = page.locator("#new-token-secret").input_value()
    assert "no se vuelve a mostrar" in page.locator("#new-token").inner_text()
    check_accessibility(page, "the new token's answer")
    shot(page, f"admin-api-token-created-{backend}")
    (token,) = _tokens()
    assert (token.user_id, token.scopes) == (agent_id, "VIEW")
    assert api_tokens.authenticate(secret).id == agent_id
    db.session.commit()

    page.goto(f"{live_server}/admin/tokens/")
    assert secret not in page.content()
    with page.expect_navigation():
        page.click("#tokens button:has-text('Revocar Integración ERP')")
    assert "ya no abre la API" in page.inner_text("body")
    assert _tokens()[0].revoked_at is not None
    assert api_tokens.authenticate(secret) is None
    db.session.commit()

    phone = browser.new_context(locale="es-ES", viewport=PHONE).new_page()
    sign_in(phone, live_server, admin_email)
    phone.goto(f"{live_server}/admin/tokens/")
    check_accessibility(phone, "everyone's tokens on a phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"
    shot(phone, f"admin-api-tokens-phone-{backend}")
    assert errors == []
