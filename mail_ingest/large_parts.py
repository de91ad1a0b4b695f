"""Large bodies stay on disk: find long base64 runs in the stored raw message, parse a small stub
in their place, and decode each run from the file in chunks when it is stored.

The standard `email` parser keeps every body in memory several times over
(lines, the joined string, the decoded bytes). For a message with a 25 MB
attachment that is hundreds of MB; with this, the poller's memory stays close
to one copy of the message, however large its attachments.
"""
from __future__ import annotations

import binascii
import mmap
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
MIN_RUN_LINES = 1000  # about 76 KB of base64: smaller bodies are parsed as usual
_RUN = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]{1,998}+\r?\n){%d,}+" % MIN_RUN_LINES)  # possessive: no backtracking stack
_WHITESPACE = b" \t\r\n"


@dataclass(frozen=True)
class FileRange:
    """Bytes start..end of a file."""

    path: Path
    start: int
    end: int

    def decoded_size(self) -> int:
        """The size once decoded, counted by reading the range (no decoding, little memory)."""
        chars, padding = 0, 0
        with self.path.open("rb") as fp:
            fp.seek(self.start)
            left = self.end - self.start
            while left > 0:
                chunk = fp.read(min(CHUNK, left)).translate(None, _WHITESPACE)
                left -= CHUNK
                if chunk:
                    chars += len(chunk)
                    padding = len(chunk) - len(chunk.rstrip(b"=")) or (
                        padding if not chunk.strip(b"=") else 0)
        return (chars - padding) * 3 // 4

    def open_decoded(self) -> "Base64RangeReader":
        return Base64RangeReader(self)

    def read_raw(self) -> bytes:
        with self.path.open("rb") as fp:
            fp.seek(self.start)
            return fp.read(self.end - self.start)


class Base64RangeReader:
    """A binary stream decoding base64 from a file range, a chunk at a time."""

    def __init__(self, source: FileRange):
        self.source = source
        self.fp = source.path.open("rb")
        self.fp.seek(source.start)
        self.left = source.end - source.start
        self.carry = b""

    def read(self, _size: int = -1) -> bytes:
        """The next decoded chunk (b"" at the end); the size asked for is a hint only."""
        while self.left > 0:
            chunk = self.fp.read(min(CHUNK, self.left))
            if not chunk:
                break
            self.left -= len(chunk)
            data = self.carry + chunk.translate(None, _WHITESPACE)
            usable = len(data) - len(data) % 4
            self.carry = data[usable:]
            if usable:
                return binascii.a2b_base64(data[:usable])
        if self.carry:
            tail, self.carry = self.carry, b""
            padded = tail + b"=" * (-len(tail) % 4)
            try:
                return binascii.a2b_base64(padded)
            except binascii.Error:
                return b""
        self.fp.close()
        return b""

    def close(self) -> None:
        self.fp.close()


@dataclass(frozen=True)
class Stubbed:
    """A message with its long runs replaced by placeholder lines, and where each run is."""

    stub: bytes
    token: bytes
    ranges: dict[int, FileRange]

    def placeholder(self, payload: str) -> FileRange | None:
        """The file range a part's payload stands for, if it is a placeholder."""
        match = re.fullmatch(rb"%s (\d+)\s*" % re.escape(self.token),
                             payload.encode("ascii", "replace"))
        return self.ranges.get(int(match.group(1))) if match else None


def stub_large_bodies(path: Path) -> Stubbed:
    """Read the stored message through mmap and replace every long base64 run by a placeholder."""
    token = b"SOPORTE-LARGE-PART-" + secrets.token_hex(8).encode()
    pieces, ranges, previous = [], {}, 0
    with path.open("rb") as fp, mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for number, match in enumerate(_RUN.finditer(mm)):
            pieces.append(mm[previous:match.start()])
            pieces.append(b"%s %d\r\n" % (token, number))
            ranges[number] = FileRange(path, match.start(), match.end())
            previous = match.end()
        pieces.append(mm[previous:])
    return Stubbed(b"".join(pieces), token, ranges)
