"""Why the poller set a message aside, in the reader's language: each kind of stored reason
(mail_ingest.ingest and mail_ingest.classify write them in English, as codes, e.g. "bounce:
sender mailer-daemon@…") has one translatable label; the detail after the first ": " is shown
as stored (it quotes headers and addresses)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    "unknown sender": _l("unknown sender"),
    "inactive contact": _l("inactive contact"),
    "rate-limited sender": _l("sender over the hourly message limit"),
    "duplicate": _l("duplicate"),
    "error": _l("processing error"),
    "too complex": _l("too complex to process"),
    "too large": _l("too large to download"),
    "auto-reply": _l("automatic reply"),
    "bounce": _l("delivery failure (bounce)"),
    "own-address": _l("sent from our own address"),
    "loop": _l("mail loop"),
    "spam-complaint": _l("spam complaint"),
    "report": _l("automatic report"),
    "list-notice": _l("mailing list notice"),
    "bulk": _l("bulk mail"),
}


def reason_label(reason: str | None) -> str:
    """The reason in the reader's language ("" for none; an unknown kind as stored)."""
    if not reason:
        return ""
    kind, colon, detail = reason.partition(": ")
    label = LABELS.get(kind)
    if label is None:
        return reason
    return f"{label}: {detail}" if colon else str(label)
