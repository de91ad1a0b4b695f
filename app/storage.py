"""Content-addressed file storage: bytes kept on disk under their SHA-256, written atomically.

Attachments and the raw source of every inbound email live in stores like this.
A name given by a user or an email is never part of a path.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
HEAD_BYTES = 8192


class TooLarge(Exception):
    """The stream was longer than the store's limit; nothing was kept."""


@dataclass(frozen=True)
class StoredBlob:
    """What was stored: its hash, its size, and its first bytes (for type sniffing)."""

    sha256: str
    size: int
    head: bytes


class BlobStore:
    """Files under root/ab/cd/<sha256>; the same bytes are stored once."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the bytes with this hash live (ValueError for anything but a hex digest)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_stream(self, stream: BinaryIO, limit: int | None = None) -> StoredBlob:
        """Copy a stream into the store in chunks; TooLarge (and nothing kept) past the limit."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise TooLarge(size)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    tmp.write(chunk)
            sha = digest.hexdigest()
            target = self.path_for(sha)
            if target.exists():
                os.unlink(tmp_name)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, target)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise
        return StoredBlob(sha, size, head)

    def put_bytes(self, data: bytes, limit: int | None = None) -> StoredBlob:
        """Store bytes already in memory."""
        import io

        return self.put_stream(io.BytesIO(data), limit)

    def open(self, sha256: str) -> BinaryIO:
        """Open stored bytes for reading."""
        return self.path_for(sha256).open("rb")


def raw_mail_store() -> BlobStore:
    """Where the raw source of every inbound email is kept (SOPORTE_RAW_MAIL_DIR, by default
    SOPORTE_MAIL_DIR/raw): written by the poller, read again by triage's preview and retries."""
    from flask import current_app

    config = current_app.config
    return BlobStore(config.get("SOPORTE_RAW_MAIL_DIR") or f"{config['SOPORTE_MAIL_DIR']}/raw")
