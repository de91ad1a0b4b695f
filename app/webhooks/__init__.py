"""Webhooks out: the worker behind `flask webhooks send`, an adapter that owns its transactions
(claim, sign, post, record, retry); the rules it applies are in app.services.webhooks."""
