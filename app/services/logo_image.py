"""What a logo file really is, read from its bytes (never from its name or the type the browser
sent): a PNG or a JPEG, with its width and height; anything else is refused.

No imaging library: a PNG's header chunk and a JPEG's frame header say the size, and reading
them is all the check needs. The file is stored as sent and served with the type found here.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8\xff"
# JPEG markers that start a frame (its header has the size): SOF0-SOF15 but DHT, JPG and DAC.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class RasterImage:
    """A logo's type as served, and its size in pixels."""

    content_type: str  # image/png or image/jpeg
    width: int
    height: int


class NotRaster(ValueError):
    """The bytes are not a PNG or JPEG whose size can be read; `kind` says what they look like
    ("svg", "gif", "webp", "damaged", "unknown") so the refusal can say what to do."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def measure(data: bytes) -> RasterImage:
    """The type and size of a PNG or JPEG; NotRaster for anything else or a damaged header."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(JPEG_START):
        return _jpeg(data)
    raise NotRaster(_guess(data))


def _png(data: bytes) -> RasterImage:
    """The IHDR chunk (always first): its length, name, size and CRC must be right."""
    if len(data) < 33:
        raise NotRaster("damaged")
    length, name = struct.unpack(">I4s", data[8:16])
    if name != b"IHDR" or length != 13:
        raise NotRaster("damaged")
    body = data[16:29]
    crc, = struct.unpack(">I", data[29:33])
    if zlib.crc32(name + body) != crc:
        raise NotRaster("damaged")
    width, height = struct.unpack(">II", body[:8])
    if b"IEND" not in data[-12:]:
        raise NotRaster("damaged")  # cut short: mail programs would show half a logo
    return RasterImage("image/png", width, height)


def _jpeg(data: bytes) -> RasterImage:
    """Walk the segments to the first frame header, which holds the size."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            raise NotRaster("damaged")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        length, = struct.unpack(">H", data[at + 2:at + 4])
        if length < 2:
            raise NotRaster("damaged")
        if marker in _JPEG_FRAMES:
            if at + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
                raise NotRaster("damaged")
            return RasterImage("image/jpeg", width, height)
        if marker == 0xD9:
            break
        at += 2 + length
    raise NotRaster("damaged")


def _guess(data: bytes) -> str:
    """What a refused file looks like, for the message."""
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        return "svg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return "unknown"
