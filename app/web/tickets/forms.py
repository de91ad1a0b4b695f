"""The ticket forms' record choices, read by WTForms: each id bounded, or refused with a message
naming the field (what may be chosen is the services' rule)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from app.web.params import IdSelectField, bounded_id

_DAMAGED = _l("The form is incomplete or damaged. Open the ticket again and edit it from there.")


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


class VersionField(HiddenField):
    """The ticket's lock_version when the form was shown (a whole number from 1), so a save
    after someone else's is refused instead of overwriting it."""

    def process_formdata(self, valuelist):
        try:
            self.data = bounded_id(valuelist[0] if valuelist else None)
        except ValueError:
            self.data = None
            raise ValueError(_DAMAGED) from None

    def pre_validate(self, form):
        if self.data is None and not self.process_errors:
            raise ValidationError(_DAMAGED)


class EditTicketForm(FlaskForm):
    """A ticket's editable data (the client stays); urgency is checked by the service."""

    subject = StringField(_l("Subject"))
    type_id = IdSelectField(_l("Type"))
    urgency = SelectField(_l("Urgency"), validate_choice=False)
    contract_id = IdSelectField(_l("Contract"))
    project_id = IdSelectField(_l("Project"))
    contact_id = IdSelectField(_l("Requester"))
    lock_version = VersionField()
