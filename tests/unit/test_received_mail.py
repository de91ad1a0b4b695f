"""Customer HTML is shown sanitized; inline images only from the same message; quotes folded."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.received_mail import safe_html, split_quoted, split_quoted_html

SAME_MESSAGE = {"image001.png@01DA": "/operacion/adjunto/7"}


def _cid(content_id):
    return SAME_MESSAGE.get(content_id)


def test_every_image_has_a_text_alternative_and_keeps_the_senders():
    shown = safe_html('<p><img src="cid:image001.png@01DA"> <IMG ALT="Router" '
                      'SRC="cid:image001.png@01DA"> <img\nwidth=3\nsrc="x"></p>', _cid)
    assert shown.count("<img") == 3
    assert shown.count('alt="Image in the email"') == 2 and 'alt="Router"' in shown


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


def _no_cid(_content_id):
    return None


@pytest.mark.parametrize("html, mine, theirs", [
    # Gmail
    ('<div dir="ltr">Sigue sin funcionar.</div><br><div class="gmail_quote"><div dir="ltr" '
     'class="gmail_attr">El lun, 2 nov 2026, Soporte escribió:<br></div><blockquote '
     'class="gmail_quote">¿Probó reiniciar?</blockquote></div>',
     "Sigue sin funcionar.", "¿Probó reiniciar?"),
    # Apple Mail and Thunderbird
    ('<html><body>Ya está.<br>\n<div><br><blockquote type="cite"><div>El 2 nov, Soporte '
     'escribió:</div>\n<div>¿Funciona?</div></blockquote></div></body></html>',
     "Ya está.", "¿Funciona?"),
    # Outlook, on several lines (the split is found by line and column)
    ('<html>\r\n<body>\r\n<p>Gracias,\r\nfunciona.</p>\r\n<div id="appendonsend"></div>\r\n'
     '<hr style="display:inline-block;width:98%">\r\n<div id="divRplyFwdMsg"><b>De:</b> Soporte'
     '</div>\r\n<div>Pruebe esto</div>\r\n</body></html>',
     "funciona.", "Pruebe esto"),
])
def test_quoted_html_history_is_folded_but_kept(html, mine, theirs):
    visible, quoted = split_quoted_html(html, _no_cid)
    assert mine in visible and theirs not in visible
    assert theirs in quoted


def test_html_without_a_quote_or_only_a_quote_is_shown_whole():
    plain = "<p>Hola, <b>no</b> arranca.</p>"
    assert split_quoted_html(plain, _no_cid) == (safe_html(plain, _no_cid), "")
    only = '<blockquote type="cite">Todo citado</blockquote>'
    assert split_quoted_html(only, _no_cid) == (safe_html(only, _no_cid), "")


def test_the_quoted_part_is_sanitized_too():
    html = ('<p>Mío</p><div class="gmail_quote"><img src="x" onerror="alert(1)">'
            '<script>alert(2)</script><a href="javascript:alert(3)">x</a></div>')
    visible, quoted = split_quoted_html(html, _no_cid)
    assert "Mío" in visible
    assert "onerror" not in quoted and "<script" not in quoted and "javascript:" not in quoted


@given(st.text(alphabet='<>/"= abcdivquotegmail_quoteblockcite\n\r', max_size=300))
def test_folding_never_raises_nor_lets_script_through(html):
    visible, quoted = split_quoted_html(html + "<script>x</script>", _no_cid)
    assert "<script" not in visible and "<script" not in quoted
