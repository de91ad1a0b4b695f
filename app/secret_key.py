"""The signing key of an installation without SECRET_KEY (development, tests): random, made once in
the instance folder with mode 0600, and the same for every process that starts there."""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from app import ConfigurationError

KEY_FILE = "secret_key"


def instance_secret_key(folder: Path, name: str = KEY_FILE, variable: str = "SECRET_KEY",
                        make=lambda: secrets.token_hex(32)) -> str:
    """The key stored in folder/name (secret_key), made first by make() if missing; `variable` is
    the setting that replaces it (for the error messages). Also app.encryption's Fernet key.

    Race-safe: the key is written whole to a private temporary file, then hard-linked to its
    name, which fails for all but the first process; every process then reads that one file.
    Raises ConfigurationError, saying what to do, when the file is readable by others or damaged.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        _create(path, make)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(f"{path} can be read by other users (mode {mode:o}): run "
                           f"`chmod 600 {path}`, or delete it to make a new key.")
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigurationError(f"{path} does not hold a usable key: delete it to make a new one, "
                           f"or set {variable}.")
    return key


def _create(path: Path, make) -> None:
    """Write a new key to a temporary file and link it into place unless another process won."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        os.write(descriptor, (make() + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process made it first: everyone uses that one
    finally:
        temporary.unlink()
