"""Passwords: short ones, the most common ones (a list shipped with the project) and the user's
own address are refused wherever a password is set: the accounts service, `flask users create`
and the admin's user form, each with a message saying what to do."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models import Role, User
from app.services import accounts
from app.services.errors import ValidationFailed
from tests.browsers import browser
from tests.factories import PASSWORD

COMMON = sorted(p for p in accounts.common_passwords() if len(p) >= accounts.MIN_PASSWORD)


def test_the_shipped_list_holds_thousands_of_common_passwords():
    listed = accounts.common_passwords()
    assert len(listed) > 10_000
    assert {"password", "qwerty123", "iloveyou", "12345678"} <= listed


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(COMMON), st.sampled_from([str.lower, str.upper, str.title]),
       st.sampled_from(["", " ", "\t"]))
def test_any_common_password_is_refused_whatever_its_case(password, case, padding):
    with pytest.raises(ValidationFailed) as refused:
        accounts.check_new_password(padding + case(password) + padding)
    assert refused.value.field == "password"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
               min_size=accounts.MIN_PASSWORD, max_size=40))
def test_a_long_uncommon_password_is_accepted(password):
    if password.strip().lower() in accounts.common_passwords() or not password.strip():
        return
    accounts.check_new_password(password)


def test_short_passwords_and_the_users_own_address_are_refused():
    with pytest.raises(ValidationFailed, match="at least 8"):
        accounts.check_new_password("corta")
    with pytest.raises(ValidationFailed, match="address"):
        accounts.check_new_password("Marta.Perez@Soporte.example", "marta.perez@soporte.example")
    with pytest.raises(ValidationFailed, match="address"):
        accounts.check_new_password("marta.perez", "marta.perez@soporte.example")


def test_the_service_refuses_common_passwords_when_creating_and_changing(world, app):
    with pytest.raises(ValidationFailed, match="comunes"):
        accounts.create_user("nuevo@soporte.example", "password1", Role.AGENT)
    with pytest.raises(ValidationFailed, match="comunes"):
        accounts.change_password(world.agent, "Qwerty123")
    assert world.agent.check_password(PASSWORD)


def test_the_cli_refuses_a_common_password_saying_what_to_do(runner, app):
    refused = runner.invoke(args=["users", "create", "--email", "a@soporte.example",
                                  "--role", "AGENT", "--password-stdin"], input="iloveyou\n")
    assert refused.exit_code != 0 and "comunes" in refused.output
    assert not db.session.scalars(select(User)).all()


def test_the_admin_form_refuses_a_common_password_saying_what_to_do(world, app):
    admin = browser(app)
    admin.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    created = admin.post("/admin/user/new/", data={
        "email": "nuevo@soporte.example", "name": "Nuevo", "role": "AGENT", "language": "ES",
        "active": "y", "new_password": "password123"})
    assert created.status_code == 200 and "comunes" in created.get_data(as_text=True)
    assert not db.session.scalars(select(User).where(User.email == "nuevo@soporte.example")).all()
    changed = admin.post(f"/admin/user/edit/?id={world.agent.id}", data={
        "email": world.agent.email, "name": world.agent.name, "role": "AGENT", "language": "ES",
        "active": "y", "new_password": "1234567890"})
    assert changed.status_code == 200 and "comunes" in changed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.agent.id).check_password(PASSWORD)
