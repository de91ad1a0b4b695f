"""Rate limits of the API: every request under its prefix counts against SOPORTE_API_RATE_LIMIT
("600 per minute" by default; several limits separated by ";"; empty for none), per token
(its id: never the secret) when it sends a token that signs someone in, else per client address
(its network, as the sign-in throttle counts it). Past the limit the answer is 429 JSON
(too_many_requests) with Retry-After in seconds. Every counted answer, 429s included, says where
the caller stands in the IETF httpapi draft's fields: RateLimit-Policy lists the limits
(`600;w=60`), and RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds) give the
limit closest to running out, so a client slows down before it is refused.

Counted in the app's Flask-Limiter storage (RATELIMIT_STORAGE_URI, shared by every worker when
it is e.g. redis://), before the token is authenticated, so a refused request costs no more than
the token's lookup. When the storage cannot be reached the request is served uncounted (logged):
a limit must not take the API down.
"""
from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, request
from flask_smorest import abort
from limits import RateLimitItem, parse_many

from app.api.errors import is_api_request
from app.extensions import limiter
from app.services import api_tokens
from app.web.auth.throttle import client_network

log = logging.getLogger(__name__)
DEFAULT_LIMIT = "600 per minute"
SCOPE = "soporte-api"
STANDING = "soporte.rate_limit_headers"  # the request's RateLimit-* fields (request-scoped)
# The document and its page are public and static: reading them spends nobody's budget.
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json", "api-docs.openapi_redoc"})
DESCRIPTION = ("Each token may send SOPORTE_API_RATE_LIMIT requests ({limit} here); requests "
               "without a valid token count per client address. Past it the answer is 429 "
               "(code `too_many_requests`) with `Retry-After`, the seconds to wait. Every "
               "counted answer carries `RateLimit-Policy` (the limits, e.g. `600;w=60`) and "
               "`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) of the "
               "limit closest to running out.")


def init_rate_limits(app: Flask) -> None:
    """Count every API request of this app (the limit is read at each request, so a test may
    lower it) and say so in the API's document; a limit that does not parse stops the app from
    starting."""
    app.config.setdefault("SOPORTE_API_RATE_LIMIT", DEFAULT_LIMIT)
    try:
        configured_limits(app.config["SOPORTE_API_RATE_LIMIT"])
    except ValueError:
        raise RuntimeError(
            f"SOPORTE_API_RATE_LIMIT={app.config['SOPORTE_API_RATE_LIMIT']!r} is not a rate "
            "limit: write e.g. '600 per minute', several separated by ';', or leave it empty "
            "for none.") from None
    app.before_request(check_rate_limit)
    app.after_request(say_where_the_caller_stands)
    options = dict(app.config.get("API_SPEC_OPTIONS") or {})  # a copy: never a shared default
    info = dict(options.get("info") or {})
    said = DESCRIPTION.format(limit=app.config["SOPORTE_API_RATE_LIMIT"] or "none")
    info["description"] = f"{info.get('description', '')} {said}".strip()
    app.config["API_SPEC_OPTIONS"] = {**options, "info": info}


def configured_limits(text: str | None) -> list[RateLimitItem]:
    """The limits a setting names ("600 per minute; 20000 per day"); none for an empty one.
    Raises ValueError for a setting that is not limits."""
    return parse_many(text) if (text or "").strip() else []


def caller_key() -> str:
    """Whose budget the request spends: its token's, else its client network's."""
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    token_id = api_tokens.usable_token_id(secret.strip()) if scheme.lower() == "bearer" else None
    return f"token/{token_id}" if token_id is not None else f"address/{client_network()}"


def check_rate_limit() -> None:
    """Before each request: an API request past its caller's limit is answered 429 with
    Retry-After (flask_smorest.abort: errors.py turns it into the API's JSON error)."""
    if not is_api_request() or not limiter.enabled or request.endpoint in PUBLIC_ENDPOINTS:
        return
    limits = configured_limits(current_app.config["SOPORTE_API_RATE_LIMIT"])
    if not limits:
        return
    try:
        wait, standing = _spend(limits, caller_key())
    except Exception:  # the storage is down (or the token lookup failed): serve uncounted
        log.warning("API rate limit not counted", exc_info=True)
        return
    request.environ[STANDING] = standing
    if wait is not None:
        abort(429, headers={"Retry-After": str(wait), **standing})


def say_where_the_caller_stands(response: Response) -> Response:
    """After each counted request: the RateLimit-* fields check_rate_limit worked out."""
    for name, value in request.environ.get(STANDING, {}).items():
        response.headers.setdefault(name, value)
    return response


def _spend(limits: list[RateLimitItem], key: str) -> tuple[int | None, dict[str, str]]:
    """Spend one request of each limit (up to the first that refuses it). Returns the whole
    seconds to wait (at least 1) when one refused it, else None; and the RateLimit-* fields of
    the limit with the fewest requests left."""
    strategy = limiter.limiter
    wait, tightest = None, None
    for limit in limits:
        allowed = strategy.hit(limit, SCOPE, key)
        stats = strategy.get_window_stats(limit, SCOPE, key)
        seconds = max(1, math.ceil(stats.reset_time - time.time()))
        if not allowed:  # the refusing limit is the one to wait for, whatever came before
            wait, tightest = seconds, (limit, 0, seconds)
            break
        if tightest is None or stats.remaining < tightest[1]:
            tightest = (limit, stats.remaining, seconds)
    limit, remaining, seconds = tightest
    policy = ", ".join(f"{item.amount};w={item.get_expiry()}" for item in limits)
    return wait, {"RateLimit-Policy": policy, "RateLimit-Limit": str(limit.amount),
                  "RateLimit-Remaining": str(max(0, remaining)), "RateLimit-Reset": str(seconds)}
