"""Standard Webhooks signatures: a secret is "whsec_" + base64 of its key bytes; a signature is
"v1," + base64 of HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>") over the exact
bytes sent. Several secrets (a rotation's overlap) give several signatures, separated by spaces
in one webhook-signature header; the receiver accepts the message when one of them matches."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 32  # the convention asks for 24 to 64 random bytes


def new_secret() -> str:
    """A fresh secret: 32 random bytes from the operating system, as "whsec_" + base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The key bytes of a "whsec_…" secret."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One "v1,<base64>" signature of the message under one secret."""
    signed = f"{message_id}.{timestamp}.".encode("ascii") + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: one signature per secret, separated by spaces."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_)


def headers(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets_, message_id, timestamp, body)}
