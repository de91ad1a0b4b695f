"""Threading headers as real mail programs write them: Message-IDs, Outlook's Thread-Index, the
subject token.

Ids in any shape are read by mail_ingest/message_ids.py when the message is parsed; here, an id
stored with its domain in another letter case still matches (a domain's case does not matter).
Outlook's Thread-Index is
base64: 22 bytes that name the conversation (a reserved byte, a FILETIME and a GUID), then 5 bytes
per reply; an Outlook reply may carry only it. The subject token is matched in any letter case,
with spaces around it or between its prefix and digits, and with any number of leading zeros.
"""
from __future__ import annotations

import base64
import binascii
import re

from app.services.numbering import format_ticket_number, subject_token_pattern
from mail_ingest.parse import ParsedEmail

CONVERSATION_BYTES = 22

def spellings(message_id: str) -> list[str]:
    """The ways a stored id may be written: as given, and with its domain in lower and in upper
    case (ours are lower-case; Exchange writes upper-case domains)."""
    left, at, right = message_id[1:-1].rpartition("@")
    if not at:
        return [message_id]
    variants = [message_id, f"<{left}@{right.lower()}>", f"<{left}@{right.upper()}>"]
    return list(dict.fromkeys(variants))


def conversation_key(parsed: ParsedEmail) -> str | None:
    """The hex of the conversation part (first 22 bytes) of Outlook's Thread-Index, or None."""
    value = re.sub(r"\s+", "", parsed.headers.get("thread-index", ""))
    if not value:
        return None
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) < CONVERSATION_BYTES:
        return None
    return raw[:CONVERSATION_BYTES].hex()


def ticket_numbers(subject: str, prefix: str) -> list[str]:
    """The ticket numbers named by tokens like `[TCK-000123]` in a subject, as stored: any letter
    case, spaces inside the brackets, a space or no hyphen after the prefix, fewer zeros."""
    letters = prefix.rstrip("-_ ")
    separator = prefix[len(letters):]
    numbers = []
    for digits in subject_token_pattern(prefix).findall(subject or ""):
        number = format_ticket_number(letters + separator, int(digits))
        if number not in numbers:
            numbers.append(number)
    return numbers
