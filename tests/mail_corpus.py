"""Emails for the tests, well-formed and nasty: the shapes real mail clients and robots send."""
from __future__ import annotations

import base64
import itertools
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
import datetime as dt

_counter = itertools.count(1)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def mid(domain: str = "cliente.example") -> str:
    return make_msgid(idstring=str(next(_counter)), domain=domain)


def simple(sender="carla@acme.example", subject="No arranca el servidor", body="Hola, no arranca.",
           message_id=None, in_reply_to=None, references=None, headers=None, name="Carla") -> bytes:
    """A plain text email."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "soporte@soporte.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = message_id or mid(sender.rpartition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return msg.as_bytes()


def with_attachment(sender="carla@acme.example", filename="informe.pdf", data=b"%PDF-1.4 x",
                    ctype=("application", "pdf"), subject="Adjunto informe") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = subject
    msg["Message-ID"] = mid()
    msg.set_content("Va el adjunto.")
    msg.add_attachment(data, maintype=ctype[0], subtype=ctype[1], filename=filename)
    return msg.as_bytes()


def gmail_reply(sender="carla@acme.example", in_reply_to=None) -> bytes:
    """Gmail's shape: multipart/alternative, quoted history after 'El … escribió:'."""
    msg = EmailMessage()
    msg["From"] = f"Carla <{sender}>"
    msg["Subject"] = "Re: Servidor"
    msg["Message-ID"] = mid("mail.gmail.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content("Sigue sin funcionar.\n\nEl lun, 2 nov 2026 a las 10:00, Soporte "
                    "<soporte@soporte.example> escribió:\n> ¿Probó reiniciar?\n")
    msg.add_alternative('<div dir="ltr">Sigue sin funcionar.</div><br><div class="gmail_quote">'
                        '<blockquote class="gmail_quote">¿Probó reiniciar?</blockquote></div>',
                        subtype="html")
    return msg.as_bytes()


def outlook_inline_image(sender="carla@acme.example") -> bytes:
    """Outlook's shape: related(alternative(text, html with cid:), image) and Thread-Index."""
    msg = EmailMessage()
    msg["From"] = f'"Cliente, Carla" <{sender}>'
    msg["Subject"] = "Captura del error"
    msg["Message-ID"] = mid("outlook.example")
    msg["Thread-Index"] = "AQHZ1234567890abcdef=="
    msg["X-MS-Has-Attach"] = "yes"
    msg.set_content("Ver captura.")
    msg.add_alternative('<html><body><p>Ver captura:</p><img src="cid:image001.png@01DA0000">'
                        '<script>alert(1)</script></body></html>', subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<image001.png@01DA0000>",
                          filename="image001.png")
    return msg.as_bytes()


def apple_mail(sender="carla@acme.example") -> bytes:
    """Apple Mail's shape: Apple-Mail boundaries, attachment inline between text parts."""
    boundary = "Apple-Mail=_3F2A1B0C-1111-2222-3333-444455556666"
    return (
        f"From: Carla <{sender}>\r\nSubject: Foto del equipo\r\nMessage-Id: {mid('icloud.example')}\r\n"
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0)\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"Adjunto foto\r\n\r\n--{boundary}\r\nContent-Disposition: inline; filename=IMG_0001.png\r\n"
        f"Content-Type: image/png; x-unix-mode=0644; name=\"IMG_0001.png\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(PNG).decode()}\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSaludos\r\n--{boundary}--\r\n"
    ).encode()


def forwarded(sender="carla@acme.example") -> bytes:
    """A message forwarded as an attachment (message/rfc822)."""
    inner = simple(sender="jefe@acme.example", subject="Original", body="Texto original")
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = "Fwd: Original"
    msg["Message-ID"] = mid()
    msg.set_content("Reenvío lo de abajo.")
    from email import message_from_bytes, policy

    msg.add_attachment(message_from_bytes(inner, policy=policy.default))
    return msg.as_bytes()


def latin1_body(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: =?iso-8859-1?q?Acci=F3n_requerida?=\r\n"
            f"Message-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "La contrase\xf1a no funciona en el cami\xf3n.\r\n").encode("latin-1")


def unknown_charset(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: charset raro\r\nMessage-ID: {mid()}\r\n"
            "Content-Type: text/plain; charset=x-klingon-42\r\n\r\nTexto con \xe9 byte\r\n"
            ).encode("latin-1")


def eight_bit_headers(sender="carla@acme.example") -> bytes:
    return (f"From: Jos\xc3\xa9 P\xc3\xa9rez <{sender}>\r\nSubject: Ca\xc3\xb1er\xc3\xada rota\r\n"
            f"Message-ID: {mid()}\r\n\r\ncuerpo\r\n").encode("latin-1")


def rfc2231_filename(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: nombres raros\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
            "--b1\r\nContent-Type: text/plain\r\n\r\nadjuntos\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename*=utf-8''presupuesto%20a%C3%B1o%202026.xlsx\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\nUEsDBAo=\r\n"
            "--b1\r\nContent-Type: application/octet-stream; name=\"=?utf-8?b?Y2Fmw6kudHh0?=\"\r\n"
            "Content-Disposition: attachment; filename=\"=?utf-8?b?Y2Fmw6kudHh0?=\"\r\n\r\ncafe\r\n"
            "--b1\r\nContent-Type: text/plain\r\n"
            "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot:x\r\n"
            "--b1--\r\n").encode()


def missing_boundary(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: sin boundary\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed\r\n\r\nEl cuerpo sin partes\r\n").encode()


def bad_base64(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: base64 roto\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="z"\r\n\r\n'
            "--z\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "SG9sYSBtdW5kbw=!!*?\r\n"
            "--z\r\nContent-Type: image/png; name=a.png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "iVBORw0KGgo%%%%\r\n--z--\r\n").encode()


def truncated(sender="carla@acme.example") -> bytes:
    full = with_attachment(sender, data=b"x" * 5000)
    return full[: len(full) // 2]


def deep_nesting(depth=60, sender="carla@acme.example") -> bytes:
    head = f"From: {sender}\r\nSubject: anidado\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
    body = "Content-Type: text/plain\r\n\r\nfondo\r\n"
    for level in range(depth):
        body = (f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n'
                f"{body}--n{level}--\r\n")
    return (head + body).encode()


def many_parts(count=800, sender="carla@acme.example") -> bytes:
    parts = "".join(f"--p\r\nContent-Type: text/plain; name=p{i}.txt\r\n\r\n{i}\r\n"
                    for i in range(count))
    return (f"From: {sender}\r\nSubject: muchas partes\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="p"\r\n\r\n{parts}--p--\r\n').encode()


def no_message_id(sender="carla@acme.example", body="sin id") -> bytes:
    return f"From: {sender}\r\nSubject: sin message-id\r\n\r\n{body}\r\n".encode()


def html_only(sender="carla@acme.example") -> bytes:
    return (f"From: {sender}\r\nSubject: solo html\r\nMessage-ID: {mid()}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            "<p>Hola &amp; buen d&iacute;a</p><img src=x onerror=alert(1)>\r\n").encode()


def bounce(returned_message_id: str, sender="MAILER-DAEMON@mx.acme.example") -> bytes:
    """A DSN (multipart/report; report-type=delivery-status) returning one of our messages."""
    return (f"From: Mail Delivery System <{sender}>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Message-ID: {mid('mx.acme.example')}\r\nMIME-Version: 1.0\r\nReturn-Path: <>\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
            "--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            "Final-Recipient: rfc822; nadie@acme.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: soporte@soporte.example\r\nMessage-ID: {returned_message_id}\r\nSubject: x\r\n\r\n"
            "--r--\r\n").encode()


AUTO_REPLY_HEADERS = [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
    {"Precedence": "auto_reply"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "yes"},
    {"X-Loop": "soporte@acme.example"},
]  # X-Auto-Response-Suppress and List-Id alone are people's mail (tests/unit/test_classify.py)


def nasty_corpus() -> dict[str, bytes]:
    """Every kind of difficult message, by name."""
    return {
        "gmail": gmail_reply(),
        "outlook": outlook_inline_image(),
        "apple": apple_mail(),
        "forwarded": forwarded(),
        "latin1": latin1_body(),
        "unknown_charset": unknown_charset(),
        "eight_bit_headers": eight_bit_headers(),
        "rfc2231": rfc2231_filename(),
        "missing_boundary": missing_boundary(),
        "bad_base64": bad_base64(),
        "truncated": truncated(),
        "deep_nesting": deep_nesting(),
        "many_parts": many_parts(),
        "no_message_id": no_message_id(),
        "html_only": html_only(),
        "attachment": with_attachment(),
    }


def forged_display_name(victim="carla@acme.example", attacker="attacker@evil.example",
                        subject="Re: hola") -> bytes:
    """From with an encoded display name that decodes to the victim's mailbox and a comma
    (issue 9, item 2): the real sender is the address in angle brackets."""
    name = base64.b64encode(f"x <{victim}>,".encode()).decode()
    return (f"From: =?utf-8?b?{name}?= <{attacker}>\r\nTo: soporte@soporte.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: {mid('evil.example')}\r\n\r\n"
            "Cancelen el pedido y devuelvan el pago a mi nueva cuenta.\r\n").encode()
