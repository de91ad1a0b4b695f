"""Decode mail text whatever its label says (provisional)."""
from mail_ingest.parse import _decode


def decode_text(data: bytes, label: str | None) -> str:
    return _decode(data, label or "utf-8")
