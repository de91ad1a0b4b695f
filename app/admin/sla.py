"""Service levels in /admin: business-hours calendars (their hours as one line of the grammar,
their holidays inline, holidays seeded from the `holidays` package for a country, region and
year) and the targets per urgency and contract. Every save goes through app.services.sla, so
the rules hold here as in the command line."""
from __future__ import annotations

from flask import flash
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import Optional

from app.admin.base import COLUMN_LABELS, ServiceView, enum_label
from app.models import CalendarHoliday
from app.services import clock
from app.services.sla import calendars, targets

SLA_LABELS = {
    **COLUMN_LABELS,
    "business_hours": _l("Business hours"), "holidays": _l("Holidays"), "day": _l("Date"),
    "urgency": _l("Urgency"), "contract": _l("Contract"),
    "first_response_minutes": _l("First response (business minutes)"),
    "next_response_minutes": _l("Next response (business minutes)"),
    "resolution_minutes": _l("Resolution (business minutes)"),
    "seed_country": _l("Add holidays of country"), "seed_subdivision": _l("Region"),
    "seed_year": _l("Year"),
}


def _hours_cell(view, context, model, name):
    """The calendar's windows as one line of the grammar."""
    return calendars.format_business_hours(calendars.week_of(model))


class BusinessCalendarView(ServiceView):
    """A calendar: name, zone, hours (mon-fri 09:00-18:00), holidays; seeding adds a year's
    public holidays of a country and region, which can then be edited or removed here."""

    column_list = ("name", "time_zone", "business_hours", "active")
    column_searchable_list = ("name",)
    column_formatters = {"business_hours": _hours_cell}
    column_labels = SLA_LABELS
    form_columns = ("name", "time_zone", "business_hours", "active", "seed_country",
                    "seed_subdivision", "seed_year")
    inline_models = (CalendarHoliday,)
    form_extra_fields = {
        "business_hours": StringField(
            _l("Business hours"), default="mon-fri 09:00-18:00",
            description=_l("Days, then times; groups separated by “;”. For example: "
                           "mon-fri 09:00-14:00,15:00-18:00; sat 10:00-13:00. A 24/7 calendar: "
                           "mon-sun 00:00-24:00.")),
        "seed_country": StringField(
            _l("Add holidays of country"), validators=[Optional()],
            description=_l("A country code such as ES: its public holidays of the year below "
                           "are added when saving (days already listed keep their name).")),
        "seed_subdivision": StringField(
            _l("Region"), validators=[Optional()],
            description=_l("Optional: a region code such as MD (Madrid) or CT (Catalonia).")),
        "seed_year": IntegerField(_l("Year"), validators=[Optional()]),
    }
    error_fields = {"country": "seed_country", "year": "seed_year"}
    form_args = {"time_zone": {"description": _l("An IANA time zone, for example "
                                                 "Europe/Madrid.")}}

    def save(self, actor, row, form):
        fields = calendars.CalendarFields(
            form.name.data, form.time_zone.data, form.business_hours.data,
            bool(form.active.data), tuple(_inline_holidays(form.holidays)))
        saved = calendars.save_calendar(actor, row, fields)
        country = (form.seed_country.data or "").strip()
        if country:
            year = form.seed_year.data or clock.today().year
            added = calendars.seed_holidays(actor, saved, country, form.seed_subdivision.data,
                                            year)
            flash(gettext("%(count)s holidays of %(year)s added.", count=added, year=year),
                  "success")
        return saved

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if not form.time_zone.data:
            form.time_zone.data = clock.company_zone().key
        return form

    def on_form_prefill(self, form, id):
        row = self.get_one(id)
        if row is not None:
            form.business_hours.data = calendars.format_business_hours(calendars.week_of(row))


def _inline_holidays(entries) -> list[tuple]:
    """The holidays listed in the inline form, without those marked for removal."""
    return [(entry.form.day.data, entry.form.name.data or "") for entry in entries
            if not entries.should_delete(entry)]


class SlaTargetView(ServiceView):
    """A target per urgency, for every contract or for one: overrides the defaults (Critical
    1 h / 8 h, High 4 h / 16 h, Medium 8 h / 40 h, Low 16 h / 80 h). Deleting one returns to
    the default."""

    can_delete = True
    action_disallowed_list = ["delete"]  # one at a time, through the service
    column_list = ("urgency", "contract", "first_response_minutes", "next_response_minutes",
                   "resolution_minutes")
    column_formatters = {"urgency": enum_label}
    column_labels = SLA_LABELS
    form_columns = ("urgency", "contract", "first_response_minutes", "next_response_minutes",
                    "resolution_minutes")
    form_args = {"contract": {"description": _l("Empty: every contract without a target of "
                                                "its own, and tickets without a contract.")}}

    def save(self, actor, row, form):
        fields = targets.TargetFields(
            form.urgency.data, form.contract.data, form.first_response_minutes.data,
            form.next_response_minutes.data, form.resolution_minutes.data)
        return targets.save_target(actor, row, fields)

    def remove(self, actor, row):
        targets.delete_target(actor, row)
