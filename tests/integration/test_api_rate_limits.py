"""The API's rate limit: per token (another token, or the same user's other token, keeps its own
budget), per client address without a valid token; past it a 429 JSON error with Retry-After,
in the caller's language; the sign-in throttle and the dashboard are not counted; the limit is
configured (SOPORTE_API_RATE_LIMIT) and described in the API's document."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from app.api import rate_limits
from assembly import build_app
from app.extensions import db
from app.models import ApiToken
from app.services import api_tokens
from config import BASE_DIR
from tests.api_calls import API, assert_error, bearer
from tests.browsers import browser
from tests.factories import PASSWORD


@pytest.fixture
def client(app):
    """A client whose every request picks its language and user afresh, as on a server."""
    return browser(app)


@pytest.fixture
def three_an_hour(app):
    """A low limit, as a deployment might set it, in a window no test outlasts (a minute's
    could roll over between a test's requests on a slow machine and refill the budget)."""
    app.config["SOPORTE_API_RATE_LIMIT"] = "3 per hour"


def _too_many(answer) -> dict:
    body = assert_error(answer, 429, "too_many_requests")
    assert 1 <= int(answer.headers["Retry-After"]) <= 3600
    return body


def test_the_fourth_request_of_a_token_is_429_with_retry_after_and_another_token_goes_on(
        world, client, three_an_hour):
    first, second = bearer(world.agent), bearer(world.agent)
    for _ in range(3):
        assert client.get(f"{API}/tickets", headers=first).status_code == 200
    refused = _too_many(client.get(f"{API}/tickets", headers=first))
    assert refused["message"].startswith("Demasiadas peticiones con este token")
    english = client.get(f"{API}/tickets", headers={**first, "Accept-Language": "en"})
    assert _too_many(english)["message"].startswith("Too many requests with this token")
    for _ in range(3):
        assert client.get(f"{API}/tickets", headers=second).status_code == 200
    assert client.get(f"{API}/tickets", headers=bearer(world.viewer)).status_code == 200


def test_every_address_of_the_api_counts_writes_and_errors_too(world, client, three_an_hour):
    headers = bearer(world.agent)
    assert client.get(f"{API}/tickets/TCK-404", headers=headers).status_code == 404
    assert client.post(f"{API}/tickets", json={}, headers=headers).status_code == 422
    for _ in range(5):  # the document and its page are public: they spend no budget
        assert client.get(f"{API}/openapi.json", headers=headers).status_code == 200
        assert client.get(f"{API}/docs", headers=headers).status_code == 200
    assert client.get(f"{API}/tickets", headers=headers).status_code == 200
    _too_many(client.post(f"{API}/tickets", json={"client_id": world.client.id,
                                                  "description": "x"}, headers=headers))


def test_requests_without_a_valid_token_count_per_client_address(world, app, three_an_hour):
    here, elsewhere = browser(app, "192.0.2.10"), browser(app, "198.51.100.7")
    for sent in ({}, {"Authorization": "Bearer sop_falso"}, {"Authorization": "Basic x"}):
        assert_error(here.get(f"{API}/tickets", headers=sent), 401, "not_authenticated")
    _too_many(here.get(f"{API}/tickets", headers={"Authorization": "Bearer sop_otro"}))
    assert_error(elsewhere.get(f"{API}/tickets"), 401, "not_authenticated")
    assert here.get(f"{API}/tickets", headers=bearer(world.agent)).status_code == 200


def test_a_revoked_token_spends_its_address_budget_not_its_own(world, app, three_an_hour):
    headers = bearer(world.agent)
    token = db.session.scalar(select(ApiToken))
    api_tokens.revoke_token(world.agent, token)
    db.session.commit()
    caller = browser(app, "192.0.2.20")
    for _ in range(3):
        assert_error(caller.get(f"{API}/tickets", headers=headers), 401, "not_authenticated")
    _too_many(caller.get(f"{API}/tickets"))


def test_the_key_is_the_tokens_id_never_its_secret(world, app):
    headers = bearer(world.agent)
    secret = headers["Authorization"].split(" ", 1)[1]
    token = db.session.scalar(select(ApiToken))
    with app.test_request_context(f"{API}/tickets", headers=headers):
        key = rate_limits.caller_key()
    assert key == f"token/{token.id}" and secret not in key
    with app.test_request_context(f"{API}/tickets", environ_base={"REMOTE_ADDR": "2001:db8::1"}):
        assert rate_limits.caller_key() == "address/2001:db8::/64"


def test_the_dashboard_and_signing_in_are_not_counted(world, client, three_an_hour):
    headers = bearer(world.agent)
    for _ in range(3):
        assert client.get(f"{API}/tickets", headers=headers).status_code == 200
    _too_many(client.get(f"{API}/tickets", headers=headers))
    assert client.get("/login").status_code == 200
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    for _ in range(4):
        assert client.get("/operacion/ticket").status_code == 200
    _too_many(client.get(f"{API}/tickets", headers=headers))


def test_every_counted_answer_says_what_is_left_of_the_tightest_limit(world, client, app):
    app.config["SOPORTE_API_RATE_LIMIT"] = "3 per hour; 5 per day"
    headers = bearer(world.agent)
    seen = []
    for _ in range(4):
        answer = client.get(f"{API}/tickets/TCK-404", headers=headers)  # errors count too
        assert answer.headers["RateLimit-Policy"] == "3;w=3600, 5;w=86400"
        assert 1 <= int(answer.headers["RateLimit-Reset"]) <= 3600
        seen.append((answer.status_code, answer.headers["RateLimit-Limit"],
                     answer.headers["RateLimit-Remaining"]))
    assert seen == [(404, "3", "2"), (404, "3", "1"), (404, "3", "0"), (429, "3", "0")]
    assert int(answer.headers["Retry-After"]) == int(answer.headers["RateLimit-Reset"])

    app.config["SOPORTE_API_RATE_LIMIT"] = "2 per hour; 1 per day"  # the hour at 0, the day refuses
    third = bearer(world.agent)
    client.get(f"{API}/tickets", headers=third)
    refused = client.get(f"{API}/tickets", headers=third)
    assert refused.status_code == 429 and refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["RateLimit-Reset"] == refused.headers["Retry-After"]

    other = bearer(world.viewer)  # its own budget; the day's limit is the tightest after three
    app.config["SOPORTE_API_RATE_LIMIT"] = "10 per hour; 3 per day"
    assert client.get(f"{API}/tickets", headers=other).headers["RateLimit-Limit"] == "3"
    document = client.get(f"{API}/openapi.json")  # public: not counted, no fields
    assert "RateLimit-Limit" not in document.headers
    assert "RateLimit-Remaining" in document.get_json()["info"]["description"]


def test_an_empty_limit_is_no_limit(world, client, app):
    app.config["SOPORTE_API_RATE_LIMIT"] = ""
    headers = bearer(world.agent)
    assert all(client.get(f"{API}/tickets", headers=headers).status_code == 200
               for _ in range(5))
    assert "RateLimit-Limit" not in client.get(f"{API}/tickets", headers=headers).headers


def test_storage_that_cannot_be_reached_serves_the_request_uncounted(world, client, app,
                                                                     three_an_hour, monkeypatch):
    from app.extensions import limiter

    def unreachable(*_args, **_kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(limiter.limiter, "hit", unreachable)
    headers = bearer(world.agent)
    assert all(client.get(f"{API}/tickets", headers=headers).status_code == 200
               for _ in range(5))


def test_the_document_describes_the_limit(client):
    description = client.get(f"{API}/openapi.json").get_json()["info"]["description"]
    assert "429" in description and "Retry-After" in description
    assert "100000 per minute" in description  # the test configuration's


def test_the_limit_comes_from_the_environment_and_a_bad_one_stops_the_app():
    env = {**os.environ, "SOPORTE_API_RATE_LIMIT": "50 per hour; 1000 per day"}
    out = subprocess.run(
        [sys.executable, "-c", "from config import Config as C; print(C.SOPORTE_API_RATE_LIMIT)"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "50 per hour; 1000 per day"
    with pytest.raises(RuntimeError, match="SOPORTE_API_RATE_LIMIT='a lot' is not a rate limit"):
        build_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                              "SOPORTE_API_RATE_LIMIT": "a lot"})
