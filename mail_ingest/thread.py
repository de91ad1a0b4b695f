"""Threading headers as real mail programs write them: Message-IDs, Outlook's Thread-Index, the
subject token.

RFC 5322 wants `<left@right>`; clients also write ids without angle brackets, with comments
(`<id> (Carla's message of …)`), folded inside the brackets, or with the domain in another
letter case (the right-hand side is a domain: case does not matter). Outlook's Thread-Index is
base64: 22 bytes that name the conversation (a reserved byte, a FILETIME and a GUID), then 5 bytes
per reply; an Outlook reply may carry only it. The subject token is matched in any letter case,
with spaces around it or between its prefix and digits, and with any number of leading zeros.
"""
from __future__ import annotations

import base64
import binascii
import re

from app.services.numbering import format_ticket_number
from mail_ingest.parse import ParsedEmail

MAX_IDS = 50
CONVERSATION_BYTES = 22

_BRACKETED = re.compile(r"<([^<>]*)>")
_BARE_SEPARATORS = re.compile(r"[\s,;]+")


def message_ids(value: str) -> list[str]:
    """Every Message-ID in an In-Reply-To, References or Message-ID value, as `<left@right>`,
    in the order written, without repeats (comments and quoted phrases are not ids)."""
    text = _without_comments(value or "")
    found = [re.sub(r"\s+", "", inner) for inner in _BRACKETED.findall(text)]
    outside = _BRACKETED.sub(" ", text)
    outside = re.sub(r'"[^"]*"', " ", outside)  # a quoted phrase ("Your message of …")
    found += [token.strip("'\"") for token in _BARE_SEPARATORS.split(outside) if "@" in token]
    ids, seen = [], set()
    for inner in found:
        if inner and "@" in inner and not inner.startswith("@") and inner not in seen:
            seen.add(inner)
            ids.append(f"<{inner}>")
    return ids[:MAX_IDS]


def own_id(parsed: ParsedEmail) -> str | None:
    """The message's own Message-ID, also when written without angle brackets."""
    if parsed.message_id:
        return parsed.message_id
    ids = message_ids(parsed.headers.get("message-id", ""))
    return ids[0] if ids and len(ids[0]) <= 998 else None


def reply_ids(parsed: ParsedEmail) -> list[str]:
    """The Message-IDs a message answers, most recent first: In-Reply-To, then References from
    its end (read from the raw headers, whatever their shape)."""
    headers = parsed.headers
    ordered = list(reversed(message_ids(headers.get("in-reply-to", "")))) + \
        list(reversed(message_ids(headers.get("references", ""))))
    seen, result = set(), []
    for mid in ordered + parsed.thread_ids:
        if mid not in seen:
            seen.add(mid)
            result.append(mid)
    return result[:MAX_IDS]


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
    pattern = re.compile(
        r"[\[［【]\s*" + re.escape(letters) + r"\s*[-_]?\s*(\d{1,18})\s*[\]］】]", re.I)
    numbers = []
    for digits in pattern.findall(subject or ""):
        number = format_ticket_number(letters + separator, int(digits))
        if number not in numbers:
            numbers.append(number)
    return numbers


def _without_comments(value: str) -> str:
    """The value with its (comments) removed; parentheses inside <…> or "…" are kept."""
    out, depth, bracket, quoted = [], 0, False, False
    for ch in value:
        if depth == 0 and ch == '"' and not bracket:
            quoted = not quoted
        elif depth == 0 and not quoted and ch in "<>":
            bracket = ch == "<"
        elif not bracket and not quoted and ch == "(":
            depth += 1
            continue
        elif depth and ch == ")":
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)
