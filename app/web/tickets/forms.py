"""The ticket forms' record choices, read by WTForms: each id bounded, or refused with a message
naming the field (what may be chosen is the services' rule)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form

from app.web.params import IdSelectField


class NewTicketForm(Form):
    """The records a new ticket refers to."""

    client_id = IdSelectField(_l("Client"))
    contact_id = IdSelectField(_l("Requester"))
    contract_id = IdSelectField(_l("Contract"))
    project_id = IdSelectField(_l("Project"))
    type_id = IdSelectField(_l("Type"))


class AssignForm(Form):
    """Who the ticket is assigned to (empty: nobody)."""

    assignee_id = IdSelectField(_l("Assigned to"))
