"""Clients (with their domains), contacts, contracts, projects and ticket types in /admin: every
save goes through its service (clients, contacts, reference_data), so the rules hold here as in
triage and the mail poller. The external id (the key the company's ERP knows a client, contact,
contract or project by) is shown and edited here too, under the same rule as over the API, and
so are a client's and a contract's hourly rate and currency (blank: the less specific one,
app.services.billing.rates). A client's and a contract's business calendar is chosen here too
and given through app.services.sla.calendars.use_calendar."""
from __future__ import annotations

from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin.base import ServiceView
from app.extensions import db
from app.models import BusinessCalendar, ClientDomain
from app.services import clients, contacts, reference_data
from app.services.sla import calendars


def _calendar_field(description) -> QuerySelectField:
    """A choice among the stored calendars (empty: the next in line)."""
    return QuerySelectField(_l("Business calendar"), query_factory=_calendars,
                            allow_blank=True, blank_text="—", description=description)


def _calendars() -> list[BusinessCalendar]:
    return list(db.session.scalars(select(BusinessCalendar).order_by(BusinessCalendar.name)))


class CalendarChoice:
    """A view whose rows (clients, contracts) have a business calendar: the field shows the
    row's, and a change is saved through use_calendar after the row's own service."""

    def on_form_prefill(self, form, id):
        row = self.get_one(id)
        if row is not None and not form.calendar.raw_data and row.calendar_id is not None:
            form.calendar.data = db.session.get(BusinessCalendar, row.calendar_id)

    @staticmethod
    def use_chosen_calendar(actor, row, form):
        """Give the saved row the calendar chosen, when it changed; returns the row."""
        chosen = form.calendar.data
        if (chosen.id if chosen is not None else None) != row.calendar_id:
            calendars.use_calendar(actor, row, chosen)
        return row


class ClientView(CalendarChoice, ServiceView):
    """A client and its email domains (an inline list: add, change, remove)."""

    column_list = ("name", "external_id", "hourly_rate", "currency", "active", "domains")
    column_searchable_list = ("name", "external_id")
    inline_models = (ClientDomain,)
    form_excluded_columns = ("contacts", "contracts", "projects", "created_at")
    form_extra_fields = {"calendar": _calendar_field(
        _l("Empty: the configured default calendar (a contract's own calendar comes first)."))}

    def save(self, actor, row, form):
        fields = clients.ClientFields(form.name.data, bool(form.active.data), form.notes.data,
                                      tuple(_inline_domains(form.domains)),
                                      form.external_id.data, form.hourly_rate.data,
                                      form.currency.data)
        return self.use_chosen_calendar(actor, clients.save_client(actor, row, fields), form)


def _inline_domains(entries) -> list[str]:
    """The domains typed in the inline list, without those marked for removal."""
    return [entry.form.domain.data or "" for entry in entries
            if not entries.should_delete(entry)]


class ContactView(ServiceView):
    """A contact of a client."""

    column_list = ("name", "email", "client", "external_id", "language", "active")
    column_searchable_list = ("name", "email", "external_id")
    form_columns = ("client", "name", "email", "external_id", "language", "active")

    def save(self, actor, row, form):
        fields = contacts.ContactFields(form.client.data, form.email.data, form.name.data,
                                        form.language.data, bool(form.active.data),
                                        form.external_id.data)
        return contacts.save_contact(actor, row, fields)


class ContractView(CalendarChoice, ServiceView):
    """A contract of a client; one that covers support makes new tickets free."""

    column_list = ("name", "client", "external_id", "covers_support", "starts_on", "ends_on",
                   "hourly_rate", "currency", "included_hours", "bank_period", "active")
    column_searchable_list = ("name", "external_id")
    form_columns = ("client", "name", "external_id", "covers_support", "starts_on", "ends_on",
                    "hourly_rate", "currency", "included_hours", "bank_period", "overage_rate",
                    "calendar", "active")
    form_extra_fields = {"calendar": _calendar_field(
        _l("Empty: the client's calendar, else the configured default."))}

    def save(self, actor, row, form):
        fields = reference_data.ContractFields(
            form.client.data, form.name.data, bool(form.covers_support.data),
            form.starts_on.data, form.ends_on.data, bool(form.active.data),
            form.external_id.data, form.hourly_rate.data, form.currency.data,
            form.included_hours.data, form.bank_period.data, form.overage_rate.data)
        return self.use_chosen_calendar(actor, reference_data.save_contract(actor, row, fields),
                                        form)


class ProjectView(ServiceView):
    """A project of a client."""

    column_list = ("name", "client", "external_id", "active")
    column_searchable_list = ("name", "external_id")
    form_columns = ("client", "name", "external_id", "active")

    def save(self, actor, row, form):
        fields = reference_data.ProjectFields(form.client.data, form.name.data,
                                              bool(form.active.data), form.external_id.data)
        return reference_data.save_project(actor, row, fields)


class TicketTypeView(ServiceView):
    """A ticket type (Incidente, Consulta, …)."""

    column_list = ("name", "active")
    form_columns = ("name", "active")

    def save(self, actor, row, form):
        return reference_data.save_ticket_type(actor, row, form.name.data,
                                               bool(form.active.data))
