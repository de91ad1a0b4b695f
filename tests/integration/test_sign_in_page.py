"""The sign-in page a visitor is sent to says why, in the visitor's language (Spanish unless the
browser asks for English), never Flask-Login's English default."""


def _redirected_sign_in_page(client, language: str | None) -> str:
    headers = {"Accept-Language": language} if language else {}
    sent = client.get("/operacion/ticket", headers=headers)
    assert sent.status_code == 302 and "/login" in sent.headers["Location"]
    return client.get(sent.headers["Location"], headers=headers).get_data(as_text=True)


def test_a_visitor_sent_to_sign_in_is_told_why_in_spanish_by_default(world, client):
    page = _redirected_sign_in_page(client, None)
    assert "Inicia sesión para ver esta página." in page
    assert "Please log in" not in page


def test_a_visitor_whose_browser_asks_for_english_is_told_in_english(world, client):
    page = _redirected_sign_in_page(client, "en-US,en;q=0.9")
    assert "Sign in to see this page." in page
    assert "Please log in" not in page
