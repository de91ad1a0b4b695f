"""Clients (with their domains), contacts, contracts, projects and ticket types in /admin: every
save goes through its service (clients, contacts, reference_data), so the rules hold here as in
triage and the mail poller. The external id (the key the company's ERP knows a client, contact,
contract or project by) is shown and edited here too, under the same rule as over the API, and
so are a client's and a contract's hourly rate and currency (blank: the less specific one,
app.services.billing.rates)."""
from __future__ import annotations

from app.admin.base import ServiceView
from app.models import ClientDomain
from app.services import clients, contacts, reference_data


class ClientView(ServiceView):
    """A client and its email domains (an inline list: add, change, remove)."""

    column_list = ("name", "external_id", "hourly_rate", "currency", "active", "domains")
    column_searchable_list = ("name", "external_id")
    inline_models = (ClientDomain,)
    form_excluded_columns = ("contacts", "contracts", "projects", "created_at")

    def save(self, actor, row, form):
        fields = clients.ClientFields(form.name.data, bool(form.active.data), form.notes.data,
                                      tuple(_inline_domains(form.domains)),
                                      form.external_id.data, form.hourly_rate.data,
                                      form.currency.data)
        return clients.save_client(actor, row, fields)


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


class ContractView(ServiceView):
    """A contract of a client; one that covers support makes new tickets free."""

    column_list = ("name", "client", "external_id", "covers_support", "starts_on", "ends_on",
                   "hourly_rate", "currency", "included_hours", "bank_period", "active")
    column_searchable_list = ("name", "external_id")
    form_columns = ("client", "name", "external_id", "covers_support", "starts_on", "ends_on",
                    "hourly_rate", "currency", "included_hours", "bank_period", "overage_rate",
                    "active")

    def save(self, actor, row, form):
        fields = reference_data.ContractFields(
            form.client.data, form.name.data, bool(form.covers_support.data),
            form.starts_on.data, form.ends_on.data, bool(form.active.data),
            form.external_id.data, form.hourly_rate.data, form.currency.data,
            form.included_hours.data, form.bank_period.data, form.overage_rate.data)
        return reference_data.save_contract(actor, row, fields)


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
