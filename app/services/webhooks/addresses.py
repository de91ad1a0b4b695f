"""Where a webhook may go: an http(s) URL whose host resolves only to public addresses.

Loopback, private, link-local (169.254.169.254, the cloud metadata service), IPv6 site-local
(fec0::/10, deprecated but still routed inside some networks), multicast, reserved and
unspecified addresses are refused, IPv4 and IPv6 alike, and an IPv6 address that
carries an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by the IPv4 address inside.
An administrator may allow some of those networks in SOPORTE_WEBHOOKS_ALLOWED_NETWORKS (CIDRs,
comma-separated: 127.0.0.1/32 for a receiver on the same machine, 10.0.0.0/8 …).

The check runs when an endpoint is registered and again before every attempt (a name's
addresses may change), and the attempt connects to the very address that passed.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import socket
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.services.errors import ValidationFailed

log = logging.getLogger(__name__)

URL_MAX = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")

NOT_A_URL = _l("Enter the endpoint's address as a full http:// or https:// URL, for example "
               "https://erp.example.com/webhooks/soporte.")
WITH_CREDENTIALS = _l("The endpoint's address must not contain a user name or password: "
                      "each request is signed with the endpoint's secret instead.")


class AddressRefused(Exception):
    """A URL webhooks may not use: malformed, its host does not resolve, or it resolves to an
    address webhooks may not reach. `message` is for the person (translatable), `reason` is
    the English line the delivery log keeps. Not a DomainError: check_url, the adapters' entry,
    turns it into ValidationFailed on the field "url"; the worker logs `reason`."""

    def __init__(self, message, reason: str):
        super().__init__(reason)
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A URL taken apart for one request."""

    scheme: str  # http or https
    host: str  # the name (or literal address) the Host header and TLS certificate carry
    port: int
    path: str  # path and query, as sent in the request line


def parse_url(url: str) -> Target:
    """The URL's parts; AddressRefused unless it is an http(s) URL with a host and no
    credentials, spaces or control characters, at most URL_MAX characters."""
    url = (url or "").strip()
    if not url or len(url) > URL_MAX or _UNSAFE_CHARACTERS.search(url):
        raise AddressRefused(NOT_A_URL, "not an http(s) URL")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise AddressRefused(NOT_A_URL, "not an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused(NOT_A_URL, "not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused(WITH_CREDENTIALS, "credentials in the URL")
    try:
        host.encode("idna")
    except UnicodeError:
        raise AddressRefused(NOT_A_URL, "not an http(s) URL") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def vetted_addresses(target: Target) -> list[IPAddress]:
    """The addresses the target's host resolves to, every one of them reachable;
    AddressRefused when it does not resolve or any address is not public (nor allowed
    by configuration)."""
    addresses = _resolve(target.host, target.port)
    allowed = allowed_networks(current_app.config.get("SOPORTE_WEBHOOKS_ALLOWED_NETWORKS") or "")
    for address in addresses:
        if not reachable(address, allowed):
            raise AddressRefused(_l("%(host)s resolves to a private, loopback or link-local "
                             "address (%(address)s), which webhooks may not reach. Use a "
                             "public address, or an administrator can allow that network in "
                             "SOPORTE_WEBHOOKS_ALLOWED_NETWORKS.",
                             host=target.host, address=str(address)),
                          f"{target.host} resolves to {address}, not a public address")
    return addresses


def check_url(url: str) -> str:
    """The URL, stripped, when an endpoint may be registered with it; ValidationFailed (url)
    otherwise (see parse_url and vetted_addresses)."""
    url = (url or "").strip()
    try:
        vetted_addresses(parse_url(url))
    except AddressRefused as refused:
        raise ValidationFailed(refused.message, field="url") from None
    return url


def reachable(address: IPAddress, allowed: tuple = ()) -> bool:
    """Whether a webhook may connect to this address: a public one, or one inside a network
    the configuration allows."""
    judged = _embedded_ipv4(address) or address
    if any(candidate in network for candidate in {address, judged} for network in allowed
           if candidate.version == network.version):
        return True
    return judged.is_global and not (
        judged.is_private or judged.is_loopback or judged.is_link_local or judged.is_multicast
        or judged.is_reserved or judged.is_unspecified
        or (judged.version == 6 and judged.is_site_local))


@lru_cache(maxsize=8)
def allowed_networks(text: str) -> tuple:
    """The networks of SOPORTE_WEBHOOKS_ALLOWED_NETWORKS; an entry that is not a network is
    logged and left out (refusing more, never less)."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            log.error("SOPORTE_WEBHOOKS_ALLOWED_NETWORKS: %r is not a network; ignored", entry)
    return tuple(networks)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, Teredo's client, NAT64)."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address of the host (a literal address is itself); AddressRefused when the name
    does not resolve."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        infos = []
    found = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise AddressRefused(_l("The host name %(host)s could not be resolved. Check the "
                         "address, or try again when its DNS answers.", host=host),
                      f"{host} does not resolve")
    return found
