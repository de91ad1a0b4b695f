"""The signing key of an installation without SECRET_KEY (development, tests): random, made once in
the instance folder with mode 0600, and the same for every process that starts there."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from app import ConfigurationError

KEY_FILE = "secret_key"


def instance_secret_key(folder: Path) -> str:
    """The key stored in folder/secret_key, made first if missing.

    Race-safe: the key is written whole to a private temporary file, then hard-linked to its
    name, which fails for all but the first process; every process then reads that one file.
    Raises ConfigurationError, saying what to do, when the file is readable by others or damaged.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    if not path.exists():
        _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"{path} can be read by other users (mode {mode:o}): run "
                           f"`chmod 600 {path}`, or delete it to make a new key.")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigurationError(f"{path} does not hold a usable key: delete it to make a new one, "
                           "or set SECRET_KEY.")
    return key


def _create(path: Path) -> None:
    """Write a new key to a temporary file and link it into place unless another process won."""
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: everyone uses that one
    finally:
        temporary.unlink()
