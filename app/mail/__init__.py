"""Outgoing mail: composing messages from templates (delivery is the outbox worker's job)."""
