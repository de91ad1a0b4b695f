"""A button is shown exactly when pressing it would work: for tickets driven through the services
into every state (with or without requester, assignee, contract, quotes; closed or not) and for
every role, each flag of available_actions is true exactly when its action, given valid form
values, succeeds. Each action is tried in a savepoint that is rolled back, so the probes of one
ticket do not disturb each other."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import Contract, PaymentStatus, TicketStatus
from app.services import assignment, notes, quote_decisions, quotes, status_changes, tickets, \
    worklog
from app.services.billing import basis, payment
from app.services.errors import DomainError
from app.services.quotes import QuoteInput
from app.services.ticket_actions import available_actions
from app.services.tickets import TicketFields

S = TicketStatus


def _decide(approve):
    def step(w, t):
        if t.current_quote is None:
            return
        quote_decisions.decide_by_customer(t.current_quote.id, t.current_quote.version, approve)
    return step


def _move(target):
    return lambda w, t: status_changes.change_status(w.agent, t, target, f"A {target.value}")


def _end_contract(w, t):
    if t.contract is not None:
        t.contract.active = False  # an administrator ends it after the ticket was created


# The steps a ticket may go through; a step the rules refuse is skipped (rolled back).
STEPS = {
    "quote": lambda w, t: quotes.save_quote(w.agent, t, QuoteInput("100.00", "2", "USD", "P")),
    "approve_link": _decide(True),
    "reject_link": _decide(False),
    "record_approval": lambda w, t: quote_decisions.record_decision(w.supervisor, t, True, "Tel."),
    "free": lambda w, t: basis.mark_free(w.supervisor, t, True, "Cortesía"),
    "billed": lambda w, t: basis.mark_free(w.supervisor, t, False),
    "start": _move(S.IN_PROGRESS),
    "hold": _move(S.ON_HOLD),
    "resolve": _move(S.RESOLVED),
    "close": lambda w, t: status_changes.close_ticket(w.agent, t, "Cerrado"),
    "reopen": lambda w, t: status_changes.reopen_ticket(w.supervisor, t, "Otra vez"),
    "assign": lambda w, t: assignment.assign(w.supervisor, t, w.agent.id),
    "end_contract": _end_contract,
    "reevaluate": lambda w, t: basis.reevaluate(w.supervisor, t),
    "log": lambda w, t: worklog.log_time(w.agent, t, 0, 30),
    "pay": lambda w, t: payment.set_payment_status(w.supervisor, t, PaymentStatus.PAID),
}
# Paths that reach every status, billed and free; random steps are added after them.
PATHS = [
    [], ["quote"], ["quote", "quote"], ["quote", "approve_link"], ["quote", "reject_link"],
    ["quote", "record_approval", "start"], ["quote", "approve_link", "start", "hold"],
    ["quote", "approve_link", "start", "resolve"], ["free"], ["free", "start"], ["start"],
    ["start", "end_contract"], ["close"], ["quote", "approve_link", "start", "resolve", "close"],
    ["free", "start", "close", "reopen"], ["start", "close", "end_contract"],
]

recipes = st.fixed_dictionaries({
    "contract": st.sampled_from(["none", "covering", "plain"]),
    "requester": st.booleans(),
    "assigned": st.booleans(),
    "path": st.sampled_from(PATHS),
    "extra": st.lists(st.sampled_from(sorted(STEPS)), max_size=3),
})


def _ticket(w, recipe):
    """A fresh ticket (with a contract of its own) driven through the recipe's steps."""
    contract = None
    if recipe["contract"] != "none":
        contract = Contract(client=w.client, name="Contrato de prueba",
                            covers_support=recipe["contract"] == "covering")
        db.session.add(contract)
        db.session.flush()
    ticket = tickets.create_ticket(w.agent, TicketFields(
        client_id=w.client.id, description="No arranca", subject="Servidor",
        contact_id=w.contact.id if recipe["requester"] else None,
        contract_id=contract.id if contract else None))
    db.session.commit()
    steps = recipe["path"] + recipe["extra"] + (["assign"] if recipe["assigned"] else [])
    for name in steps:
        try:
            STEPS[name](w, ticket)
            db.session.commit()
        except DomainError:
            db.session.rollback()
    return ticket


def _succeeds(action) -> bool:
    """Run the action in a savepoint, roll it back; True when no rule refused it."""
    savepoint = db.session.begin_nested()
    try:
        action()
        db.session.flush()
        return True
    except DomainError:
        return False
    finally:
        savepoint.rollback()
        db.session.expire_all()


def _probes(w, actor, ticket, actions: dict) -> dict:
    """Each flag's name and the action it stands for, with valid form values (the billing
    toggle goes the way the page's form would send it)."""
    free = actions["mark_free_target"]
    probes = {
        "edit": lambda: tickets.edit_ticket(actor, ticket, TicketFields(
            client_id=ticket.client_id, description=ticket.description,
            contact_id=ticket.contact_id, contract_id=ticket.contract_id,
            project_id=ticket.project_id, type_id=ticket.type_id,
            subject=ticket.subject + " (editado)", urgency=ticket.urgency)),
        "assign": lambda: assignment.assign(actor, ticket, w.agent2.id),
        "quote": lambda: quotes.save_quote(actor, ticket,
                                           QuoteInput("150.00", "3", "EUR", "Nueva versión")),
        "record_decision": lambda: quote_decisions.record_decision(actor, ticket, True, "Tel."),
        "record_decision/reject": lambda: quote_decisions.record_decision(actor, ticket, False,
                                                                          "Tel."),
        "mark_free": lambda: basis.mark_free(actor, ticket, free, "Nota"),
        "reevaluate": lambda: basis.reevaluate(actor, ticket, "Revisión"),
        "log_time": lambda: worklog.log_time(actor, ticket, 1, 15, "Trabajo"),
        "note": lambda: notes.add_internal_note(actor, ticket, "Nota interna"),
        "reply": lambda: notes.reply_publicly(actor, ticket, "Respuesta"),
        "close": lambda: status_changes.close_ticket(actor, ticket, "Resuelto"),
        "reopen": lambda: status_changes.reopen_ticket(actor, ticket, "Reabierto"),
    }
    for target in TicketStatus:
        probes[f"status/{target.value}"] = (
            lambda target=target: status_changes.change_status(actor, ticket, target, "Motivo"))
    for choice in (PaymentStatus.UNPAID, PaymentStatus.PAID):
        probes[f"payment/{choice.value}"] = (
            lambda choice=choice: payment.set_payment_status(actor, ticket, choice))
    return probes


def _flag(actions: dict, name: str) -> bool:
    base, _sep, detail = name.partition("/")
    if base == "status":
        return S(detail) in actions["transitions"]
    if base == "payment":
        return actions["payment"] and PaymentStatus(detail) in actions["payment_choices"]
    return actions[base]


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(recipe=recipes)
def test_a_flag_is_true_exactly_when_its_action_succeeds(world, recipe):
    ticket = _ticket(world, recipe)
    for actor in (world.admin, world.supervisor, world.agent, world.viewer, world.inactive):
        actions = available_actions(actor, ticket)
        for name, action in _probes(world, actor, ticket, actions).items():
            flag = _flag(actions, name)
            state = (f"{name} for {actor.role.value}{'' if actor.active else ' (inactive)'} on "
                     f"{ticket.status.value}, basis {ticket.billing_basis}, "
                     f"requester {ticket.contact_id is not None}, recipe {recipe}")
            assert flag == _succeeds(action), f"flag {flag} but the action disagrees: {state}"


def test_the_page_is_told_why_time_and_status_are_not_offered(world):
    from tests import factories
    new = factories.new_ticket(world)
    flags = available_actions(world.agent, new)
    assert not flags["log_time"] and "cotización" in flags["log_time_refused"]
    assert not flags["transitions"] and "gratuito" in flags["status_refused"]
    # an agent is not told to do what only a supervisor may do
    for refused in (flags["log_time_refused"], flags["status_refused"]):
        assert "un supervisor puede" in str(refused) and "marque" not in str(refused)
    working = factories.ticket_in(world, S.IN_PROGRESS)
    flags = available_actions(world.agent, working)
    assert flags["log_time_refused"] is None and flags["customer_notified"] == [S.RESOLVED]
    assert available_actions(world.viewer, new)["log_time_refused"] is None  # a role, not a state
