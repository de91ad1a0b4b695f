"""The billing part of the ticket page, read once for every adapter: the time against the
approved quote (estimated, logged, covered, beyond), or the covering contract's hour bank in
today's period, and the supervisor's by-time and bill-overage forms (each flag a check of
app.services.billing.coverage that did not raise)."""
from __future__ import annotations

from dataclasses import dataclass

from app.models.client import Contract
from app.models.ticket import Ticket
from app.services.billing import coverage, hour_banks
from app.services.billing.coverage import QuoteUsage
from app.services.billing.hour_banks import BankUsage
from app.services.errors import passes
from app.services.permissions import Actor, Permission, require


@dataclass(frozen=True)
class TicketBilling:
    """What the page shows of a ticket's billing and which forms it offers: `by_time_target`
    and `overage_target` are the values the two forms would set."""

    quote: QuoteUsage | None
    bank_contract: Contract | None
    bank: BankUsage | None
    by_time_target: bool
    can_set_by_time: bool
    overage_target: bool
    can_set_overage: bool

    @property
    def overage_billed(self) -> bool:
        """Time beyond the quote's hours is billed (by time, or the overage at the rate)."""
        return self.quote is not None and (self.quote.by_time or self.quote.bill_overage)


def ticket_billing(actor: Actor, ticket: Ticket) -> TicketBilling:
    """The ticket page's billing panel for whoever may view tickets. Raises NotPermitted."""
    require(actor, Permission.VIEW)
    contract = coverage.bank_contract(ticket)
    by_time_target, overage_target = not ticket.billing_by_time, not ticket.bill_overage
    return TicketBilling(
        quote=coverage.quote_usage(ticket),
        bank_contract=contract,
        bank=hour_banks.current_usage(contract) if contract is not None else None,
        by_time_target=by_time_target,
        can_set_by_time=passes(coverage.check_set_billing_by_time, actor, ticket,
                               by_time_target),
        overage_target=overage_target,
        can_set_overage=passes(coverage.check_set_bill_overage, actor, ticket, overage_target),
    )
