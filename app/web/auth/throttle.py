"""Throttling failed sign-ins (Flask-Limiter): per account and client address, and per address.

Only failed attempts count (a 401 answer). Never per account alone: an attacker's address is
refused while the same account still signs in from anywhere else. Behind a reverse proxy the
client address must be the real one (Werkzeug's ProxyFix), or every client shares one budget.
"""
from __future__ import annotations

import hashlib
import ipaddress
import time

from flask import current_app, request
from flask_limiter.util import get_remote_address

from app.extensions import limiter


def client_network() -> str:
    """The client's address as one budget: an IPv4 address, or the /64 of an IPv6 one (whoever
    holds one IPv6 address usually holds its whole /64, 2^64 addresses)."""
    address = get_remote_address()
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _account_and_address() -> str:
    """The client's network and the (hashed, normalised) address typed in the form."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{client_network()}/{hashlib.sha256(email.encode()).hexdigest()[:32]}"


def _failed(response) -> bool:
    return response.status_code == 401


per_account = limiter.limit(
    lambda: current_app.config["SOPORTE_SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_and_address, methods=["POST"], deduct_when=_failed)
per_address = limiter.limit(
    lambda: current_app.config["SOPORTE_SIGN_IN_LIMIT_PER_ADDRESS"],
    key_func=client_network, methods=["POST"], deduct_when=_failed)


def seconds_until_retry() -> float:
    """How long until the breached limit of this request lets the address try again."""
    breached = limiter.current_limit
    return max(0.0, breached.reset_at - time.time()) if breached else 60.0
