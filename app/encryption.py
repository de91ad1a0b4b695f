"""Secrets at rest (mailbox passwords): Fernet with key rotation, keys from SOPORTE_ENCRYPTION_KEYS.

SOPORTE_ENCRYPTION_KEYS is a comma-separated list of Fernet keys: the first encrypts,
every one decrypts, so a new key goes first and the old ones stay until
`flask mail rotate-keys` has re-encrypted every secret under the new one. Without the
variable, outside production, a key is generated once in the instance folder
(`instance/encryption_key`, mode 0600, made like `instance/secret_key`) and used from then on;
production refuses to start without it.
"""
from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

KEY_FILE = "encryption_key"
_EXTENSION = "soporte_encryption"
_UNREADABLE = ("it cannot be decrypted with the keys in SOPORTE_ENCRYPTION_KEYS: add the key it was "
               "encrypted with, or enter the password again in /admin")


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens (its key was rotated away, or the
    value was altered)."""


def init_app(app: Flask) -> None:
    """Load the keys for this app (SOPORTE_ENCRYPTION_KEYS, else the instance key file when
    SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE allows it); ConfigurationError when there are none or one
    is not a Fernet key."""
    from app import ConfigurationError
    from app.secret_key import instance_secret_key

    text = app.config.get("SOPORTE_ENCRYPTION_KEYS") or ""
    if not text.strip():
        if not app.config.get("SOPORTE_ENCRYPTION_KEY_FROM_INSTANCE"):
            raise ConfigurationError(
                "SOPORTE_ENCRYPTION_KEYS must be set in the environment in production: "
                "generate one with `python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`.")
        text = instance_secret_key(Path(app.instance_path), KEY_FILE, "SOPORTE_ENCRYPTION_KEYS",
                                   lambda: Fernet.generate_key().decode())
    keys = [key.strip() for key in text.split(",") if key.strip()]
    try:
        app.extensions[_EXTENSION] = MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError):
        raise ConfigurationError(
            "SOPORTE_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe "
            "base64-encoded bytes); keys are separated by commas.") from None


def _fernet() -> MultiFernet:
    return current_app.extensions[_EXTENSION]


def encrypt(secret: str) -> str:
    """The secret encrypted under the newest key (a Fernet token, ASCII)."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    """The secret in a token made by encrypt(); SecretUnreadable when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(_UNREADABLE) from None


def rotate(token: str) -> str:
    """The same secret encrypted under the newest key; SecretUnreadable as in decrypt()."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise SecretUnreadable(_UNREADABLE) from None
