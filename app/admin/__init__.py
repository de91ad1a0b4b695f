"""Flask-Admin at /admin for reference data, users and roles, mailboxes: administrators only.

Every save goes through a service (app/admin/reference.py, app/admin/staff.py,
app/admin/mailboxes.py). Tickets, quotes and time are not edited here; they change only through
the workflow services.
"""
from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from app.admin import page_language
from app.admin.api_tokens import ApiTokenView
from app.admin.branding import BrandingView
from app.admin.base import IndexView
from app.admin.mailboxes import MailboxView
from app.admin.reference import ClientView, ContactView, ContractView, ProjectView, TicketTypeView
from app.admin.sla import BusinessCalendarView, SlaTargetView
from app.admin.staff import UserView
from app.admin.webhooks import WebhookView
from app.extensions import db
from app.models import (BusinessCalendar, Client, Contact, Contract, Mailbox, Project, SlaTarget,
                        TicketType, User)


def init_admin(app: Flask) -> Admin:
    """Build the admin for this app (one Admin per app: views belong to one app)."""
    # The base template adds app/static/admin.js: Flask-Admin's inline handlers, replaced in
    # templates/admin/, cannot run under the CSP.
    admin = Admin(app, name="Soporte", url="/admin", index_view=IndexView(url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/soporte_base.html"))
    session = db  # Flask-Admin 2 takes the Flask-SQLAlchemy object
    # The menu groups the reference data and the service levels, so the admin's header stays
    # one line at desktop width; the home page lists every section with what it is for.
    reference = _l("Reference data")
    admin.add_view(ClientView(Client, session, name=_l("Clients"), category=reference))
    admin.add_view(ContactView(Contact, session, name=_l("Contacts"), category=reference))
    admin.add_view(ContractView(Contract, session, name=_l("Contracts"), category=reference))
    admin.add_view(ProjectView(Project, session, name=_l("Projects"), category=reference))
    admin.add_view(TicketTypeView(TicketType, session, name=_l("Ticket types"),
                                  category=reference))
    service_levels = _l("Service levels")
    admin.add_view(BusinessCalendarView(BusinessCalendar, session, name=_l("Business calendars"),
                                        category=service_levels))
    admin.add_view(SlaTargetView(SlaTarget, session, name=_l("Service-level targets"),
                                 category=service_levels))
    admin.add_view(UserView(User, session, name=_l("Users and roles")))
    admin.add_view(ApiTokenView(name=_l("API tokens"), endpoint="apitoken", url="tokens"))
    admin.add_view(MailboxView(Mailbox, session, name=_l("Mailboxes")))
    admin.add_view(WebhookView(name=_l("Webhooks"), endpoint="webhook", url="webhooks"))
    admin.add_view(BrandingView(name=_l("Company look"), endpoint="branding", url="marca"))
    admin.add_link(MenuLink(name=_l("Back to the tickets"), endpoint="tickets.list_view"))
    page_language.init_app(app)
    return admin
