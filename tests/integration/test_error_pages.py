"""Error pages speak the user's language and say what to do (not the server's English)."""
from app.extensions import db
from app.models import Language
from tests.factories import PASSWORD


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_forbidden_and_missing_pages_say_what_to_do_in_spanish(world, client):
    _login(client, world.supervisor)
    forbidden = client.get("/admin/mailbox/")
    assert forbidden.status_code == 403
    assert "No tiene permiso para ver esta página" in forbidden.get_data(as_text=True)
    missing = client.get("/operacion/ticket/TCK-999999")
    assert missing.status_code == 404
    text = missing.get_data(as_text=True)
    assert "Esta página no existe" in text and "Not Found" not in text


def test_an_english_user_gets_them_in_english(world, client):
    world.agent.language = Language.EN
    db.session.commit()
    _login(client, world.agent)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "This page does not exist" in missing.get_data(as_text=True)


def test_an_expired_form_asks_to_reload(world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = app.test_client()
    refused = browser.post("/login", data={"email": world.agent.email, "password": PASSWORD},
                           headers={"Accept-Language": "es"})
    assert refused.status_code == 400
    assert "Recargue la página" in refused.get_data(as_text=True)
