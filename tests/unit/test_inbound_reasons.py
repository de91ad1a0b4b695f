"""Every reason the poller stores has one label in the reader's language; the detail after
the first ": " is kept as stored."""
import pytest
from flask_babel import force_locale

from app.services.contacts import INACTIVE_CONTACT, UNKNOWN_SENDER
from app.web.inbox.reasons import LABELS, reason_label
from mail_ingest import classify

WRITTEN_BY_THE_POLLER = [UNKNOWN_SENDER, INACTIVE_CONTACT, "rate-limited sender", "duplicate",
                         "error", "too complex", "too large", classify.AUTO_REPLY, classify.BOUNCE,
                         classify.OWN_MAIL, classify.LOOP, classify.COMPLAINT, classify.REPORT,
                         classify.LIST_NOTICE, classify.BULK]


@pytest.mark.parametrize("kind", WRITTEN_BY_THE_POLLER)
def test_each_kind_has_a_spanish_label(app, kind):
    assert kind in LABELS
    with app.test_request_context():
        with force_locale("en"):
            english = reason_label(kind)
        with force_locale("es"):
            spanish = reason_label(kind)
    assert english and spanish and spanish != english


def test_labels_keep_the_detail_in_spanish_and_english(app):
    with app.test_request_context():
        with force_locale("es"):
            assert reason_label("bounce: sender mailer-daemon@x.example") == \
                "fallo de entrega (rebote): sender mailer-daemon@x.example"
            assert reason_label("too complex: 300 parts") == \
                "demasiado complejo para procesarlo: 300 parts"
            assert reason_label("unknown sender") == "remitente desconocido"
        with force_locale("en"):
            assert reason_label("auto-reply: Auto-Submitted: auto-replied") == \
                "automatic reply: Auto-Submitted: auto-replied"
            assert reason_label("rate-limited sender") == "sender over the hourly message limit"
    assert reason_label(None) == "" and reason_label("something new: x") == "something new: x"
