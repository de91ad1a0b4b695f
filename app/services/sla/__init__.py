"""Service levels (SPEC §9, docs/service_levels.md): business-hours calendars (calendars),
arithmetic in business time (business_time), targets per urgency and contract (targets), and
the one computation of a ticket's clocks (clocks)."""
