"""Ending a user's sessions, in headless Chromium under the app's CSP: the administrator's "Sign out
everywhere" button (a plain form, no script) signs the user out of their own browser."""
from app.extensions import db
from tests.e2e.browsing import shot, sign_in

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_an_administrator_signs_a_user_out_everywhere_from_the_users_list(live_server, browser,
                                                                           world):
    agent_email, admin_email = world.agent.email, world.admin.email
    db.session.commit()  # no transaction left open (on SQLite it holds the server's lock)
    agent = browser.new_context(locale="es-ES").new_page()
    sign_in(agent, live_server, agent_email)
    admin = browser.new_context(locale="es-ES").new_page()
    admin.add_init_script(RECORD_VIOLATIONS)
    sign_in(admin, live_server, admin_email)
    admin.goto(f"{live_server}/admin/user/")
    admin.click(f"tr:has-text('{agent_email}') >> text=Cerrar sesión en todas partes")
    admin.wait_for_selector(f"text={agent_email} ya no tiene ninguna sesión")
    shot(admin, "admin-sign-out-everywhere")
    assert admin.evaluate("window.__violations") == []
    agent.goto(f"{live_server}/operacion/ticket")
    assert "/login" in agent.url
