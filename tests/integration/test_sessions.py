"""Ending sessions: sign-out, a password change, deactivation and an administrator's "sign out
everywhere" end every session of that user, copied cookies and the remember-me cookie included."""
import datetime as dt
import re
from email.utils import parsedate_to_datetime
from html import unescape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import User
from app.services import accounts
from tests.browsers import browser
from tests.factories import PASSWORD

DASHBOARD = "/operacion/ticket"


def _signed_in(app, user, remember: bool = False):
    """A browser signed in as user (with the remember-me box ticked if asked)."""
    client = browser(app)
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _copy(client, app, names=("session", "remember_token")):
    """Another browser holding copies of client's cookies, as someone who stole them would."""
    thief = browser(app)
    for name in names:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def _opens_the_dashboard(client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def _sent_to_sign_in(client) -> bool:
    answer = client.get(DASHBOARD)
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def _edit_user(admin_browser, user, **changes):
    """Save the user's admin form with the given changes (the other fields as they are)."""
    data = {"email": user.email, "name": user.name, "role": user.role.value,
            "language": user.language.name, "active": "y", "new_password": ""}
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return admin_browser.post(f"/admin/user/edit/?id={user.id}", data=data)


def test_a_copied_session_cookie_stops_working_when_its_user_signs_out(world, app):
    agent = _signed_in(app, world.agent)
    thief = _copy(agent, app, names=("session",))
    assert _opens_the_dashboard(thief)
    agent.post("/logout")
    assert _sent_to_sign_in(thief) and _sent_to_sign_in(agent)
    again = _signed_in(app, world.agent)  # signing in anew works
    assert _opens_the_dashboard(again)


def test_sign_out_ends_the_users_sessions_in_every_browser(world, app):
    laptop, phone = _signed_in(app, world.agent), _signed_in(app, world.agent, remember=True)
    other_user = _signed_in(app, world.supervisor)
    laptop.post("/logout")
    assert _sent_to_sign_in(phone)
    assert _opens_the_dashboard(other_user)  # only that user's sessions end


def test_the_remember_cookie_alone_stops_working_after_sign_out(world, app):
    agent = _signed_in(app, world.agent, remember=True)
    assert _opens_the_dashboard(_copy(agent, app, names=("remember_token",)))
    agent.post("/logout")
    assert _sent_to_sign_in(_copy(agent, app, names=("remember_token",)))


def test_the_remember_cookie_lasts_fourteen_days_not_a_year(world, app):
    client = browser(app)
    answer = client.post("/login", data={"email": world.agent.email, "password": PASSWORD,
                                         "remember": "y"})
    remember = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember[0]).group(1))
    assert expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=14, minutes=5)


def test_a_password_change_ends_every_session_of_that_user(world, app):
    agent = _signed_in(app, world.agent, remember=True)
    stolen_session, stolen_remember = (_copy(agent, app, names=("session",)),
                                       _copy(agent, app, names=("remember_token",)))
    admin = _signed_in(app, world.admin)
    assert _edit_user(admin, world.agent, new_password="otra clave muy larga").status_code == 302
    for client in (agent, stolen_session, stolen_remember):
        assert _sent_to_sign_in(client)
    assert _opens_the_dashboard(admin)


def test_deactivation_ends_every_session_of_that_user(world, app):
    agent = _signed_in(app, world.agent, remember=True)
    stolen = _copy(agent, app)
    admin = _signed_in(app, world.admin)
    assert _edit_user(admin, world.agent, active=None).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, world.agent.id).active
    assert _sent_to_sign_in(agent) and _sent_to_sign_in(stolen)
    # activating the account again does not bring the old sessions back
    assert _edit_user(admin, world.agent, active="y").status_code == 302
    assert _sent_to_sign_in(stolen)


def _sign_out_everywhere_form(listing: str, user_id: int) -> tuple[str, dict]:
    """The row action's form for that user: its action URL and fields (a plain form, no script)."""
    for form in re.findall(r"<form[^>]*>.*?</form>", listing, re.S):
        if "sign-out-everywhere" in form and f'value="{user_id}"' in form:
            assert not re.search(r"\son\w+=", form)  # no inline handler: the CSP would block it
            action = unescape(re.search(r'action="([^"]+)"', form).group(1))
            fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
            return action, fields
    raise AssertionError("no sign-out-everywhere form for that user")


def test_an_administrators_sign_out_everywhere_ends_every_session_of_that_user(world, app):
    agent = _signed_in(app, world.agent, remember=True)
    stolen = _copy(agent, app)
    other_user = _signed_in(app, world.supervisor)
    admin = _signed_in(app, world.admin)
    listing = admin.get("/admin/user/").get_data(as_text=True)
    action, fields = _sign_out_everywhere_form(listing, world.agent.id)
    answer = admin.post(action, data=fields)
    assert answer.status_code == 302
    assert _sent_to_sign_in(agent) and _sent_to_sign_in(stolen)
    assert _opens_the_dashboard(other_user) and _opens_the_dashboard(admin)
    assert world.agent.email in admin.get("/admin/user/").get_data(as_text=True)


def test_only_administrators_may_sign_others_out_everywhere(world, app):
    agent = _signed_in(app, world.agent)
    supervisor = _signed_in(app, world.supervisor)
    answer = supervisor.post("/admin/user/sign-out-everywhere/", data={"id": world.agent.id})
    assert answer.status_code == 403
    assert _opens_the_dashboard(agent)


def test_an_administrator_who_changes_their_own_password_stays_signed_in_there(world, app):
    admin = _signed_in(app, world.admin)
    stolen = _copy(admin, app)
    assert _edit_user(admin, world.admin, new_password="una clave nueva y larga").status_code == 302
    assert _opens_the_dashboard(admin)
    assert _sent_to_sign_in(stolen)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.text(max_size=40), st.from_regex(r"\d{1,25}:\d{1,25}", fullmatch=True),
                       st.sampled_from(["1", "1:0", "1:1", "01:0", "1:-1", "１:0", "1:0:0"])))
def test_a_session_token_names_its_current_user_or_nobody_never_an_error(world, token):
    user = accounts.user_for_session(token)
    assert user is None or (token == user.get_id() and user.active)


def test_a_password_set_by_any_door_ends_the_users_sessions(world, app):
    agent = _signed_in(app, world.agent, remember=True)
    stolen = _copy(agent, app)
    user = db.session.get(User, world.agent.id)
    user.set_password("una clave que nadie adivina")  # as a script or a future adapter would
    db.session.commit()
    assert _sent_to_sign_in(agent) and _sent_to_sign_in(stolen)
