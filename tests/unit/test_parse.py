"""The parser on nasty mail: it never raises, and it keeps what a person would want kept."""
import email
import email.policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail_ingest.classify import AUTO_REPLY, BOUNCE, classify
from mail_ingest.parse import MAX_PARTS, parse_bytes
from tests import mail_corpus as corpus


def test_latin1_body_and_encoded_subject():
    parsed = parse_bytes(corpus.latin1_body())
    assert parsed.subject == "Acción requerida"
    assert "contraseña" in parsed.text and "camión" in parsed.text


def test_unknown_charset_decodes_with_replacement_characters():
    parsed = parse_bytes(corpus.unknown_charset())
    assert parsed.text.startswith("Texto con ") and "byte" in parsed.text


def test_eight_bit_headers():
    parsed = parse_bytes(corpus.eight_bit_headers())
    assert parsed.from_name == "José Pérez" and parsed.subject == "Cañería rota"


def test_rfc2231_and_encoded_word_filenames():
    names = [a.filename for a in parse_bytes(corpus.rfc2231_filename()).attachments]
    assert names[:2] == ["presupuesto año 2026.xlsx", "café.txt"]
    assert names[2] == "../../etc/passwd"  # as sent; cleaned when stored (test_ingest_corpus)


def test_outlook_inline_image_and_html():
    parsed = parse_bytes(corpus.outlook_inline_image())
    assert parsed.text.strip() == "Ver captura." and "cid:image001.png@01DA0000" in parsed.html
    [image] = parsed.attachments
    assert image.content_id == "image001.png@01DA0000" and image.inline
    assert image.data == corpus.PNG


def test_apple_mail_keeps_the_first_text_and_the_photo():
    parsed = parse_bytes(corpus.apple_mail())
    assert parsed.text.strip() == "Adjunto foto"
    assert [a.filename for a in parsed.attachments][0] == "IMG_0001.png"


def test_forwarded_message_is_kept_as_an_eml_attachment():
    parsed = parse_bytes(corpus.forwarded())
    [eml] = parsed.attachments
    assert eml.content_type == "message/rfc822" and b"Texto original" in eml.data


def test_broken_mime_keeps_what_it_can():
    assert "El cuerpo sin partes" in parse_bytes(corpus.missing_boundary()).text
    broken = parse_bytes(corpus.bad_base64())
    assert broken.text.startswith("Hola mundo")
    assert broken.attachments and broken.attachments[0].filename == "a.png"
    truncated = parse_bytes(corpus.truncated())
    assert truncated.text.strip() == "Va el adjunto." and truncated.defects


def test_structure_limits():
    assert parse_bytes(corpus.deep_nesting(60)).too_complex
    assert parse_bytes(corpus.many_parts(MAX_PARTS + 50)).too_complex
    assert parse_bytes(corpus.deep_nesting(5)).too_complex is None


def test_thread_ids_newest_first_without_repeats():
    parsed = parse_bytes(corpus.simple(in_reply_to="<c@x>", references="<a@x> <b@x> <c@x>"))
    assert parsed.thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


def test_bounce_returns_the_original_message_id():
    parsed = parse_bytes(corpus.bounce("<ours@soporte.example>"))
    assert parsed.returned_message_ids == ["<ours@soporte.example>"]
    assert classify(parsed, set())[0] == BOUNCE


def test_auto_reply_markers_and_a_person():
    for headers in corpus.AUTO_REPLY_HEADERS:
        assert classify(parse_bytes(corpus.simple(headers=headers)), set())[0] == AUTO_REPLY
    person = parse_bytes(corpus.simple(headers={"Auto-Submitted": "no"}))
    assert classify(person, set()) is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(raw):
    parsed = parse_bytes(raw)
    assert isinstance(parsed.text, str)


_header_names = st.sampled_from(["From", "Subject", "Content-Type", "Content-Transfer-Encoding",
                                 "Content-Disposition", "Message-ID", "References", "Return-Path"])
_values = st.one_of(st.text(max_size=80), st.binary(max_size=80).map(
    lambda b: b.decode("latin-1")), st.sampled_from([
        "multipart/mixed", 'multipart/mixed; boundary="x"', "text/plain; charset=zz",
        "base64", "quoted-printable", "attachment; filename*=utf-8''%FF%FE", "=?utf-8?b?!!?=",
        "message/rfc822", "multipart/report; report-type=delivery-status"]))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(_header_names, _values), max_size=8), st.binary(max_size=2000))
def test_mutated_messages_never_raise(headers, body):
    lines = []
    for name, value in headers:
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    raw = b"\r\n".join(lines) + b"\r\n\r\n--x\r\n" + body + b"\r\n--x--\r\n"
    parsed = parse_bytes(raw)
    assert isinstance(parsed.subject, str) and isinstance(parsed.attachments, list)


def test_corpus_messages_all_parse():
    for name, raw in corpus.nasty_corpus().items():
        parsed = parse_bytes(raw)
        assert parsed.from_address == "carla@acme.example", name
        assert email.message_from_bytes(raw, policy=email.policy.default) is not None
