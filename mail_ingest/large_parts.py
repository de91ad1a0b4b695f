"""Large bodies stay on disk: long base64-looking runs of the stored raw message are swapped for a
placeholder line before parsing, and every placeholder is put back byte for byte, except where a
run is the whole body of a base64 part: that body is decoded from the file, a chunk at a time.

Why the parse of the stub has the same structure as the plain parse: a run is made of whole lines
of [A-Za-z0-9+/=] ended by LF or CRLF, and the placeholder is one line ended as the run's last line
is. Neither can be a header (no colon, no leading space), a boundary (no leading "--"), nor a blank
line, which are the only lines the standard parser tells apart; so each part's payload (and
preamble, epilogue) of the plain parse is the stub's with each placeholder replaced by its run.
The parser strips the line ending before a boundary: a placeholder that lost its line ending
stands for its run without the last line ending.

Why the bytes decoded from disk are the plain parse's: they are only decoded there when the run
is valid base64 as it stands (padding only at its end, a length the standard library decodes
without repair); then the library's decoding and a chunked a2b_base64 agree byte for byte. Any
other run is restored into memory and parsed as usual.

The standard `email` parser keeps every body in memory several times over; with this, the
poller's memory stays close to one copy of the message, however large its attachments.
"""
from __future__ import annotations

import binascii
import mmap
import re
import secrets
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

CHUNK = 1024 * 1024
MIN_RUN_LINES = 1000  # about 76 KB of base64: smaller bodies are parsed as usual
_RUN = re.compile(rb"(?m)^(?:[A-Za-z0-9+/=]{1,998}+\r?\n){%d,}+" % MIN_RUN_LINES)  # possessive: no backtracking stack
_EOL = b"\r\n"


@dataclass(frozen=True)
class FileRange:
    """Bytes start..end of a file: one run of base64-looking lines, line endings included."""

    path: Path
    start: int
    end: int
    chars: int = 0  # characters other than line endings
    padding: int = 0  # trailing "=" characters
    decodable: bool = False  # valid base64 that decodes in chunks exactly as the stdlib decodes

    def decoded_size(self) -> int:
        """The size once decoded (for a decodable run)."""
        return (self.chars - self.padding) * 3 // 4

    def open_decoded(self) -> "Base64RangeReader":
        """A stream of the decoded bytes (for a decodable run)."""
        return Base64RangeReader(self)

    def read_raw(self) -> bytes:
        """The run's bytes as stored."""
        with self.path.open("rb") as fp:
            fp.seek(self.start)
            return fp.read(self.end - self.start)


class Base64RangeReader:
    """A binary stream decoding a decodable base64 run from its file, a chunk at a time."""

    def __init__(self, source: FileRange):
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
            data = self.carry + chunk.translate(None, _EOL)
            usable = len(data) - len(data) % 4
            self.carry = data[usable:]
            if usable:
                return binascii.a2b_base64(data[:usable])
        if self.carry:  # 2 or 3 characters without their padding: the stdlib pads them too
            tail, self.carry = self.carry, b""
            return binascii.a2b_base64(tail + b"=" * (-len(tail) % 4))
        self.fp.close()
        return b""

    def close(self) -> None:
        """Close the file."""
        self.fp.close()


@dataclass(frozen=True)
class Stubbed:
    """A message with its long runs replaced by placeholder lines, and where each run is."""

    stub: bytes
    token: str
    ranges: dict[int, FileRange] = field(default_factory=dict)

    def _pattern(self) -> re.Pattern[str]:
        return re.compile(r"%s (\d+)(\r\n|\n)?" % re.escape(self.token))

    def holds_placeholder(self, text: str | None) -> bool:
        """True when the text (a payload, preamble or epilogue of the stub) names a run."""
        return isinstance(text, str) and self.token in text

    def whole_run(self, payload: str) -> FileRange | None:
        """The run a payload is made of alone (line endings aside), when it is decodable."""
        match = re.fullmatch(r"%s (\d+)[\r\n]*" % re.escape(self.token), payload)
        found = self.ranges.get(int(match.group(1))) if match else None
        return found if found is not None and found.decodable else None

    def restore(self, text: str) -> str:
        """The text with every placeholder replaced by its run, as the plain parse has it."""
        def run(match: re.Match[str]) -> str:
            data = self.ranges[int(match.group(1))].read_raw().decode("ascii")
            if match.group(2) is None:  # the parser took the line ending for the boundary's
                data = data[:-2] if data.endswith("\r\n") else data[:-1]
            return data
        return self._pattern().sub(run, text)


def stub_large_bodies(path: Path) -> Stubbed:
    """Read the stored message through mmap and replace every long base64-looking run by a
    placeholder line ended as the run ends."""
    token = "SOPORTE-LARGE-PART-" + secrets.token_hex(8)
    pieces, ranges, previous = [], {}, 0
    with path.open("rb") as fp, mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for number, match in enumerate(_RUN.finditer(mm)):
            start, end = match.span()
            eol = b"\r\n" if mm[end - 2:end] == b"\r\n" else b"\n"
            pieces.append(mm[previous:start])
            pieces.append(b"%s %d%s" % (token.encode(), number, eol))
            ranges[number] = _measure(mm, path, start, end)
            previous = end
        pieces.append(mm[previous:])
    return Stubbed(b"".join(pieces), token, ranges)


def _measure(mm: mmap.mmap, path: Path, start: int, end: int) -> FileRange:
    """The run's range, counted: characters, padding, and whether it decodes in chunks exactly."""
    endings = 0
    for offset in range(start, end, CHUNK):
        chunk = mm[offset:min(offset + CHUNK, end)]
        endings += chunk.count(b"\n") + chunk.count(b"\r")
    chars = end - start - endings
    first_pad = mm.find(b"=", start, end)
    padding = 0
    if first_pad != -1:
        tail = mm[first_pad:end].translate(None, _EOL) if end - first_pad <= 8 else b""
        padding = len(tail) if tail in (b"=", b"==") else -1
    # the stdlib decodes the joined lines strictly when the length is a multiple of 4 (padding
    # only at the end) or, without padding, when 2 or 3 characters are left (it pads them)
    decodable = padding == 0 and chars % 4 in (0, 2, 3) or padding > 0 and chars % 4 == 0
    return FileRange(path, start, end, chars, max(padding, 0), decodable)


def is_base64(part: Message) -> bool:
    """Whether the standard library decodes this part's payload as base64 (its exact test)."""
    return str(part.get("content-transfer-encoding", "")).lower() == "base64"


def restore_all_but_decodable(message: Message, stubbed: Stubbed) -> None:
    """Put every run back into the parsed stub, except the whole bodies of base64 leaf parts
    that decode from disk; inside a forwarded message (kept whole) every run is put back."""
    pending: list[tuple[Message, bool]] = [(message, False)]
    while pending:  # no recursion: nesting depth is the sender's choice
        part, forwarded = pending.pop()
        for name in ("preamble", "epilogue"):
            value = getattr(part, name, None)
            if stubbed.holds_placeholder(value):
                setattr(part, name, stubbed.restore(value))
        payload = part._payload  # the raw payload: get_payload() would decode nothing here anyway
        if isinstance(payload, list):
            inside = forwarded or part.get_content_type() == "message/rfc822"
            pending.extend((child, inside) for child in payload if isinstance(child, Message))
        elif stubbed.holds_placeholder(payload):
            if forwarded or not is_base64(part) or stubbed.whole_run(payload) is None:
                part.set_payload(stubbed.restore(payload))
