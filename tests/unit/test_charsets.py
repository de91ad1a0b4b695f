"""Wrongly labelled charsets: the customer's words read as written, in bodies, subjects and
filenames, and no C1 control character is ever stored."""
from __future__ import annotations

import base64
import re
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mail_ingest.charsets import decode_text
from mail_ingest.parse import ParsedEmail, parse_bytes

_C1 = re.compile("[\x80-\x9f]")


def _message(body: bytes, charset: str | None, subject: bytes = b"Consulta",
             extra: bytes = b"") -> bytes:
    ctype = b"text/plain" + (b"; charset=" + charset.encode() if charset else b"")
    return (b"From: Cliente <cliente@acme.example>\r\nSubject: " + subject + b"\r\n"
            b"Message-ID: <c1@acme.example>\r\nMIME-Version: 1.0\r\nContent-Type: " + ctype
            + b"\r\nContent-Transfer-Encoding: 8bit\r\n" + extra + b"\r\n" + body + b"\r\n")


def _word(data: bytes, label: str) -> bytes:
    return b"=?" + label.encode() + b"?b?" + base64.b64encode(data) + b"?="


def _stored_text(parsed: ParsedEmail) -> str:
    return " ".join([parsed.subject, parsed.text, parsed.html or "", parsed.from_name]
                    + [a.filename for a in parsed.attachments])


def _assert_clean(parsed: ParsedEmail) -> None:
    assert not _C1.search(_stored_text(parsed))
    assert "\ufffd" not in _stored_text(parsed)


def test_spanish_latin1_labelled_utf8():
    raw = _message("La contraseña no funciona en el camión.".encode("latin-1"), "utf-8",
                   subject=_word("Acción requerida".encode("latin-1"), "utf-8"))
    parsed = parse_bytes(raw)
    assert parsed.text.strip() == "La contraseña no funciona en el camión."
    assert parsed.subject == "Acción requerida"
    _assert_clean(parsed)


def test_windows_1252_labelled_iso_8859_1_reads_as_browsers_do():
    text = "“Presupuesto” – 25 € … ‘sí’"
    raw = _message(text.encode("cp1252"), "iso-8859-1",
                   subject=_word(text.encode("cp1252"), "iso-8859-1"))
    parsed = parse_bytes(raw)
    assert parsed.text.strip() == text and parsed.subject == text
    _assert_clean(parsed)
    assert parse_bytes(_message("Año – 2026".encode("cp1252"), "us-ascii")).text.strip() == \
        "Año – 2026"


def test_russian_koi8r_labelled_utf8():
    text = "Здравствуйте, у меня не работает принтер."
    raw = _message(text.encode("koi8-r"), "utf-8",
                   subject=_word("Счёт на оплату".encode("koi8-r"), "utf-8"))
    parsed = parse_bytes(raw)
    assert parsed.text.strip() == text and parsed.subject == "Счёт на оплату"
    _assert_clean(parsed)


def test_chinese_gbk_labelled_gb2312():
    text = "朱镕基先生：您好，打印机坏了。"  # 镕 is GBK, not GB2312
    raw = _message(text.encode("gbk"), "gb2312", subject=_word("发票 镕".encode("gbk"), "gb2312"))
    parsed = parse_bytes(raw)
    assert parsed.text.strip() == text and parsed.subject == "发票 镕"
    _assert_clean(parsed)


def test_hong_kong_big5_hkscs_labelled_big5():
    text = "你好，我嘅打印機壞咗，唔該幫手。"  # 嘅 and 咗 are HKSCS
    parsed = parse_bytes(_message(text.encode("big5hkscs"), "big5",
                                  subject=_word("佢哋嘅單".encode("big5hkscs"), "big5")))
    assert parsed.text.strip() == text and parsed.subject == "佢哋嘅單"
    _assert_clean(parsed)


def test_japanese_iso_2022_jp_with_nec_and_katakana_extensions():
    # ①② (NEC row 13), ㈱ (NEC), ソフト (JIS X 0208), ｶﾀｶﾅ (half-width, ESC ( I)
    data = (b"\x1b$B-!-\"\x1b(B \x1b$B-j%=%U%H\x1b(B \x1b(I6@6E\x1b(B")
    raw = _message(data, "iso-2022-jp", subject=_word(data, "ISO-2022-JP"),
                   extra=b"X-Note: 7bit\r\n")
    parsed = parse_bytes(raw)
    assert parsed.text.strip() == "①② ㈱ソフト ｶﾀｶﾅ"
    assert parsed.subject == "①② ㈱ソフト ｶﾀｶﾅ"
    _assert_clean(parsed)
    sjis = parse_bytes(_message("髙橋様、﨑の件".encode("cp932"), "shift_jis"))
    assert sjis.text.strip() == "髙橋様、﨑の件"


def test_korean_and_thai_labels():
    korean = parse_bytes(_message("똠방각하 안녕하세요".encode("cp949"), "ks_c_5601-1987"))
    assert korean.text.strip() == "똠방각하 안녕하세요"
    thai = parse_bytes(_message("ราคา 100 € “ด่วน”".encode("cp874"), "tis-620"))
    assert thai.text.strip() == "ราคา 100 € “ด่วน”"
    _assert_clean(thai)


def test_unknown_8bit_and_no_label():
    parsed = parse_bytes(_message("Factura nº 3 – 25 €, gracias".encode("cp1252"), "unknown-8bit",
                                  subject=b"=?unknown-8bit?q?Caf=E9_y_m=E1s?="))
    assert parsed.text.strip() == "Factura nº 3 – 25 €, gracias"
    assert parsed.subject == "Café y más"
    _assert_clean(parsed)
    unlabelled = parse_bytes(_message("Cañería rota en la oficina".encode("cp1252"), None,
                                      subject="Cañería rota".encode("cp1252")))
    assert unlabelled.text.strip() == "Cañería rota en la oficina"
    assert unlabelled.subject == "Cañería rota"
    _assert_clean(unlabelled)


def test_raw_8bit_headers_follow_the_body_charset_when_not_utf8():
    raw = _message("Счёт во вложении".encode("koi8-r"), "koi8-r",
                   subject="Счёт".encode("koi8-r"))
    assert parse_bytes(raw).subject == "Счёт"


def test_no_c1_control_is_stored_and_pasted_text_keeps_its_escapes():
    # U+0092 is windows-1252's ’ read as Latin-1 upstream, then written as UTF-8
    parsed = parse_bytes(_message("It\u0092s the printer \u0096 again, café".encode(), "utf-8"))
    assert parsed.text.strip() == "It’s the printer – again, café"
    _assert_clean(parsed)
    latin1 = parse_bytes(_message(b"Pago \x80 25 \x81", "iso-8859-1"))  # 0x81: undefined
    assert not _C1.search(latin1.text) and latin1.text.startswith("Pago ")
    terminal = parse_bytes(_message("error en \x1b[31mrojo\x1b[0m: año".encode(), "utf-8"))
    assert terminal.text.strip() == "error en \x1b[31mrojo\x1b[0m: año"
    assert parse_bytes(_message(b"Caf+AOk-", "utf-7")).text.strip() == "Café"


def _with_attachment(disposition: bytes, body_charset: str = "iso-8859-1") -> bytes:
    return (b"From: cliente@acme.example\r\nSubject: adjunto\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain; charset=" + body_charset.encode()
            + b"\r\n\r\nVa.\r\n--b\r\nContent-Type: application/pdf\r\n"
            b"Content-Disposition: " + disposition + b"\r\n\r\n%PDF\r\n--b--\r\n")


def test_filenames_raw_utf8_kept_and_wrong_labels_read():
    raw_utf8 = parse_bytes(_with_attachment('attachment; filename="presupuesto año ①.pdf"'
                                            .encode()))
    assert raw_utf8.attachments[0].filename == "presupuesto año ①.pdf"
    latin1_as_utf8 = parse_bytes(_with_attachment(b"attachment; filename*=utf-8''cami%F3n.pdf"))
    assert latin1_as_utf8.attachments[0].filename == "camión.pdf"
    continued = parse_bytes(_with_attachment(
        b"attachment;\r\n filename*0*=gb2312''%D6%EC%E9%46;\r\n filename*1=.pdf"))
    assert continued.attachments[0].filename == "朱镕.pdf"
    word = parse_bytes(_with_attachment(b'attachment; filename="' + _word(
        "Счёт.pdf".encode("koi8-r"), "utf-8") + b'"'))
    assert word.attachments[0].filename == "Счёт.pdf"
    for parsed in (raw_utf8, latin1_as_utf8, continued, word):
        _assert_clean(parsed)


def test_a_boundary_folded_across_lines_is_understood():
    for header in (b'multipart/mixed;\r\n\tboundary=\r\n\t"abc"',
                   b'multipart/mixed; boundary*0="ab";\r\n boundary*1="c"',
                   b"multipart/mixed;\n boundary*0*=us-ascii''a;\n boundary*1*=b%63"):
        raw = (b"From: cliente@acme.example\r\nSubject: x\r\nContent-Type: " + header
               + b"\r\n\r\n--abc\r\nContent-Type: text/plain\r\n\r\nhola\r\n--abc\r\n"
               b"Content-Type: application/pdf; name=a.pdf\r\n\r\n%PDF\r\n--abc--\r\n")
        parsed = parse_bytes(raw)
        assert parsed.text == "hola" and [a.filename for a in parsed.attachments] == ["a.pdf"]


# --- the property: text in a charset, labelled with a wrong but common label ---------------

# (the charset the text is really in, the label it carries)
_MISLABELLED = [("cp1252", "iso-8859-1"), ("cp1252", "us-ascii"), ("gbk", "gb2312"),
                ("gb18030", "gb2312"), ("big5hkscs", "big5"), ("cp949", "ks_c_5601-1987"),
                ("cp949", "euc-kr"), ("cp874", "tis-620"), ("cp932", "shift_jis"),
                ("iso-2022-jp-ms", "iso-2022-jp")]


def _repertoire(charset: str) -> list[str]:
    """Letters, digits, punctuation and symbols the charset can write (BMP, then a sample)."""
    codec = "cp932" if charset == "iso-2022-jp-ms" else charset
    chars = []
    for code in range(0x20, 0x10000, 1 if codec in ("cp1252", "cp874") else 7):
        ch = chr(code)
        if unicodedata.category(ch)[0] not in "LNPS" and ch != " ":
            continue
        try:
            encoded = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        if charset == "iso-2022-jp-ms" and len(encoded) == 2 and encoded[0] >= 0xF0:
            continue  # user-defined and IBM rows beyond JIS X 0208's 94 rows
        if encoded.decode(codec) == ch:
            chars.append(ch)
    return chars


_REPERTOIRES = {charset: _repertoire(charset) for charset, _ in _MISLABELLED}


def _iso2022jp(text: str) -> bytes:
    """Text as ISO-2022-JP with Microsoft's extensions (Shift_JIS rows rewritten as JIS)."""
    out, state = bytearray(), b"(B"
    for ch in text:
        sjis = ch.encode("cp932")
        if len(sjis) == 1 and sjis[0] < 0x80:
            want, data = b"(B", sjis
        elif len(sjis) == 1:
            want, data = b"(I", bytes([sjis[0] - 0x80])
        else:
            s1, s2 = sjis
            s1 -= 0xB0 if s1 >= 0xE0 else 0x70
            j1, j2 = s1 * 2, s2 - 0x7E
            if s2 < 0x9F:
                j1, j2 = j1 - 1, s2 - 0x1F - (1 if s2 > 0x7F else 0)
            want, data = b"$B", bytes([j1, j2])
        if want != state:
            out += b"\x1b" + want
            state = want
        out += data
    return bytes(out + (b"\x1b(B" if state != b"(B" else b""))


@st.composite
def _mislabelled(draw):
    charset, label = draw(st.sampled_from(_MISLABELLED))
    text = draw(st.text(alphabet=st.sampled_from(_REPERTOIRES[charset]), min_size=1,
                        max_size=40))
    data = _iso2022jp(text) if charset == "iso-2022-jp-ms" else text.encode(charset)
    # Bytes that are also valid multi-byte UTF-8 under a single-byte label are read as UTF-8 by
    # design ("Ã©" is not text anyone writes): see the UTF-8-first test below.
    assume(data.isascii() or not _valid_utf8(data))
    return text, data, label


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mislabelled(), st.sampled_from(["body", "subject", "filename"]))
def test_text_under_a_wrong_but_common_label_reads_as_written(case, where):
    text, data, label = case
    if where == "body":
        raw = _message(base64.b64encode(data), label).replace(
            b"Transfer-Encoding: 8bit", b"Transfer-Encoding: base64")
        assert parse_bytes(raw).text == text
    elif where == "subject":
        assert parse_bytes(_message(b"x", "utf-8", subject=_word(data, label))).subject == \
            " ".join(text.split())
    else:
        quoted = "".join(f"%{byte:02X}" for byte in data).encode()
        parsed = parse_bytes(_with_attachment(b"attachment; filename*=" + label.encode() + b"''"
                                              + quoted))
        # the name as written, its runs of spaces made one; a name of spaces only is no name
        assert parsed.attachments[0].filename == (" ".join(text.split()) or "attachment")


_SPANISH = ("contraseña camión año señor mañana información factura acción también "
            "está niño pingüino qué cómo reunión teléfono dirección envío").split()
_RUSSIAN = ("здравствуйте принтер счёт оплата работает сервер пожалуйста спасибо вложении "
            "сегодня письмо ошибка помогите доступ пароль").split()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([("latin-1", _SPANISH), ("cp1252", _SPANISH), ("koi8-r", _RUSSIAN),
                        ("cp1251", _RUSSIAN)]), st.data())
def test_words_labelled_utf8_in_a_legacy_charset_read_as_written(case, data):
    charset, vocabulary = case
    words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=3, max_size=12))
    text = " ".join(words).capitalize() + "."
    assert parse_bytes(_message(text.encode(charset), "utf-8")).text.strip() == text


def test_utf8_labelled_as_a_single_byte_charset_reads_as_written():
    for label in ("iso-8859-1", "windows-1252", "us-ascii", "koi8-r", "iso-8859-15"):
        for words in ("Añadí el cañón, ¿qué pasó?", "Привет, как дела?", "“comillas” – ok €"):
            assert decode_text(words.encode("utf-8"), label) == words


def test_terminal_escapes_in_utf8_text_do_not_spoil_it():
    pasted = "Canción: error \x1b[31mfalló\x1b(B\x1b[m al instalar"
    for label in ("utf-8", None, "iso-8859-1"):
        assert decode_text(pasted.encode("utf-8"), label) == pasted
