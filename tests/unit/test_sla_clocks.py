"""A ticket's service-level clocks (app.services.sla.clocks.ticket_clocks) from its own history,
built through the workflow services at fixed moments (SOPORTE_FIXED_NOW), on the default
calendar (Monday to Friday 09:00-18:00, Europe/Madrid, Spain's holidays) unless a contract or
client has another. The week of Monday 16 November 2026 has no holiday."""


from app.extensions import db
from app.models.enums import ClockState, TicketStatus, Urgency
from app.services import notes, quote_decisions, status_changes, tickets
from app.services.customer_mail import CustomerEmail, receive
from app.services.sla import calendars, targets
from app.services.sla.clocks import ticket_clocks
from tests import factories
from tests.clocks import madrid

S = TicketStatus
RUNNING, PAUSED, MET, BREACHED = (ClockState.RUNNING, ClockState.PAUSED, ClockState.MET,
                                  ClockState.BREACHED)
HOURS_40 = 40 * 60  # a Medium ticket's resolution target


def _customer_writes(world, ticket, text="¿Alguna novedad?"):
    receive(world.contact, CustomerEmail(subject=f"Re: [{ticket.number}]", text=text, html=None,
                                         uploads=[]), ticket)
    db.session.commit()


def _reply(world, ticket, text="Lo estamos mirando"):
    notes.reply_publicly(world.agent, ticket, text)
    db.session.commit()


def _move(world, ticket, target, text="Cambio"):
    status_changes.change_status(world.agent, ticket, target, text)
    db.session.commit()


def _free_ticket_in_progress(world, at, **fields):
    """A free ticket opened Monday 10:00, in progress, answered at 10:30."""
    at(16, 10)
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id, **fields)
    _move(world, ticket, S.IN_PROGRESS)
    at(16, 10, 30)
    _reply(world, ticket)
    return ticket


# --- First response -------------------------------------------------------------------------

def test_the_first_response_runs_from_opening_and_is_met_by_the_first_public_reply(world, at):
    at(16, 10)
    ticket = factories.new_ticket(world)  # Medium: 8 business hours
    at(16, 12)
    notes.add_internal_note(world.agent, ticket, "Mirando logs")  # not an answer
    db.session.commit()
    first = ticket_clocks(ticket).first_response
    assert (first.state, first.minutes_left, first.due) == (RUNNING, 360, madrid(16, 18))
    at(16, 13)
    _reply(world, ticket)
    clocks = ticket_clocks(ticket, now=madrid(17, 15))
    assert clocks.first_response.state is MET
    assert clocks.first_response.completed_at == madrid(16, 13)
    assert clocks.first_response.minutes_left == 300  # frozen when met
    assert clocks.next_response is None  # the customer has not written since
    assert clocks.calendar == "default"


def test_a_first_response_past_its_due_time_is_breached_and_stays_so_when_answered_late(
        world, at):
    at(16, 10)
    ticket = factories.new_ticket(world, urgency=Urgency.CRITICAL)  # 1 hour
    first = ticket_clocks(ticket, now=madrid(16, 12)).first_response
    assert (first.state, first.minutes_left, first.due) == (BREACHED, -60, madrid(16, 11))
    at(16, 12, 30)
    _reply(world, ticket)
    first = ticket_clocks(ticket, now=madrid(18, 9)).first_response
    assert (first.state, first.minutes_left) == (BREACHED, -90)
    assert first.completed_at == madrid(16, 12, 30)


# --- Pauses ---------------------------------------------------------------------------------

def test_on_hold_pauses_the_clocks_and_a_customer_email_resumes_them(world, at):
    ticket = _free_ticket_in_progress(world, at)
    at(16, 11)
    _move(world, ticket, S.ON_HOLD, "Esperamos al cliente")
    at(18, 11)  # two days later, still on hold
    clocks = ticket_clocks(ticket)
    assert clocks.paused and clocks.resolution.state is PAUSED
    assert clocks.resolution.minutes_left == HOURS_40 - 60  # only Monday 10:00-11:00 counted
    at(18, 12)
    _customer_writes(world, ticket)  # the ticket stays on hold; the clocks run again
    clocks = ticket_clocks(ticket, now=madrid(18, 13))
    assert ticket.status is S.ON_HOLD and not clocks.paused
    assert (clocks.resolution.state, clocks.resolution.minutes_left) == (RUNNING, HOURS_40 - 120)
    assert clocks.next_response.state is RUNNING  # the customer's message wants an answer
    assert clocks.next_response.started_at == madrid(18, 12)


def test_leaving_on_hold_resumes_the_clocks(world, at):
    ticket = _free_ticket_in_progress(world, at)
    at(16, 11)
    _move(world, ticket, S.ON_HOLD)
    at(18, 12)
    _move(world, ticket, S.IN_PROGRESS, "El cliente respondió por teléfono")
    resolution = ticket_clocks(ticket, now=madrid(18, 13)).resolution
    assert (resolution.state, resolution.minutes_left) == (RUNNING, HOURS_40 - 120)
    # due: 38 hours from Wednesday 13:00 = Wed 5 h, Thu 9 h, Fri 9 h, Mon 9 h, Tue 6 h
    assert resolution.due == madrid(24, 15)


def test_a_quote_awaiting_the_customers_decision_pauses_the_clocks_until_the_decision(
        world, at):
    at(16, 10)
    ticket = factories.new_ticket(world)
    at(16, 11)
    factories.quote(world, ticket)
    clocks = ticket_clocks(ticket, now=madrid(17, 12))
    assert clocks.paused
    assert (clocks.first_response.state, clocks.first_response.minutes_left) == (PAUSED, 420)
    assert (clocks.resolution.state, clocks.resolution.minutes_left) == (PAUSED, HOURS_40 - 60)
    at(17, 15)
    quote_decisions.decide_by_customer(ticket.current_quote.id, ticket.current_quote.version,
                                       True)
    db.session.commit()
    clocks = ticket_clocks(ticket, now=madrid(17, 16))
    assert not clocks.paused
    assert (clocks.resolution.state, clocks.resolution.minutes_left) == (RUNNING, HOURS_40 - 120)


def test_a_customer_email_while_a_quote_waits_resumes_the_clocks(world, at):
    at(16, 10)
    ticket = factories.new_ticket(world)
    at(16, 11)
    factories.quote(world, ticket)
    at(17, 10)
    _customer_writes(world, ticket, "¿Qué incluye el presupuesto?")
    clocks = ticket_clocks(ticket, now=madrid(17, 12))
    assert ticket.status is S.QUOTED and not clocks.paused
    assert clocks.resolution.minutes_left == HOURS_40 - 180  # Mon 10-11, Tue 10-12


def test_a_change_of_urgency_keeps_the_time_paused_and_applies_the_new_target(world, at):
    ticket = _free_ticket_in_progress(world, at)
    at(16, 11)
    _move(world, ticket, S.ON_HOLD)
    at(18, 12)
    _move(world, ticket, S.IN_PROGRESS)
    at(18, 13)
    tickets.edit_ticket(world.supervisor, ticket, tickets.TicketFields(
        client_id=ticket.client_id, description=ticket.description, contact_id=ticket.contact_id,
        contract_id=ticket.contract_id, subject=ticket.subject, urgency=Urgency.HIGH))
    db.session.commit()
    resolution = ticket_clocks(ticket).resolution  # High: 16 hours; 2 counted
    assert (resolution.minutes_left, resolution.target_minutes) == (16 * 60 - 120, 16 * 60)
    assert resolution.due == madrid(19, 18)  # Wed 13-18, Thu 09-18


# --- Next response --------------------------------------------------------------------------

def test_each_customer_message_after_the_first_reply_starts_a_next_response_clock(world, at):
    ticket = _free_ticket_in_progress(world, at)
    at(16, 15)
    _customer_writes(world, ticket)
    following = ticket_clocks(ticket, now=madrid(16, 16)).next_response
    assert (following.state, following.minutes_left) == (RUNNING, 420)
    assert following.due == madrid(17, 14)  # Mon 15-18, Tue 09-14
    at(17, 10)
    _reply(world, ticket)
    following = ticket_clocks(ticket, now=madrid(17, 11)).next_response
    assert (following.state, following.completed_at) == (MET, madrid(17, 10))
    at(17, 17)
    _customer_writes(world, ticket, "Sigue sin funcionar")
    at(17, 17, 30)
    _customer_writes(world, ticket, "¿Hola?")  # the same wait: counted from the first message
    following = ticket_clocks(ticket, now=madrid(18, 17)).next_response
    assert following.started_at == madrid(17, 17)
    assert (following.state, following.minutes_left) == (BREACHED, -60)


# --- Resolution -----------------------------------------------------------------------------

def test_resolution_is_met_when_resolved_and_runs_again_when_reopened(world, at):
    ticket = _free_ticket_in_progress(world, at)
    at(16, 15)
    _move(world, ticket, S.RESOLVED, "Reiniciado el servicio")
    clocks = ticket_clocks(ticket, now=madrid(17, 12))
    assert (clocks.resolution.state, clocks.resolution.completed_at) == (MET, madrid(16, 15))
    assert clocks.resolution.minutes_left == HOURS_40 - 300
    at(17, 10)
    _move(world, ticket, S.IN_PROGRESS, "Ha vuelto a fallar")
    resolution = ticket_clocks(ticket, now=madrid(17, 12)).resolution
    # the time it stood resolved is not counted: Mon 10-15, Tue 10-12
    assert (resolution.state, resolution.minutes_left) == (RUNNING, HOURS_40 - 420)


def test_resolution_missed_is_breached(world, at):
    at(16, 10)
    ticket = factories.new_ticket(world, contract_id=world.covering_contract.id,
                                  urgency=Urgency.CRITICAL)  # 8 hours
    resolution = ticket_clocks(ticket, now=madrid(17, 11)).resolution
    # due Monday 18:00 (10:00-18:00); Tuesday 09:00-11:00 are two hours late
    assert (resolution.state, resolution.minutes_left, resolution.due) == \
        (BREACHED, -120, madrid(16, 18))
    at(17, 12)
    status_changes.close_ticket(world.agent, ticket, "Sustituido el disco")
    db.session.commit()
    resolution = ticket_clocks(ticket, now=madrid(20, 9)).resolution
    assert (resolution.state, resolution.minutes_left) == (BREACHED, -180)
    assert resolution.completed_at == madrid(17, 12)


# --- Which calendar and targets -------------------------------------------------------------

def test_a_contracts_target_and_calendar_apply_to_its_tickets(world, at):
    always = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "24/7", "Europe/Madrid", "mon-sun 00:00-24:00"))
    calendars.use_calendar(world.admin, world.contract, always)
    targets.save_target(world.admin, None, targets.TargetFields(
        Urgency.MEDIUM, world.contract, 120, 120, 600))
    db.session.commit()
    at(21, 10)  # a Saturday
    covered = factories.new_ticket(world, contract_id=world.contract.id)
    plain = factories.new_ticket(world)
    clocks = ticket_clocks(covered, now=madrid(21, 11))
    assert clocks.calendar == "24/7"
    assert (clocks.first_response.due, clocks.first_response.minutes_left) == \
        (madrid(21, 12), 60)
    assert clocks.resolution.due == madrid(21, 20)
    plain_clocks = ticket_clocks(plain, now=madrid(21, 11))
    assert plain_clocks.calendar == "default"
    assert plain_clocks.first_response.due == madrid(23, 17)  # Monday 09:00 + 8 h
    assert plain_clocks.first_response.minutes_left == 480


def test_a_clients_calendar_applies_unless_the_contract_has_one_and_stored_targets_override(
        world, at):
    mornings = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "Mañanas", "Europe/Madrid", "mon-fri 08:00-15:00"))
    calendars.use_calendar(world.admin, world.client, mornings)
    targets.save_target(world.admin, None, targets.TargetFields(
        Urgency.MEDIUM, None, 120, 120, 600))  # every contract without its own
    db.session.commit()
    at(16, 14)
    ticket = factories.new_ticket(world)
    clocks = ticket_clocks(ticket)
    assert clocks.calendar == "Mañanas"
    assert clocks.first_response.due == madrid(17, 9)  # Mon 14-15, then Tuesday 08-09
    always = calendars.save_calendar(world.admin, None, calendars.CalendarFields(
        "24/7", "Europe/Madrid", "mon-sun 00:00-24:00"))
    calendars.use_calendar(world.admin, world.contract, always)
    db.session.commit()
    on_contract = factories.new_ticket(world, contract_id=world.contract.id)
    assert ticket_clocks(on_contract).calendar == "24/7"
    assert ticket_clocks(on_contract).first_response.due == madrid(16, 16)


def test_every_clock_reads_the_clock_it_is_given(world, at):
    at(16, 10)
    ticket = factories.new_ticket(world)
    at(16, 11)
    assert ticket_clocks(ticket).first_response.minutes_left == 420
    assert ticket_clocks(ticket, now=madrid(16, 17)).first_response.minutes_left == 60
    assert ticket_clocks(ticket).computed_at == madrid(16, 11)
