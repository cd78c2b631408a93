"""Cross-site request forgery: a double-submit token, and the ``Origin`` check.

A browser page gets a random token in the ``headwater_csrf`` cookie (set by the
security middleware the first time :func:`csrf_token` is asked for one) and the
same token in its forms (hidden ``csrf_token`` field) and in the
``<meta name="csrf-token">`` tag that ``headwater.csrfToken()`` reads for
``fetch()`` (header ``X-CSRF-Token``). Another site can make a browser send the
cookie but cannot read it, so it cannot put the matching value in the form.

Independently, an unsafe request (POST, PUT, PATCH, DELETE) that carries an
``Origin`` header must come from this server's own origin or an origin in
``HEADWATER_SERVER_CORS_ORIGINS``. Both apply whether or not authentication is on:
a server on 127.0.0.1 must not be drivable by another site's form.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from headwater.settings import get_settings

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "csrf_token",
    "csrf_token_matches",
    "origin_allowed",
    "require_csrf",
]

CSRF_COOKIE = "headwater_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

STATE_TOKEN = "headwater_csrf"
"""``request.state`` key: this request's CSRF token."""
STATE_NEW_TOKEN = "headwater_csrf_new"
"""``request.state`` key: set when the token was created here, so the middleware sets the cookie."""

_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")
_CSRF_FAILED = "CSRF token missing or wrong - reload the page"


def csrf_token(request: HTTPConnection) -> str:
    """The CSRF token for this request's forms: the ``headwater_csrf`` cookie, or a new
    random one (the security middleware then sets the cookie on the response)."""
    state = request.scope.setdefault("state", {})
    token = state.get(STATE_TOKEN)
    if isinstance(token, str):
        return token
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if _TOKEN_SHAPE.fullmatch(cookie):
        token = cookie
    else:
        token = secrets.token_urlsafe(32)
        state[STATE_NEW_TOKEN] = True
    state[STATE_TOKEN] = token
    return token


def csrf_token_matches(conn: HTTPConnection, submitted: str | None) -> bool:
    """Whether ``submitted`` equals this browser's CSRF cookie (constant-time)."""
    cookie = conn.cookies.get(CSRF_COOKIE, "")
    if not submitted or not _TOKEN_SHAPE.fullmatch(cookie):
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode("utf-8", "replace"))


def _host_port(netloc: str, scheme: str) -> str:
    netloc = netloc.lower()
    default = {"http": ":80", "https": ":443", "ws": ":80", "wss": ":443"}.get(scheme)
    if default and netloc.endswith(default):
        return netloc[: -len(default)]
    return netloc


def origin_allowed(conn: HTTPConnection, origin: str) -> bool:
    """Whether a request with this ``Origin`` header comes from this server's own origin
    (same host and port as the ``Host`` header) or from an allowed CORS origin.

    The scheme is not compared: behind a TLS-terminating proxy the server sees ``http``
    while the browser says ``https``; host and port are what tell sites apart here.
    """
    origin = origin.strip()
    allowed = get_settings().server_cors_origins
    if "*" in allowed or origin.rstrip("/") in allowed:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    host = conn.headers.get("host", "")
    if not host:
        return False
    wanted = _host_port(parts.netloc, parts.scheme)
    return wanted in {_host_port(host, conn.url.scheme), _host_port(host, parts.scheme)}


async def require_csrf(request: Request) -> None:
    """A dependency for UI form posts (and UI ``fetch()`` writes): 403 unless the
    ``X-CSRF-Token`` header or the form's ``csrf_token`` field equals the CSRF cookie,
    and any ``Origin`` header is this server's own (or an allowed CORS origin)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(request, origin):
        raise HTTPException(403, f"cross-origin request refused: origin {origin[:100]!r}")
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not csrf_token_matches(request, submitted):
        raise HTTPException(403, _CSRF_FAILED)
