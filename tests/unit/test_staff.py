"""Staff administration (app.services.staff): who may do it, the email and password rules, at least
one active administrator, and the open tickets left needing a new assignee."""
import pytest

from app.extensions import db
from app.models import Role, TicketStatus
from app.services import staff
from app.services.errors import NotPermitted, ValidationFailed
from app.services.permissions import CONSOLE
from app.services.staff import StaffDetails
from tests.factories import PASSWORD, ticket_in


def _assigned(w, user, status=TicketStatus.IN_PROGRESS):
    ticket = ticket_in(w, status, free=True)
    ticket.assignee_id = user.id
    db.session.commit()
    return ticket


def test_only_a_role_that_manages_users_administers_staff(world):
    for actor in (world.supervisor, world.agent, world.viewer, world.inactive):
        with pytest.raises(NotPermitted):
            staff.deactivate(actor, world.agent2)
        with pytest.raises(NotPermitted):
            staff.create_staff(actor, StaffDetails("x@soporte.example"), "clave muy larga", "AGENT")
        with pytest.raises(NotPermitted):
            staff.list_staff(actor)
        with pytest.raises(NotPermitted):
            staff.sign_out_everywhere(actor, world.agent2)
    assert world.agent2.active and world.agent2.session_version == 0
    assert staff.deactivate(world.admin, world.agent2).user.active is False
    assert staff.reactivate(CONSOLE, world.agent2).active is True


def test_a_new_user_has_a_normalised_unique_address_and_a_good_password(world):
    created = staff.create_staff(world.admin, StaffDetails(" Nueva@Soporte.EXAMPLE ", "Nueva"),
                                 "una clave larga", "supervisor")
    assert (created.email, created.role, created.active) == ("nueva@soporte.example",
                                                             Role.SUPERVISOR, True)
    for email, password, field in (("NUEVA@soporte.example", "una clave larga", "email"),
                                   ("no-es-correo", "una clave larga", "email"),
                                   ("otra@soporte.example", "corta", "password"),
                                   ("otra@soporte.example", "password", "password")):
        with pytest.raises(ValidationFailed) as refused:
            staff.create_staff(world.admin, StaffDetails(email), password, "AGENT")
        assert refused.value.field == field, email


def test_an_edit_keeps_the_users_own_address_and_refuses_anothers(world):
    staff.edit_staff(world.admin, world.agent, StaffDetails("AGENT@soporte.example", "Ana",
                                                            "en", "Europe/Madrid"))
    assert (world.agent.email, world.agent.name, world.agent.time_zone) == (
        "agent@soporte.example", "Ana", "Europe/Madrid")
    with pytest.raises(ValidationFailed) as taken:
        staff.edit_staff(world.admin, world.agent, StaffDetails("Super@soporte.example"))
    assert taken.value.field == "email" and "existe" in str(taken.value)
    with pytest.raises(ValidationFailed) as zone:
        staff.edit_staff(world.admin, world.agent, StaffDetails("agent@soporte.example",
                                                                time_zone="Marte/Olimpo"))
    assert zone.value.field == "time_zone"


def test_the_last_active_administrator_can_neither_leave_nor_be_demoted(world):
    with pytest.raises(ValidationFailed) as demoted:
        staff.change_role(world.admin, world.admin, Role.SUPERVISOR)
    assert "administrador" in str(demoted.value)
    with pytest.raises(ValidationFailed):
        staff.deactivate(world.admin, world.admin)
    assert world.admin.active and world.admin.role is Role.ADMIN
    staff.change_role(world.admin, world.supervisor, "admin")
    staff.change_role(world.admin, world.admin, Role.SUPERVISOR)  # another one is left
    assert world.admin.role is Role.SUPERVISOR
    with pytest.raises(ValidationFailed):
        staff.deactivate(CONSOLE, world.supervisor)  # now the last one


def test_deactivating_ends_sessions_and_reports_the_open_tickets_that_stay_assigned(world):
    working = _assigned(world, world.agent)
    _assigned(world, world.agent, TicketStatus.CLOSED)
    someone_elses = _assigned(world, world.agent2)
    session = world.agent.get_id()
    report = staff.deactivate(world.admin, world.agent)
    db.session.commit()
    assert [t.id for t in report.needing_assignee] == [working.id]
    assert working.assignee_id == world.agent.id  # kept, shown as needing a new assignee
    assert world.agent.get_id() != session and not world.agent.active
    assert someone_elses.assignee_id == world.agent2.id
    staff.reactivate(world.admin, world.agent)
    assert world.agent.active and world.agent.get_id() != session  # old sessions stay ended


def test_a_role_that_cannot_work_tickets_leaves_them_needing_a_new_assignee(world):
    working = _assigned(world, world.agent)
    assert staff.change_role(world.admin, world.agent, Role.SUPERVISOR).needing_assignee == []
    report = staff.change_role(world.admin, world.agent, "viewer")
    assert [t.id for t in report.needing_assignee] == [working.id]
    with pytest.raises(ValidationFailed) as unknown:
        staff.change_role(world.admin, world.agent, "JEFE")
    assert unknown.value.field == "role"


def test_a_password_reset_checks_the_rule_and_ends_every_session(world):
    session = world.agent.get_id()
    with pytest.raises(ValidationFailed):
        staff.reset_password(world.admin, world.agent, "agent")
    assert world.agent.check_password(PASSWORD) and world.agent.get_id() == session
    staff.reset_password(world.admin, world.agent, "otra clave larga")
    assert world.agent.check_password("otra clave larga") and world.agent.get_id() != session


def test_a_user_is_found_by_address_in_any_case(world):
    assert staff.user_by_email(CONSOLE, " AGENT@Soporte.example") is world.agent
    with pytest.raises(ValidationFailed):
        staff.user_by_email(CONSOLE, "nadie@soporte.example")
    assert [u.email for u in staff.list_staff(CONSOLE)][0] == "admin@soporte.example"
