"""Reading a stored message for the triage page: every difficult message is shown or says why,
nothing raises, and what is read is bounded."""
import pytest

from app import mail_preview
from tests import mail_corpus as corpus


# ids by name only: the raw messages carry fresh Message-IDs, which would make each collection
# (each pytest-xdist worker) name the tests differently
@pytest.mark.parametrize("name,raw", sorted(corpus.nasty_corpus().items()),
                         ids=lambda value: value if isinstance(value, str) else "raw")
def test_every_difficult_message_is_shown_or_says_why(tmp_path, name, raw):
    path = tmp_path / "raw"
    path.write_bytes(raw)
    preview = mail_preview.preview(path)
    assert preview.error is None, name
    assert len(preview.text) <= mail_preview.TEXT_MAX + 2
    assert len(preview.attachments) <= mail_preview.ATTACHMENTS_MAX
    assert "<script" not in preview.html and "onerror" not in preview.html


def test_an_attachment_is_listed_by_name_and_size(tmp_path):
    path = tmp_path / "raw"
    path.write_bytes(corpus.with_attachment(filename="acta.pdf", data=b"%PDF" * 300))
    preview = mail_preview.preview(path)
    assert preview.text.strip() == "Va el adjunto."
    assert [(a.name, a.size) for a in preview.attachments] == [("acta.pdf", 1200)]


def test_a_long_message_shows_only_its_start_and_says_so(tmp_path):
    path = tmp_path / "raw"
    path.write_bytes(corpus.simple(body="línea larga\n" * 100_000))
    preview = mail_preview.preview(path)
    assert preview.truncated and preview.error is None
    assert preview.text.startswith("línea larga") and preview.text.endswith(" …")
    assert len(preview.text) <= mail_preview.TEXT_MAX + 2


def test_a_missing_or_unstored_source_says_why(tmp_path):
    assert "FileNotFoundError" in mail_preview.preview(tmp_path / "gone").error
    assert mail_preview.raw_path(None) is None
