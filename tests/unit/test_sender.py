"""Who sent a message: the address part of the raw From header, never a decoded display name."""
from __future__ import annotations

import base64
import email.utils
import quopri

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail_ingest.parse import parse_bytes


def _b(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?b?{base64.b64encode(text.encode(charset)).decode()}?="


def _q(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 Q encoded-word as a phrase must write it (§5(3): only letters, digits, !*+-/)."""
    safe = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
    encoded = "".join("_" if byte == 0x20 else chr(byte) if byte in safe else f"={byte:02X}"
                      for byte in text.encode(charset))
    return f"=?{charset}?q?{encoded}?="


def _message(headers: str, body: str = "Hola") -> bytes:
    return (headers.rstrip("\r\n") + "\r\nSubject: Re: [#2026-0042] factura\r\n"
            "Message-ID: <m1@evil.example>\r\n\r\n" + body + "\r\n").encode(
                "utf-8", "surrogateescape")


def test_an_encoded_display_name_cannot_name_another_sender():
    raw = _message(f"From: {_b('x <marta@client.example>,')} <attacker@evil.example>")
    parsed = parse_bytes(raw)
    assert parsed.from_address == "attacker@evil.example"
    assert parsed.from_name == "x <marta@client.example>,"
    # the header text other code reads gives the same address when parsed again
    assert email.utils.getaddresses([parsed.headers["from"]]) == [
        ("x <marta@client.example>,", "attacker@evil.example")]


def test_a_quoted_encoded_word_and_a_q_encoded_name_cannot_either():
    for name in (f'"{_b("Marta <marta@client.example>")}"', _q("marta@client.example, x"),
                 f'{_b("Marta")} {_q("<marta@client.example>")}'):
        parsed = parse_bytes(_message(f"From: {name} <attacker@evil.example>"))
        assert parsed.from_address == "attacker@evil.example", name
    # a malformed Q word that writes specials raw is split where they are: no sender at all
    sloppy = parse_bytes(_message("From: =?utf-8?q?x_<marta@client.example>,?= <a@evil.example>"))
    assert sloppy.from_address == ""


def test_quoted_display_names_with_commas_and_angle_brackets():
    parsed = parse_bytes(_message(
        'From: "Cliente, Carla <marta@client.example>, x" <carla@acme.example>'))
    assert parsed.from_address == "carla@acme.example"
    assert parsed.from_name == "Cliente, Carla <marta@client.example>, x"
    escaped = parse_bytes(_message(r'From: "a\" <marta@client.example> \"" <carla@acme.example>'))
    assert escaped.from_address == "carla@acme.example"


def test_an_encoded_word_in_the_address_is_never_decoded():
    assert parse_bytes(_message("From: =?utf-8?q?marta=40client.example?=")).from_address == ""
    literal = parse_bytes(_message("From: =?utf-8?q?marta?=@client.example")).from_address
    assert literal == "=?utf-8?q?marta?=@client.example"


def test_comments_and_text_around_the_address_do_not_count():
    assert parse_bytes(_message("From: attacker@evil.example (marta@client.example)")
                       ).from_address == "attacker@evil.example"
    assert parse_bytes(_message("From: marta@client.example <attacker@evil.example>")
                       ).from_address == "attacker@evil.example"
    # an address after the angle-addr makes the mailbox invalid: nobody is the sender
    assert parse_bytes(_message("From: <attacker@evil.example> marta@client.example")
                       ).from_address == ""


def test_several_authors_groups_and_no_author_give_no_sender():
    for value in ("marta@client.example, attacker@evil.example",
                  "Attacker <attacker@evil.example>, Marta <marta@client.example>",
                  "Clientes: marta@client.example;", "Undisclosed recipients:;", "",
                  "not an address", "<>", '"unbalanced <marta@client.example>'):
        parsed = parse_bytes(_message(f"From: {value}"))
        assert parsed.from_address == "", value
    assert parse_bytes(_message("Subject: x")).from_address == ""


def test_an_unquoted_comma_in_the_name_still_finds_the_one_mailbox():
    parsed = parse_bytes(_message("From: Cliente, Carla <carla@acme.example>"))
    assert parsed.from_address == "carla@acme.example"


def test_raw_utf8_names_and_addresses_are_read_as_written():
    parsed = parse_bytes(_message("From: José Pérez <josé@acme.example>"))
    assert (parsed.from_name, parsed.from_address) == ("José Pérez", "josé@acme.example")


def test_other_address_headers_are_read_from_the_raw_header_too():
    raw = _message(
        f"From: Carla <carla@acme.example>\r\n"
        f"Reply-To: {_b('x <marta@client.example>,')} <attacker@evil.example>\r\n"
        f"Sender: {_q('<marta@client.example>')} <relay@evil.example>\r\n"
        f"To: {_b('soporte@soporte.example,')} <otro@evil.example>, "
        f"Equipo: a@acme.example, {_b('b <marta@client.example>')} <b@acme.example>;\r\n"
        f"Cc: \"{_b('Marta')}\" <cc@evil.example>")
    parsed = parse_bytes(raw)
    assert parsed.reply_to == ["attacker@evil.example"]
    assert parsed.sender_address == "relay@evil.example"
    assert parsed.to == ["otro@evil.example", "a@acme.example", "b@acme.example"]
    assert parsed.cc == ["cc@evil.example"]
    for name, expected in (("reply-to", parsed.reply_to), ("sender", [parsed.sender_address]),
                           ("to", parsed.to), ("cc", parsed.cc)):
        assert [a for _, a in email.utils.getaddresses([parsed.headers[name]]) if a] == expected


# --- the property: whatever the display name, the sender is the address part --------------

_NAMES = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_LOCAL = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,15}", fullmatch=True).filter(
    lambda s: ".." not in s and not s.endswith("."))
_DOMAIN = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,2}", fullmatch=True)


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _encodings(name: str) -> list[str]:
    """The display name written the ways mail programs write it."""
    forms = [_b(name), _q(name), f'"{_b(name)}"', email.utils.formataddr((name, "x@y.z"))[:-8]]
    for charset in ("iso-8859-1", "windows-1252", "koi8-r", "gb18030", "shift_jis"):
        try:
            forms.append(_b(name, charset))
        except UnicodeEncodeError:
            pass
    flat = " ".join(name.split())
    if flat and "\x00" not in flat:
        forms.append(_quoted(flat))  # raw UTF-8 (RFC 6532)
    return forms


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NAMES, _LOCAL, _DOMAIN, st.data())
def test_any_display_name_however_encoded_leaves_the_address_part(name, local, domain, data):
    address = f"{local}@{domain}"
    written = data.draw(st.sampled_from(_encodings(name)))
    parsed = parse_bytes(_message(f"From: {written} <{address}>"))
    assert parsed.from_address == address
    # and the same name in front of someone else's address in Reply-To changes nothing
    both = parse_bytes(_message(f"From: {written} <{address}>\r\n"
                                f"Reply-To: {written} <{address}>"))
    assert both.from_address == address and both.reply_to == [address]
