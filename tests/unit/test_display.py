"""Customer HTML is shown sanitized; inline images only from the same message; quotes folded."""
from hypothesis import given
from hypothesis import strategies as st

from app.mail.display import safe_html, split_quoted

SAME_MESSAGE = {"image001.png@01DA": "/operacion/adjunto/7"}


def _cid(content_id):
    return SAME_MESSAGE.get(content_id)


def test_scripts_handlers_and_javascript_urls_are_removed():
    html = ('<p onclick="steal()">Hola<script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">x</a><a href="https://acme.example">ok</a>'
            '<style>body{display:none}</style><iframe src="https://evil"></iframe>')
    clean = safe_html(html, _cid)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert "iframe" not in clean and "display:none" not in clean
    assert '<a href="https://acme.example" rel="noopener noreferrer nofollow">ok</a>' in clean


def test_inline_images_resolve_only_within_the_same_message():
    html = ('<img src="cid:image001.png@01DA"><img src="cid:other@x">'
            '<img src="https://tracker.example/pixel.gif"><img src="data:image/png;base64,AAAA">')
    clean = safe_html(html, _cid)
    assert clean.count("<img") == 4
    assert 'src="/operacion/adjunto/7"' in clean
    assert "cid:other" not in clean and "tracker" not in clean and "data:" not in clean


@given(st.text(max_size=300))
def test_no_script_survives_any_input(html):
    clean = safe_html(html + "<script>x</script><img src=x onerror=y>", _cid).lower()
    assert "<script" not in clean and "onerror" not in clean


def test_quoted_history_is_folded_but_kept():
    gmail = "Sigue fallando.\n\nEl lun, 2 nov 2026 a las 10:00, Soporte <s@x> escribió:\n> ¿Reinició?"
    assert split_quoted(gmail) == ("Sigue fallando.",
                                   "El lun, 2 nov 2026 a las 10:00, Soporte <s@x> escribió:\n> ¿Reinició?")
    outlook = "Listo.\n\n-----Original Message-----\nFrom: Soporte\nSubject: x"
    assert split_quoted(outlook)[0] == "Listo." and "From: Soporte" in split_quoted(outlook)[1]
    english = "Thanks\nOn Mon, Nov 2, 2026 at 10:00 AM Soporte <s@x> wrote:\n> hi"
    assert split_quoted(english)[0] == "Thanks"
    plain = "Sin citas.\nNada más."
    assert split_quoted(plain) == (plain, "")
    inline = "> pregunta\nrespuesta en medio\n> otra"
    # an answer between quotes stays visible; only the trailing quote is folded
    assert split_quoted(inline) == ("> pregunta\nrespuesta en medio", "> otra")
