"""Everyone's API tokens in /admin/tokens/: administrators list, create for another staff user
(the secret shown once) and revoke anyone's; other roles get 403 and no link; CSRF on every form;
a token an administrator revoked stops opening the API."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from app.services import api_tokens
from app.services.errors import NotPermitted, ValidationFailed
from tests.api_calls import API, assert_error
from tests.factories import PASSWORD

PAGE = "/admin/tokens/"


def _login(client, user):
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 302


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _token(actor, owner, name="ERP"):
    new = api_tokens.create_token(actor, owner, name)
    db.session.commit()
    return new


@pytest.mark.parametrize("role", ("supervisor", "agent", "viewer"))
def test_only_administrators_open_list_create_or_revoke_everyones_tokens(world, client, role):
    theirs = _token(world.admin, world.agent2)
    user = getattr(world, role)
    _login(client, user)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}new/", data={"owner": world.agent2.id,
                                            "name": "x"}).status_code == 403
    assert client.post(f"{PAGE}{theirs.token.id}/revoke/").status_code == 403
    db.session.expire_all()
    assert db.session.scalars(select(ApiToken.name)).all() == ["ERP"]
    assert not db.session.get(ApiToken, theirs.token.id).revoked
    assert 'href="/admin/' not in client.get("/operacion/ticket").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(world, client):
    assert client.get(PAGE).status_code == 302


def test_an_administrator_lists_everyones_tokens_with_owner_scopes_and_use(world, client, app):
    mine = _token(world.agent, world.agent, "Monitorización")
    api_tokens.create_token(world.viewer, world.viewer, "Informes", "VIEW")
    old = _token(world.admin, world.agent2, "Antiguo")
    api_tokens.revoke_token(world.admin, old.token)
    api_tokens.authenticate(mine.secret)
    db.session.commit()
    _login(client, world.admin)
    page = client.get(PAGE).get_data(as_text=True)
    for text in ("Monitorización", "Informes", "Antiguo", world.agent.email, world.viewer.email,
                 world.agent2.email, "Revocado", mine.token.prefix, "Nunca", "Todo el rol"):
        assert text in page, text
    assert mine.secret not in page
    assert page.count("Revocar ") == 2  # the live ones; the revoked one says since when
    one = client.get(f"{PAGE}?user_id={world.viewer.id}").get_data(as_text=True)
    assert "Informes" in one and "Monitorización" not in one
    assert client.get(f"{PAGE}?user_id=abc").status_code == 422
    assert client.get(f"{PAGE}?user_id=999999").status_code == 422
    users = client.get("/admin/user/").get_data(as_text=True)
    assert f'href="/admin/tokens/?user_id={world.agent.id}"' in users  # each user's tokens
    assert 'href="/admin/tokens/"' in client.get("/admin/").get_data(as_text=True)


def test_an_administrator_creates_a_token_for_another_user_shown_once(world, client, app):
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(PAGE).get_data(as_text=True)
    assert f'<option value="{world.inactive.id}"' not in page  # no token for the deactivated
    refused = client.post(f"{PAGE}new/", data={"owner": world.agent.id, "name": "sin csrf"})
    assert refused.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None
    made = client.post(f"{PAGE}new/", data={"owner": world.agent.id, "name": "ERP del agente",
                                            "scopes": "view", "csrf_token": _csrf(page)})
    assert made.status_code == 201
    assert "no-store" in made.headers["Cache-Control"]
    shown = made.get_data(as_text=True)
    secret = re.search(r'id="new-token-secret"[^>]*value="(sop_[^"]+)"', shown).group(1)
    token = db.session.scalar(select(ApiToken))
    assert (token.user_id, token.name, token.scopes) == (world.agent.id, "ERP del agente", "VIEW")
    assert api_tokens.authenticate(secret).id == world.agent.id
    assert "ERP del agente" not in re.search(r'id="token-name"[^>]*>', shown).group(0)  # emptied
    again = client.get(PAGE).get_data(as_text=True)
    assert secret not in again and "ERP del agente" in again and token.prefix in again


def test_a_refused_creation_says_why_and_keeps_the_form(world, client):
    _login(client, world.admin)
    bad = client.post(f"{PAGE}new/", data={"owner": world.agent.id, "name": "Informes",
                                           "scopes": "EVERYTHING"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "EVERYTHING" in body and 'value="Informes"' in body
    assert f'<option value="{world.agent.id}" selected' in body
    nobody = client.post(f"{PAGE}new/", data={"owner": "", "name": "x"})
    assert nobody.status_code == 422 and "Elija" in nobody.get_data(as_text=True)
    assert client.post(f"{PAGE}new/", data={"owner": "1e3", "name": "x"}).status_code == 422
    inactive = client.post(f"{PAGE}new/", data={"owner": world.inactive.id, "name": "x"})
    assert inactive.status_code == 422 and world.inactive.email in inactive.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_a_token_an_administrator_revokes_stops_opening_the_api(world, client, app):
    theirs = _token(world.agent, world.agent)
    headers = {"Authorization": f"Bearer {theirs.secret}"}
    assert client.get(f"{API}/tickets", headers=headers).status_code == 200
    _login(client, world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"{PAGE}?user_id={world.agent.id}").get_data(as_text=True)
    path = f"{PAGE}{theirs.token.id}/revoke/"
    assert client.post(path).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert not db.session.get(ApiToken, theirs.token.id).revoked
    revoked = client.post(path, data={"csrf_token": _csrf(page), "user_id": world.agent.id})
    assert revoked.status_code == 303
    assert revoked.headers["Location"].endswith(f"{PAGE}?user_id={world.agent.id}")
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.token.id).revoked
    assert_error(client.get(f"{API}/tickets", headers=headers), 401, "not_authenticated")


def test_revoking_a_token_that_is_not_there_is_a_404(world, client):
    _login(client, world.admin)
    assert client.post(f"{PAGE}999999/revoke/").status_code == 404


def test_the_list_service_is_for_administrators_and_pages_by_fifty(world, monkeypatch):
    with pytest.raises(NotPermitted):
        api_tokens.list_tokens(world.supervisor)
    with pytest.raises(ValidationFailed):
        api_tokens.owner_by_id(world.admin, None)
    with pytest.raises(NotPermitted):
        api_tokens.owner_by_id(world.agent, world.agent2.id)
    assert api_tokens.token_owners(world.agent) == [world.agent]
    assert world.inactive not in api_tokens.token_owners(world.admin)
    monkeypatch.setattr(api_tokens, "TOKENS_PER_PAGE", 2)
    for number in range(3):
        _token(world.admin, world.agent, f"t{number}")
    first = api_tokens.list_tokens(world.admin)
    assert [t.name for t in first.tokens] == ["t2", "t1"] and first.has_next
    second = api_tokens.list_tokens(world.admin, world.agent, page=2)
    assert [t.name for t in second.tokens] == ["t0"] and not second.has_next
