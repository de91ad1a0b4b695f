"""Webhooks (Standard Webhooks): an administrator's endpoints, events written in the transaction
of the change they tell about, and a worker that delivers them signed, with retries.

- events.py: the event types and their emitters, one per place a change happens (the services
  call them); an event becomes a row only when an active endpoint subscribes to it.
- endpoints.py: registering, changing, removing endpoints, rotating secrets, the delivery log,
  "send again" (administrators: Permission.MANAGE_WEBHOOKS).
- signing.py: secrets ("whsec_…") and the v1 signature over "id.timestamp.body".
- addresses.py: the guard that refuses loopback, private and link-local addresses (unless
  SOPORTE_WEBHOOKS_ALLOWED_NETWORKS allows them), at registration and at every attempt.
- transport.py: one POST to a vetted address (no redirects followed, short timeouts).
The worker behind `flask webhooks send` (claim, sign, post, record, retry) is an adapter that
owns its transactions: app/webhooks/worker.py.
"""
