"""The short code of a quote version, and the decision commands a customer's reply carries:
"APROBAR <code>" or "RECHAZAR <code>" (English "APPROVE"/"REJECT" too, in any language, any
letter case, accents tolerated).

The code is an HMAC of the quote's id and version under the app's SECRET_KEY: one per version,
unguessable, nothing stored. Whether a reply's command counts is quote_decisions' rule.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from flask import current_app

from app.models.quote import Quote

# No 0/O nor 1/I: a code read in one font and typed in another is still the same code.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
_SALT = b"soporte.quote-reply-code|"
# The words the quote email shows, by the customer's language; every word is accepted in any.
_WORDS = {"es": ("APROBAR", "RECHAZAR"), "en": ("APPROVE", "REJECT")}
_APPROVING = {"APROBAR", "APPROVE"}
# A command word, then (after spaces, a colon, # or a hyphen) a word of exactly the code's length:
# a mistyped code is still read as a command, so staff can be told it did not count.
_COMMAND = re.compile(r"\b(APROBAR|APPROVE|RECHAZAR|REJECT)[\s:#\-]+([A-Z0-9]{%d})\b"
                      % CODE_LENGTH)


@dataclass(frozen=True)
class ReplyCommand:
    """One "APROBAR <code>" or "RECHAZAR <code>" found in what the customer wrote."""

    approve: bool
    code: str


def code_for(quote: Quote) -> str:
    """The short code of this quote version (the same every time it is asked for)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, _SALT + f"{quote.id}|{quote.version}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    letters = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    return "".join(letters)


def reply_commands(quote: Quote, language: str) -> tuple[str, str]:
    """The approving and the rejecting command of this quote version, in the words of the
    customer's language ("APROBAR K7MX3Q", "RECHAZAR K7MX3Q")."""
    approve, reject = _WORDS.get(language, _WORDS["es"])
    code = code_for(quote)
    return f"{approve} {code}", f"{reject} {code}"


def commands_in(text: str) -> list[ReplyCommand]:
    """Every decision command in the text, in order (the caller passes only what the customer
    wrote, not the quoted history)."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(char for char in plain if not unicodedata.combining(char)).upper()
    return [ReplyCommand(word in _APPROVING, code) for word, code in _COMMAND.findall(plain)]
