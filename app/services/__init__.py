"""The workflow services (SPEC §3): every rule lives here; web, admin, CLI and mail call them."""
