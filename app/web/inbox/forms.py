"""The triage form's client, read by WTForms: a bounded id, or refused with a message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form

from app.web.params import IdSelectField


class TriageForm(Form):
    """The client picked for an unknown sender's message."""

    client_id = IdSelectField(_l("Client"))
