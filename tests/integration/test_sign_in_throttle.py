"""Sign-in: every outcome does the same work (one password hash check), so accounts cannot be told
apart by timing; failed attempts are throttled per account and address and per address, never
per account alone, so a stranger cannot lock staff out."""
import pytest
import werkzeug.security

from app.extensions import db
from tests.browsers import browser
from tests.factories import PASSWORD

ATTACKER, OFFICE = "203.0.113.9", "198.51.100.7"
PER_ACCOUNT = 5  # failed attempts allowed per account and address in the window


def _sign_in(client, email, password=PASSWORD, **headers):
    return client.post("/login", data={"email": email, "password": password}, headers=headers)


@pytest.fixture
def hash_checks(monkeypatch):
    """Every call of Werkzeug's check_password_hash, as the hash method it used (scrypt:…)."""
    calls = []
    real = werkzeug.security.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(werkzeug.security, "check_password_hash", spy)
    return calls


def test_every_outcome_does_one_password_hash_check_of_the_same_kind(world, app, hash_checks):
    """The fault is a timing difference, which a test must not measure: it counts the work."""
    world.viewer.active = False
    db.session.commit()
    client = browser(app, ATTACKER)
    outcomes = {
        "right password": lambda: _sign_in(browser(app), world.agent.email),
        "wrong password": lambda: _sign_in(client, world.agent.email, "mala clave"),
        "unknown address": lambda: _sign_in(client, "nadie@soporte.example", "mala clave"),
        "deactivated, right password": lambda: _sign_in(client, world.viewer.email),
        "deactivated, wrong password": lambda: _sign_in(client, world.viewer.email, "mala"),
    }
    expected = {"right password": 302}
    for outcome, attempt in outcomes.items():
        hash_checks.clear()
        assert attempt().status_code == expected.get(outcome, 401), outcome
        assert len(hash_checks) == 1, outcome
        methods = set(hash_checks) if outcome == "right password" else methods | set(hash_checks)
    for _ in range(PER_ACCOUNT):
        _sign_in(client, world.admin.email, "mala clave")
    hash_checks.clear()
    assert _sign_in(client, world.admin.email, "mala clave").status_code == 429
    assert len(hash_checks) == 1, "throttled"
    assert len(methods | set(hash_checks)) == 1  # the same hash method (cost) every time


def test_a_stranger_cannot_lock_staff_out(world, app):
    attacker = browser(app, ATTACKER)
    for _ in range(PER_ACCOUNT):
        assert _sign_in(attacker, world.admin.email, "adivinando").status_code == 401
    assert _sign_in(attacker, world.admin.email).status_code == 429  # even the right password
    office = browser(app, OFFICE)
    assert _sign_in(office, world.admin.email).status_code == 302
    assert office.get("/admin/").status_code == 200


def test_an_address_that_tries_many_accounts_is_throttled_and_only_that_address(world, app):
    attacker = browser(app, ATTACKER)
    refused = [_sign_in(attacker, f"nadie{n}@soporte.example", "x").status_code
               for n in range(60)]
    assert 429 in refused and refused[0] == 401
    assert _sign_in(attacker, world.agent.email).status_code == 429  # a fresh account too
    assert _sign_in(browser(app, OFFICE), world.agent.email).status_code == 302


def test_only_failed_attempts_count(world, app):
    office = browser(app, OFFICE)
    for _ in range(3 * PER_ACCOUNT):
        assert _sign_in(office, world.agent.email).status_code == 302
        office.post("/logout")
    for _ in range(PER_ACCOUNT):
        assert _sign_in(office, world.agent.email, "mala clave").status_code == 401
    assert _sign_in(office, world.agent.email, "mala clave").status_code == 429


def test_the_refusal_says_when_to_try_again_in_the_users_language(world, app):
    attacker = browser(app, ATTACKER)
    for _ in range(PER_ACCOUNT):
        _sign_in(attacker, world.agent.email, "mala clave")
    spanish = _sign_in(attacker, world.agent.email, "mala clave")
    english = _sign_in(attacker, world.agent.email, "mala clave", **{"Accept-Language": "en"})
    assert spanish.status_code == english.status_code == 429
    minutes = int(spanish.headers["Retry-After"]) // 60
    assert 1 <= minutes <= 15
    assert "Vuelva a intentarlo en" in spanish.get_data(as_text=True)
    assert "Try again in" in english.get_data(as_text=True)
    assert 'name="password"' in english.get_data(as_text=True)  # the sign-in page, not an error


def test_the_throttle_storage_is_configurable(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_behind_a_proxy_each_client_address_is_throttled_on_its_own(world, database_urls,
                                                                   backend, tmp_path):
    from tests.conftest import make_test_app

    email = world.admin.email
    db.session.commit()  # the second app reads through its own connection (and SQLite's lock)
    proxied = make_test_app(database_urls[backend], tmp_path, SOPORTE_PROXY_HOPS=1)
    proxy = proxied.test_client()  # every request arrives from the proxy's own address
    forwarded = lambda client: {"X-Forwarded-For": client}  # noqa: E731
    for _ in range(PER_ACCOUNT):
        proxy.post("/login", data={"email": email, "password": "x"},
                   headers=forwarded(ATTACKER))
    refused = proxy.post("/login", data={"email": email, "password": PASSWORD},
                         headers=forwarded(ATTACKER))
    welcome = proxy.post("/login", data={"email": email, "password": PASSWORD},
                         headers=forwarded(OFFICE))
    with proxied.app_context():
        db.engine.dispose()
    assert (refused.status_code, welcome.status_code) == (429, 302)


def test_an_ipv6_attacker_cannot_escape_by_walking_its_slash_64(world, app):
    refused = [_sign_in(browser(app, f"2001:db8:1:2::{n:x}"), world.admin.email,
                        "adivinando").status_code for n in range(1, PER_ACCOUNT + 3)]
    assert refused[:PER_ACCOUNT] == [401] * PER_ACCOUNT and set(refused[PER_ACCOUNT:]) == {429}
    assert _sign_in(browser(app, "2001:db8:1:3::1"), world.admin.email).status_code == 302
