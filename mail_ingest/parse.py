"""Parse a raw email into plain values, never raising: any charset, broken MIME, 8-bit headers.

Built on the standard library's `email` package. It parses with the compat32
policy, whose header access is plain string work, and decodes encoded-words
(RFC 2047) and RFC 2231 parameters itself for the few headers it shows: the
header registry of `policy.default` cost more than the rest of ingest put
together. Every failure inside a part is recorded as a defect and the rest is kept.
Addresses come from the raw headers (addresses.py), every text through one charset chain
(charsets.py), and large messages keep their long bodies on disk (large_parts.py).
"""
from __future__ import annotations

import email
import email.utils
import io
import logging
import re
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import BinaryIO

from app.storage import StoredBlob
from mail_ingest.addresses import AddressList, parse_address_list, render
from mail_ingest.charsets import decode_text, decode_words, header_text
from mail_ingest.large_parts import (FileRange, Stubbed, is_base64, restore_all_but_decodable,
                                     stub_large_bodies)
from mail_ingest.message_ids import message_ids

log = logging.getLogger(__name__)

# From this size on, long base64 bodies stay on disk: less memory, and much less parsing time
# (the email parser walks a body line by line in Python; a2b_base64 decodes it in C). The result
# is the plain parse's, byte for byte (see large_parts).
LARGE_MESSAGE_BYTES = 64 * 1024
MAX_PARTS = 500
MAX_DEPTH = 30


@dataclass
class ParsedAttachment:
    """One attachment or inline part: its bytes, or (for a large body) where to decode them from."""

    filename: str
    content_type: str
    data: bytes | None
    content_id: str | None = None
    inline: bool = False
    on_disk: FileRange | None = None  # a large base64 body left in the raw file
    stored: StoredBlob | None = None  # already written to the attachment store (read ahead)

    @property
    def size(self) -> int:
        """The decoded size (counted from the raw file for a body left on disk)."""
        if self.stored is not None:
            return self.stored.size
        return self.on_disk.decoded_size() if self.on_disk else len(self.data or b"")

    def open(self) -> BinaryIO:
        """A binary stream of the decoded content."""
        if self.on_disk is not None:
            return self.on_disk.open_decoded()
        return io.BytesIO(self.data or b"")


@dataclass
class ParsedEmail:
    """What the poller needs of an email."""

    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_address: str = ""  # the one author's address, read from the raw From ("" if not one)
    from_name: str = ""
    sender_address: str = ""  # the Sender header's mailbox
    reply_to: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    return_path: str | None = None
    subject: str = ""
    date: str | None = None
    text: str = ""
    html: str | None = None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased name → first value
    content_type: str = "text/plain"
    report_type: str | None = None
    returned_message_ids: list[str] = field(default_factory=list)  # of a bounce's original
    parts: int = 0
    depth: int = 0
    defects: list[str] = field(default_factory=list)
    too_complex: str | None = None  # why the structure exceeded the limits
    stubbed: Stubbed | None = field(default=None, repr=False)  # large bodies left on disk

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, most recent first."""
        seen, ordered = set(), []
        for mid in list(reversed(self.in_reply_to)) + list(reversed(self.references)):
            if mid not in seen:
                seen.add(mid)
                ordered.append(mid)
        return ordered


def parse_stored(path: Path) -> ParsedEmail:
    """Parse a stored raw message; a large one is parsed with its long bodies left on disk."""
    if path.stat().st_size < LARGE_MESSAGE_BYTES:
        return parse_bytes(path.read_bytes())
    stubbed = stub_large_bodies(path)
    try:
        message = email.message_from_bytes(stubbed.stub)
        restore_all_but_decodable(message, stubbed)
    except Exception:  # the parser is lenient; this guards the unexpected
        return parse_bytes(path.read_bytes())
    return parse_message(message, stubbed)


def parse_bytes(raw: bytes) -> ParsedEmail:
    """Parse raw bytes (see parse_message)."""
    try:
        message = email.message_from_bytes(raw)
    except Exception as error:  # the parser is lenient; this guards the unexpected
        return ParsedEmail(defects=[f"unparseable: {error!r}"], text=decode_text(raw, None))
    return parse_message(message)


def parse_message(message: Message, stubbed: Stubbed | None = None) -> ParsedEmail:
    """Turn an email.message into a ParsedEmail; problems become defects, never exceptions."""
    parsed = ParsedEmail(stubbed=stubbed)
    hint = _body_charset(message)
    _read_headers(message, parsed, hint)
    try:
        _walk(message, parsed, 0, hint)
    except RecursionError:
        parsed.too_complex = "nesting too deep"
    except Exception as error:  # a defect in one part must not lose the rest
        parsed.defects.append(f"walk: {error!r}")
    for defect in getattr(message, "defects", []):
        parsed.defects.append(type(defect).__name__)
    html = (parsed.html or "").lower()
    for part in parsed.attachments:  # a part the HTML shows by cid: is inline, whatever it says
        if part.content_id and f"cid:{part.content_id.lower()}" in html:
            part.inline = True
    return parsed


def _body_charset(message: Message) -> str | None:
    """The charset the message's first text part declares (raw headers are often written in it)."""
    for part in message.walk():
        try:
            charset = part.get_content_charset()
        except Exception:
            continue
        if charset:
            return charset
    return None


# Headers whose encoded-words are decoded; the rest are kept as raw text.
_DECODED_HEADERS = frozenset({"subject"})
# Address headers: parsed from the raw text; only display names are decoded (see addresses).
_ADDRESS_HEADERS = frozenset({"from", "sender", "reply-to", "to", "cc"})


def _read_headers(message: Message, parsed: ParsedEmail, hint: str | None) -> None:
    """Fill the header fields of parsed."""
    for name, raw in message.raw_items():
        lname = name.lower()
        if lname in parsed.headers:
            continue
        raw = raw if isinstance(raw, str) else str(raw)  # raw text, 8-bit bytes surrogate-escaped
        if lname in _ADDRESS_HEADERS:
            _read_addresses(lname, parse_address_list(raw), parsed, hint)
        else:
            parsed.headers[lname] = decode_words(raw, hint) if lname in _DECODED_HEADERS else \
                header_text(raw, hint)
    ids = [mid for mid in message_ids(parsed.headers.get("message-id", "")) if len(mid) <= 998]
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = message_ids(parsed.headers.get("in-reply-to", ""))
    parsed.references = message_ids(parsed.headers.get("references", ""))
    parsed.subject = parsed.headers.get("subject", "")
    parsed.date = parsed.headers.get("date") or None
    if "return-path" in parsed.headers:
        parsed.return_path = email.utils.parseaddr(parsed.headers["return-path"])[1].lower()
    try:
        parsed.content_type = message.get_content_type()
        parsed.report_type = (message.get_param("report-type") or None) if \
            parsed.content_type == "multipart/report" else None
    except Exception as error:
        parsed.defects.append(f"content-type: {error!r}")


def _read_addresses(name: str, found: AddressList, parsed: ParsedEmail, hint: str | None) -> None:
    """Fill an address header's fields, and its text in parsed.headers: each mailbox as its
    decoded name (quoted) and address, so that parsing the text again gives the same addresses."""
    pieces = []
    for kind, item in found.items:
        if kind == "mailbox":
            pieces.append(render(decode_words(item.name, hint), item.address.lower()))
        elif kind == "group":
            pieces.append(f"{render(decode_words(item, hint), '').rstrip()}:")
        elif kind == "end":
            pieces.append(";")
        else:
            pieces.append(header_text(item, hint))
    parsed.headers[name] = header_text(", ".join(pieces).replace(":, ", ": ").replace(", ;", ";"))
    addresses = [m.address.lower() for m in found.mailboxes]
    if name == "from":
        parsed.from_name, parsed.from_address = _author(found, parsed, hint)
    elif name == "sender":
        parsed.sender_address = addresses[0] if len(addresses) == 1 else ""
    else:
        setattr(parsed, name.replace("-", "_"), addresses)


def _author(found: AddressList, parsed: ParsedEmail, hint: str | None) -> tuple[str, str]:
    """(name, address) of the one author in From, or ("", "") with a defect saying why.

    Several mailboxes: RFC 5322 §3.6.2 allows co-authors (with a Sender), and choosing one would
    be guessing whose ticket the message belongs to: nobody is the sender, and staff decide in
    triage. A group: From holds mailboxes only (groups belong to destination headers)."""
    if any(m.in_group for m in found.mailboxes):
        parsed.defects.append("from: a group")
    elif len(found.mailboxes) > 1:
        parsed.defects.append("from: several mailboxes")
    elif not found.mailboxes:
        parsed.defects.append("from: no address")
    else:
        mailbox = found.mailboxes[0]
        return decode_words(mailbox.name, hint), mailbox.address.lower()
    return "", ""


def _walk(part: Message, parsed: ParsedEmail, depth: int, hint: str | None) -> None:
    """Visit every part, collecting text, HTML and attachments, within the limits."""
    parsed.parts += 1
    parsed.depth = max(parsed.depth, depth)
    if parsed.parts > MAX_PARTS:
        parsed.too_complex = f"more than {MAX_PARTS} parts"
        return
    if depth > MAX_DEPTH:
        parsed.too_complex = f"nested deeper than {MAX_DEPTH}"
        return
    ctype = _content_type(part)
    if ctype in ("message/delivery-status",):
        return
    if ctype in ("message/rfc822", "text/rfc822-headers") and parsed.report_type:
        _collect_returned_ids(part, parsed)
    if ctype == "message/rfc822":  # a forwarded message stays whole, as an .eml attachment
        _add_attachment(part, ctype, "attachment", _filename(part, hint), parsed)
        return
    payload = part.get_payload()
    if isinstance(payload, list):
        for child in payload:
            _walk(child, parsed, depth + 1, hint)
        return
    if ctype.startswith("multipart/"):
        ctype = "text/plain"  # a multipart without usable parts: its body is all there is
    disposition = (part.get_content_disposition() or "").lower()
    filename = _filename(part, hint)
    if ctype == "text/plain" and disposition != "attachment" and not filename and not parsed.text:
        parsed.text = _text_of(part, parsed)
    elif ctype == "text/html" and disposition != "attachment" and not filename and not parsed.html:
        parsed.html = _text_of(part, parsed)
    else:
        _add_attachment(part, ctype, disposition, filename, parsed)


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _filename(part: Message, hint: str | None) -> str | None:
    """The attachment's name (Content-Disposition filename, else Content-Type name, as
    get_filename looks): RFC 2231 values, encoded-words and raw 8-bit bytes read by the charset
    chain (compat32's own collapse replaces what its label cannot decode)."""
    value = _raw_param(part, "content-disposition", "filename")
    if value is None:
        value = _raw_param(part, "content-type", "name")
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded bytes as latin-1)
        charset, _language, text = value
        data = email.utils.unquote(text).encode("latin-1")
        return " ".join(decode_text(data, charset, None if charset else hint).split()) or None
    if not isinstance(value, str):
        return None
    value = email.utils.unquote(value).strip()
    if not value.isascii():  # raw 8-bit (RFC 6532 UTF-8, or a legacy charset)
        return " ".join(decode_text(value.encode("latin-1"), None, hint).split()) or None
    return decode_words(value, hint) or None


def _raw_param(part: Message, header: str, name: str) -> str | tuple | None:
    """A parameter of the raw header, its 8-bit bytes as latin-1 characters: compat32's get()
    would turn them into replacement characters before get_param sees them."""
    raw = next((value for key, value in part.raw_items() if key.lower() == header), None)
    if not isinstance(raw, str):
        return None
    scratch = Message()
    scratch[header] = raw.encode("utf-8", "surrogateescape").decode("latin-1")
    try:
        return scratch.get_param(name, None, header)
    except Exception:
        return None


def _on_disk(part: Message, parsed: ParsedEmail) -> FileRange | None:
    """The file range of a base64 body left on disk (every other run was restored after parsing)."""
    payload = part._payload  # raw: get_payload() would decode 8-bit text
    if parsed.stubbed is None or not isinstance(payload, str) or not is_base64(part):
        return None
    return parsed.stubbed.whole_run(payload)


def _payload_bytes(part: Message, parsed: ParsedEmail) -> bytes:
    """The decoded payload; bad base64 or quoted-printable keeps what can be decoded."""
    on_disk = _on_disk(part, parsed)
    if on_disk is not None:
        reader, chunks = on_disk.open_decoded(), []
        while chunk := reader.read():
            chunks.append(chunk)
        return b"".join(chunks)
    try:
        data = part.get_payload(decode=True)
    except Exception as error:
        parsed.defects.append(f"payload: {error!r}")
        data = None
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _text_of(part: Message, parsed: ParsedEmail) -> str:
    """A text part read by its label and the charset chain (see charsets)."""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_text(_payload_bytes(part, parsed), charset)


def _add_attachment(part: Message, ctype: str, disposition: str, filename: str | None,
                    parsed: ParsedEmail) -> None:
    """Keep a non-body part as an attachment (inline when it has a Content-ID)."""
    content_id = None
    raw_cid = part.get("content-id")  # compat32: a plain string
    if raw_cid:
        ids = message_ids(str(raw_cid)) or [f"<{str(raw_cid).strip()}>"]
        content_id = ids[0][1:-1]
    if ctype == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = inner.as_bytes() if isinstance(inner, Message) else _payload_bytes(part, parsed)
        filename = filename or "forwarded.eml"
        on_disk = None
    else:
        on_disk = _on_disk(part, parsed)
        data = None if on_disk is not None else _payload_bytes(part, parsed)  # None: from disk
    parsed.attachments.append(ParsedAttachment(
        filename=filename or ("inline" if content_id else "attachment"),
        content_type=ctype,
        data=data,
        content_id=content_id,
        inline=bool(content_id) and disposition != "attachment",
        on_disk=on_disk,
    ))


def _collect_returned_ids(part: Message, parsed: ParsedEmail) -> None:
    """A bounce's returned message or headers: remember the Message-ID it returns."""
    try:
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            mid = payload[0].get("message-id")
        else:
            text = _payload_bytes(part, parsed).decode("utf-8", "replace")
            match = re.search(r"^message-id:\s*(<[^>]+>)", text, re.I | re.M)
            mid = match.group(1) if match else None
        if mid:
            parsed.returned_message_ids.extend(message_ids(str(mid)))
    except Exception as error:
        parsed.defects.append(f"returned: {error!r}")
