"""API tokens: stored hashed, shown once, revoked or of an inactive user refused, scopes only
narrow the role, last use noted at most once a minute; made by `flask users token` and on the
dashboard's own page (CSRF on)."""
import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import ApiToken, User
from app.services import api_tokens
from app.services.errors import NotFound, NotPermitted, ValidationFailed
from app.services.permissions import Permission, can, narrowed_to_scopes
from tests.factories import PASSWORD

UTC = dt.timezone.utc
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _token(actor, owner, scopes=""):
    new = api_tokens.create_token(actor, owner, "ERP", scopes)
    db.session.commit()
    return new


def test_a_token_is_stored_only_as_the_hash_of_its_secret(world):
    new = _token(world.agent, world.agent)
    assert new.secret.startswith("sop_") and len(new.secret) > 40
    row = db.session.execute(text("SELECT prefix, token_hash, scopes FROM api_token")).one()
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.secret.startswith(row.prefix) and len(row.prefix) < 16
    dumped = " ".join(str(v) for v in db.session.execute(text("SELECT * FROM api_token")).one())
    assert new.secret not in dumped
    assert api_tokens.authenticate(new.secret) is world.agent


def test_unknown_revoked_and_inactive_users_tokens_authenticate_nobody(world):
    new = _token(world.agent, world.agent)
    assert api_tokens.authenticate(None) is None
    assert api_tokens.authenticate("sop_" + "x" * 43) is None
    assert api_tokens.authenticate(new.secret[:-1]) is None
    gone = _token(world.admin, world.agent2)
    world.agent2.active = False
    db.session.commit()
    assert api_tokens.authenticate(gone.secret) is None
    api_tokens.revoke_token(world.agent, new.token)
    db.session.commit()
    assert new.token.revoked and api_tokens.authenticate(new.secret) is None


def test_staff_manage_their_own_tokens_and_administrators_anyones(world):
    mine = _token(world.viewer, world.viewer)
    with pytest.raises(NotPermitted):
        api_tokens.create_token(world.agent, world.agent2, "ajeno")
    with pytest.raises(NotPermitted):
        api_tokens.revoke_token(world.agent, mine.token)
    with pytest.raises(NotFound):
        api_tokens.token_by_id(world.agent, mine.token.id)
    assert api_tokens.token_by_id(world.admin, mine.token.id) is mine.token
    api_tokens.revoke_token(world.admin, mine.token)
    assert mine.token.revoked
    with pytest.raises(ValidationFailed) as unnamed:
        api_tokens.create_token(world.agent, world.agent, "  ")
    assert unnamed.value.field == "name"
    with pytest.raises(ValidationFailed) as inactive:
        api_tokens.create_token(world.admin, world.inactive, "x")
    assert inactive.value.field == "email"


def test_scopes_only_narrow_the_role(world):
    with pytest.raises(ValidationFailed) as unknown:
        api_tokens.create_token(world.agent, world.agent, "x", "VIEW everything")
    assert unknown.value.field == "scopes" and "EVERYTHING" in str(unknown.value)
    reader = _token(world.agent, world.agent, "view")
    assert reader.token.scopes == "VIEW"
    acting = api_tokens.authenticate(reader.secret)
    assert can(acting, Permission.VIEW) and not can(acting, Permission.CREATE)
    wider = _token(world.viewer, world.viewer, "VIEW CREATE MANAGE_USERS")
    viewer = api_tokens.authenticate(wider.secret)
    assert can(viewer, Permission.VIEW)
    assert not can(viewer, Permission.CREATE) and not can(viewer, Permission.MANAGE_USERS)
    narrowed_to_scopes(world.agent, None)  # the adapter's clearing: the whole role again
    assert can(world.agent, Permission.CREATE)


def test_the_last_use_is_noted_at_most_once_a_minute(world, app):
    app.config["SOPORTE_FIXED_NOW"] = NOON
    new = _token(world.agent, world.agent)
    assert new.token.last_used_at is None
    api_tokens.authenticate(new.secret)
    assert new.token.last_used_at == NOON
    app.config["SOPORTE_FIXED_NOW"] = NOON + dt.timedelta(seconds=59)
    api_tokens.authenticate(new.secret)
    assert new.token.last_used_at == NOON
    app.config["SOPORTE_FIXED_NOW"] = NOON + dt.timedelta(seconds=61)
    api_tokens.authenticate(new.secret)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, new.token.id).last_used_at == NOON + dt.timedelta(seconds=61)


def test_the_cli_prints_the_token_alone_on_the_last_line(world, runner):
    result = runner.invoke(args=["users", "token", "--email", "AGENT@soporte.example",
                                 "--name", "monitor", "--scopes", "VIEW CREATE"])
    assert result.exit_code == 0, result.output
    secret = result.output.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"sop_[A-Za-z0-9_-]{43}", secret)
    db.session.expire_all()
    token = db.session.scalar(select(ApiToken))
    assert (token.name, token.scopes, token.user_id) == ("monitor", "CREATE VIEW", world.agent.id)
    assert api_tokens.authenticate(secret).id == world.agent.id
    refused = runner.invoke(args=["users", "token", "--email", "agent@soporte.example",
                                  "--scopes", "ROOT"])
    assert refused.exit_code != 0 and "ROOT" in refused.output
    nobody = runner.invoke(args=["users", "token", "--email", "nadie@soporte.example"])
    assert nobody.exit_code != 0


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_dashboard_page_creates_shows_once_and_revokes_with_csrf(world, app, client):
    assert client.post("/login", data={"email": world.agent.email,
                                       "password": PASSWORD}).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/cuenta/tokens").get_data(as_text=True)
    assert 'id="token-form"' in page and 'id="tokens"' in page
    assert client.post("/cuenta/tokens", data={"name": "sin csrf"}).status_code == 400
    assert db.session.scalar(select(ApiToken)) is None
    made = client.post("/cuenta/tokens", data={"name": "Monitorización", "scopes": "VIEW",
                                               "csrf_token": _csrf(page)})
    assert made.status_code == 201
    shown = made.get_data(as_text=True)
    secret = re.search(r'id="new-token-secret"[^>]*value="(sop_[^"]+)"', shown).group(1)
    token = db.session.scalar(select(ApiToken))
    assert token.user_id == world.agent.id and token.prefix in shown
    again = client.get("/cuenta/tokens").get_data(as_text=True)
    assert secret not in again and "Monitorización" in again and token.prefix in again
    revoked = client.post(f"/cuenta/tokens/{token.id}/revocar", data={"csrf_token": _csrf(again)})
    assert revoked.status_code == 303
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert api_tokens.authenticate(secret) is None


def test_the_page_refuses_another_users_token_and_a_bad_scope(world, client):
    others = _token(world.admin, world.agent2)
    client.post("/login", data={"email": world.agent.email, "password": PASSWORD})
    assert client.post(f"/cuenta/tokens/{others.token.id}/revocar").status_code == 404
    assert not db.session.get(ApiToken, others.token.id).revoked
    bad = client.post("/cuenta/tokens", data={"name": "x", "scopes": "EVERYTHING"})
    assert bad.status_code == 422 and "EVERYTHING" in bad.get_data(as_text=True)
    assert client.get("/cuenta/tokens").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.id == world.agent.id)).active
