"""Large messages parsed with their long bodies left on disk give exactly what a plain parse gives.

Every test stores the raw message in a file and compares `parse_stored` (the memory-saving path)
with the standard library's parse of the same bytes, field by field and byte by byte.
"""
from __future__ import annotations

import base64
import email
import hashlib
import os
import quopri
import random
from email.message import Message
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mail_ingest.charsets import decode_text
from mail_ingest.parse import LARGE_MESSAGE_BYTES, ParsedEmail, parse_bytes, parse_stored


def _read_all(stream) -> bytes:
    chunks = []
    while chunk := stream.read(1024 * 1024):
        chunks.append(chunk)
    return b"".join(chunks)


def _fields(parsed: ParsedEmail) -> dict:
    """Everything a ParsedEmail carries, attachments as their decoded bytes."""
    return {
        "headers": parsed.headers, "subject": parsed.subject, "from": parsed.from_address,
        "text": parsed.text, "html": parsed.html, "content_type": parsed.content_type,
        "parts": parsed.parts, "depth": parsed.depth, "too_complex": parsed.too_complex,
        "defects": parsed.defects, "returned": parsed.returned_message_ids,
        "attachments": [(a.filename, a.content_type, a.content_id, a.inline, a.size,
                         _read_all(a.open())) for a in parsed.attachments],
    }


def _reference(raw: bytes) -> dict:
    """What the standard library's own parse of the bytes says each part holds."""
    message = email.message_from_bytes(raw)
    leaves: list[tuple] = []

    def visit(part: Message) -> None:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()[0]
            leaves.append(("message/rfc822", part.get_filename(), inner.as_bytes(), None, True))
            return
        if part.is_multipart():
            for child in part.get_payload():
                visit(child)
            return
        leaves.append((part.get_content_type(), part.get_filename(),
                       part.get_payload(decode=True), part.get_content_charset(),
                       part.get_content_disposition() == "attachment"))
    visit(message)
    return {"leaves": leaves}


def assert_same_as_plain_parse(tmp_path: Path, raw: bytes) -> ParsedEmail:
    """parse_stored on a file of the bytes equals the plain parse, and each part the stdlib's
    parse finds is there with the same bytes: the bodies as text, every other as an attachment."""
    assert len(raw) > LARGE_MESSAGE_BYTES
    path = tmp_path / hashlib.sha256(raw).hexdigest()
    path.write_bytes(raw)
    stored, plain = parse_stored(path), parse_bytes(raw)
    assert _fields(stored) == _fields(plain)
    bodies = {"text/plain": stored.text, "text/html": stored.html}
    expected = []
    for ctype, name, data, charset, attached in _reference(raw)["leaves"]:
        body = bodies.get(ctype, False)
        if body is not False and not name and not attached:
            text = decode_text(data or b"", charset)
            if not text:
                continue  # an empty body gives way to the next one
            if body == text:
                bodies[ctype] = False  # the body is the first such part
                continue
        expected.append((ctype, data or b""))
    assert [(a.content_type, _read_all(a.open())) for a in stored.attachments] == expected
    return stored


def _lines(data: bytes, width: int = 76, eol: bytes = b"\r\n") -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[i:i + width] + eol for i in range(0, len(encoded), width))


def _head(ctype: str, eol: bytes = b"\r\n") -> bytes:
    return (b"From: Carla <carla@acme.example>" + eol + b"Subject: grande" + eol
            + b"Message-ID: <big@acme.example>" + eol + b"MIME-Version: 1.0" + eol
            + b"Content-Type: " + ctype.encode() + eol)


def _hash_lines(count: int, eol: bytes = b"\r\n") -> bytes:
    return b"".join(hashlib.sha256(str(i).encode()).hexdigest().encode() + eol
                    for i in range(count))


def test_a_7bit_body_of_2000_hash_lines_is_kept_whole(tmp_path):
    body = b"Hola, las sumas de los ficheros:\r\n\r\n" + _hash_lines(2000) + b"\r\nGracias\r\n"
    raw = _head("text/plain; charset=us-ascii") + b"Content-Transfer-Encoding: 7bit\r\n\r\n" + body
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    assert parsed.text == body.decode()


def _mixed(*parts: bytes, boundary: bytes = b"b1") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (_head(f'multipart/mixed; boundary="{boundary.decode()}"') + b"\r\n" + body
            + b"--" + boundary + b"--\r\n")


def test_a_120_kb_text_attachment_keeps_every_byte(tmp_path):
    text = _hash_lines(1900)  # 7bit text whose lines look like base64
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nVa el registro.",
                 b"Content-Type: text/plain; name=registro.txt\r\n"
                 b"Content-Disposition: attachment; filename=registro.txt\r\n\r\n" + text)
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    [log] = parsed.attachments
    assert _read_all(log.open()) == text and log.size == len(text)


def test_inline_pgp_armour_is_kept(tmp_path):
    armour = _lines(os.urandom(90_000), width=64).decode()
    body = ("Hola, va cifrado:\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\n" + armour
            + "=njUN\r\n-----END PGP MESSAGE-----\r\n\r\nCarla\r\n")
    raw = _head("text/plain; charset=utf-8") + b"\r\n" + body.encode()
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    assert parsed.text == body and armour in parsed.text


def test_a_forwarded_message_keeps_its_120_kb_pdf(tmp_path):
    pdf = b"%PDF-1.4\n" + os.urandom(120_000)
    inner = (b"From: jefe@acme.example\r\nSubject: contrato\r\nMIME-Version: 1.0\r\n"
             b'Content-Type: multipart/mixed; boundary="in"\r\n\r\n'
             b"--in\r\nContent-Type: text/plain\r\n\r\nEl contrato.\r\n"
             b"--in\r\nContent-Type: application/pdf; name=contrato.pdf\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\n" + _lines(pdf) + b"--in--\r\n")
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nReenvio.",
                 b"Content-Type: message/rfc822\r\n\r\n" + inner)
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    [eml] = parsed.attachments
    forwarded = email.message_from_bytes(eml.data)
    assert forwarded.get_payload()[1].get_payload(decode=True) == pdf


def test_a_quoted_printable_attachment_keeps_its_size(tmp_path):
    data = _hash_lines(1500, eol=b"\n").replace(b"\n", b"") + b"=" * 300  # long lines, soft breaks
    encoded = quopri.encodestring(data).replace(b"\n", b"\r\n")
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nAdjunto.",
                 b"Content-Type: application/octet-stream; name=datos.bin\r\n"
                 b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + encoded)
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    assert _read_all(parsed.attachments[0].open()) == data


def test_a_large_base64_attachment_is_still_decoded_from_disk(tmp_path):
    data = os.urandom(300_000)
    raw = _mixed(b"Content-Type: text/plain\r\n\r\nAdjunto.",
                 b"Content-Type: application/octet-stream; name=disco.img\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n" + _lines(data))
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    [part] = parsed.attachments
    assert part.data is None and part.on_disk is not None  # the memory benefit stays
    assert _read_all(part.open()) == data


# --- the property: messages of every shape, large, parsed both ways ---------------------------

_TYPES = ["text/plain", "text/html", "application/pdf", "application/octet-stream", "image/png",
          "text/csv"]
_ENCODINGS = ["base64", "quoted-printable", "7bit", "8bit", None]


@st.composite
def _payload(draw) -> bytes:
    """Bytes of a part: binary, text that looks like base64, hashes, armour, words."""
    size = draw(st.sampled_from([0, 10, 3_000, 70_000, 100_000]))
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    kind = draw(st.sampled_from(["binary", "base64-text", "hashes", "armour", "words", "eq"]))
    if kind == "binary":
        return rng.randbytes(size)
    if kind == "base64-text":
        return _lines(rng.randbytes(size * 3 // 4), width=draw(st.sampled_from([60, 76, 998])),
                      eol=b"\n")
    if kind == "hashes":
        return _hash_lines(size // 66 + 1, eol=b"\n")
    if kind == "armour":
        return (b"-----BEGIN PGP SIGNATURE-----\n\n" + _lines(rng.randbytes(size // 2), 64, b"\n")
                + b"=abcd\n-----END PGP SIGNATURE-----\n")
    if kind == "eq":
        return b"".join(b"ABCD=" * 10 + b"\n" for _ in range(size // 51 + 1))
    words = ["hola", "año", "AAAA", "QUJD", "==", "+/", "factura", "\u00e9"]
    return " ".join(rng.choice(words) for _ in range(size // 5)).encode()


def _encode(data: bytes, cte: str | None, draw) -> bytes:
    if cte == "base64":
        width = draw(st.sampled_from([76, 64, 72, 4]))
        body = _lines(data, width=width, eol=b"\n")
        trouble = draw(st.sampled_from(["", "blank-line", "trailing-text", "double", "bad-length",
                                        "trailing-space", "no-final-newline"]))
        if trouble == "blank-line":
            body += b"\n"
        elif trouble == "trailing-text":
            body += b"-- \nfirma\n"
        elif trouble == "double":
            body += _lines(data[:100], width=width, eol=b"\n")
        elif trouble == "bad-length":
            body += b"QUJDR\n"
        elif trouble == "trailing-space":
            body = body.replace(b"\n", b" \n", 3)
        elif trouble == "no-final-newline":
            body = body.rstrip(b"\n")
        return body
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    if cte == "7bit":
        return data.decode("ascii", "replace").encode("ascii", "replace")
    return data


@st.composite
def _part(draw, depth: int = 0) -> bytes:
    """One MIME entity (headers, blank line, body), LF line endings (converted later)."""
    shape = draw(st.sampled_from(["leaf", "leaf", "leaf", "multipart", "rfc822"])
                 if depth < 3 else st.just("leaf"))
    if shape == "multipart":
        boundary = f"=_b{depth}_{draw(st.integers(0, 999))}"
        children = draw(st.lists(_part(depth + 1), min_size=1, max_size=3))
        preamble = draw(st.sampled_from(["", "This is a multi-part message.\n",
                                         "QUJDREVGR0g=\n" * 3]))
        epilogue = draw(st.sampled_from(["", "\n", "epilogo\n", "QUJD\n"]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related"]))
        head = f'Content-Type: multipart/{subtype};\n\tboundary="{boundary}"\n\n'.encode()
        body = preamble.encode() + b"".join(f"--{boundary}\n".encode() + child + b"\n"
                                            for child in children)
        closing = draw(st.sampled_from([f"--{boundary}--\n", f"--{boundary}--", ""]))
        return head + body + closing.encode() + epilogue.encode()
    if shape == "rfc822":
        inner = draw(_part(depth + 1))
        return (b"Content-Type: message/rfc822\n\nFrom: jefe@acme.example\nSubject: reenviado\n"
                + inner)
    ctype = draw(st.sampled_from(_TYPES))
    cte = draw(st.sampled_from(_ENCODINGS))
    data = draw(_payload())
    headers = f"Content-Type: {ctype}"
    if ctype.startswith("text/"):
        headers += "; charset=utf-8"
    if draw(st.booleans()):
        headers += f'; name="parte{draw(st.integers(0, 99))}.bin"'
        headers += "\nContent-Disposition: attachment; filename*=utf-8''a%C3%B1o.bin"
    if cte:
        headers += f"\nContent-Transfer-Encoding: {cte}"
    return headers.encode() + b"\n\n" + _encode(data, cte, draw)


@st.composite
def _large_message(draw) -> bytes:
    body = draw(_part())
    raw = b"From: Carla <carla@acme.example>\nSubject: grande\nMIME-Version: 1.0\n" + body
    while len(raw) <= LARGE_MESSAGE_BYTES:  # always large: pad with a base64-looking attachment
        raw = (b"From: Carla <carla@acme.example>\nSubject: grande\nMIME-Version: 1.0\n"
               b'Content-Type: multipart/mixed; boundary="pad"\n\n--pad\n' + body
               + b"\n--pad\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: "
               b"base64\n\n" + _lines(os.urandom(60_000), eol=b"\n") + b"--pad--\n")
    if draw(st.booleans()):
        raw = raw.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        raw = raw.rstrip(b"\r\n")
    return raw


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])
@given(_large_message())
def test_large_messages_of_every_shape_parse_as_the_standard_library_does(tmp_path, raw):
    parsed = assert_same_as_plain_parse(tmp_path, raw)
    event(f"runs left on disk: {sum(a.on_disk is not None for a in parsed.attachments) > 0}")
    event(f"runs restored: {len(parsed.stubbed.ranges) > sum(a.on_disk is not None for a in parsed.attachments)}")
