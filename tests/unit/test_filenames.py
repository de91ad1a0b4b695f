"""Attachment names are cleaned before they are kept (never used as paths)."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.attachments import MAX_NAME_LENGTH, clean_filename


@pytest.mark.parametrize("raw, clean", [
    ("informe.pdf", "informe.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\foto.png", "foto.png"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("a\x00b\r\nc.txt", "abc.txt"),
    ("", "attachment"),
    (None, "attachment"),
    ("...", "attachment"),
    ("año 2026 — informe.docx", "año 2026 — informe.docx"),
])
def test_clean_filename(raw, clean):
    assert clean_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = clean_filename("x" * 500 + ".pdf")
    assert len(name) <= MAX_NAME_LENGTH and name.endswith(".pdf")


@given(st.text())
def test_any_name_becomes_a_safe_single_segment(raw):
    name = clean_filename(raw)
    assert name and "/" not in name and "\\" not in name
    assert name not in (".", "..") and len(name) <= MAX_NAME_LENGTH
    assert not any(ord(ch) < 32 or 0x202a <= ord(ch) <= 0x202e for ch in name)
