"""Billing: the basis a ticket is worked on (free, contract, quote) and its payment."""
