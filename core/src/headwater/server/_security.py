"""Authentication, roles, CORS and CSRF for the API and the UI.

The server has two roles: ``read`` (every GET) and ``admin`` (every write, and
reading secret values). Routes that write declare ``Depends(require_admin)``;
UI form posts also declare ``Depends(require_csrf)``; templates put
``csrf_token(request)`` in a hidden ``csrf_token`` field.

:func:`install_security` adds one ASGI middleware that, per request and with the
settings of that moment:

1. answers CORS: with ``HEADWATER_SERVER_CORS_ORIGINS`` set, Starlette's
   ``CORSMiddleware`` for exactly those origins (a 500 naming the setting when they
   are not loopback and no token is configured); otherwise same-origin only (no
   ``Access-Control-*`` headers, preflights refused with 403);
2. refuses an unsafe request whose ``Origin`` is neither this server nor an allowed
   origin (CSRF, whether or not authentication is on);
3. with ``HEADWATER_SERVER_ADMIN_TOKEN`` set, finds the caller's role from
   ``Authorization: Bearer`` or the ``/login`` session cookie for every path except
   exactly ``/api/health``, ``/login`` and ``GET /static/...``: no valid credentials
   is a 401 (``/api/...``) or a redirect to ``/login`` (UI pages); a write to the API
   authenticated by the session cookie also needs ``X-CSRF-Token``; a page's own
   ``fetch()`` of a UI path gets the 401 as well, not the redirect;
4. sets the ``headwater_csrf`` cookie when :func:`csrf_token` made a new token.

Token checks live in :mod:`headwater.server._auth`, CSRF in
:mod:`headwater.server._csrf`; this module is the one the rest of the server imports.
"""

from __future__ import annotations

import html
import logging
from typing import Literal
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from headwater.errors import ConfigurationError
from headwater.server._auth import (
    ADMIN,
    READ,
    SESSION_COOKIE,
    SESSION_HINT_COOKIE,
    AuthConfig,
    Role,
    auth_config,
    role_for_session,
    role_for_token,
)
from headwater.server._csrf import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SAFE_METHODS,
    STATE_NEW_TOKEN,
    STATE_TOKEN,
    csrf_token,
    csrf_token_matches,
    origin_allowed,
    require_csrf,
)
from headwater.server._exposure import check_cors
from headwater.settings import get_settings

__all__ = [
    "HEALTH_PATH",
    "LOGIN_PATH",
    "SecurityMiddleware",
    "csrf_token",
    "install_security",
    "log_secret_read",
    "request_auth_method",
    "request_role",
    "require_admin",
    "require_csrf",
    "safe_next",
]

HEALTH_PATH = "/api/health"
LOGIN_PATH = "/login"
STATIC_PREFIX = "/static/"

STATE_ROLE = "headwater_role"
STATE_VIA = "headwater_auth"

AuthMethod = Literal["off", "bearer", "session"]

audit_logger = logging.getLogger("headwater.server.audit")

_ADMIN_NEEDED = "this needs the admin role; the token used is read-only"
_NO_CREDENTIALS = (
    "this server needs a token: send 'Authorization: Bearer <token>' "
    "(clients read it from HEADWATER_API_KEY)"
)
_BAD_SCHEME = "the Authorization header must be 'Bearer <token>'"
_BAD_TOKEN = "the token is not valid for this server"
_CSRF_HEADER_MISSING = (
    "CSRF token missing or wrong - reload the page (a write authenticated by the "
    "session cookie needs the X-CSRF-Token header)"
)
_CORS_METHODS = ("GET", "POST", "PUT", "DELETE")
_CORS_HEADERS = ("Authorization", "Content-Type", "X-CSRF-Token")


def _is_open(path: str, method: str) -> bool:
    """Paths anyone may reach: exactly the health check and the login page, and the
    static files (CSS and JavaScript, nothing from the store)."""
    if path in (HEALTH_PATH, LOGIN_PATH):
        return True
    return path.startswith(STATIC_PREFIX) and method in ("GET", "HEAD")


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _authenticate(conn: HTTPConnection, config: AuthConfig) -> tuple[Role | None, AuthMethod, str]:
    """The role the request proves, how it proved it, and why not when it did not."""
    header = conn.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "bearer", _BAD_SCHEME
        role = role_for_token(config, token.strip())
        return role, "bearer", "" if role else _BAD_TOKEN
    session = conn.cookies.get(SESSION_COOKIE)
    if session:
        role = role_for_session(config, session)
        if role is not None:
            return role, "session", ""
        return None, "session", "the session has expired or the token changed: log in again"
    return None, "session", _NO_CREDENTIALS


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this server, else ``"/"`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    if target == LOGIN_PATH or target.startswith(LOGIN_PATH + "?"):
        return "/"
    return target


def _login_redirect(scope: Scope, conn: HTTPConnection) -> Response:
    target = scope["path"]
    query = scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    target = safe_next(target)
    if (
        conn.headers.get("sec-fetch-site") == "cross-site"
        and conn.cookies.get(SESSION_HINT_COOKIE)
        and scope["method"] == "GET"
    ):
        # A link from another site: the browser held back the SameSite=Strict session
        # cookie. Reload the page from this site, which sends it (once: that request is
        # same-origin, so it never comes back here).
        url = html.escape(target, quote=True)
        body = f'<!doctype html><meta http-equiv="refresh" content="0;url={url}">'
        return HTMLResponse(body, headers={"Cache-Control": "no-store"})
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", 303)


def _cookie_header(scope: Scope, name: str, value: str) -> str:
    secure = "; Secure" if scope.get("scheme") in ("https", "wss") else ""
    return f"{name}={value}; Path=/; SameSite=Strict; HttpOnly{secure}"


class SecurityMiddleware:
    """The ASGI middleware described in this module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._cors: dict[tuple[str, ...], ASGIApp] = {}

    def _cors_app(self, origins: tuple[str, ...]) -> ASGIApp:
        app = self._cors.get(origins)
        if app is None:
            app = CORSMiddleware(
                self._guard,
                allow_origins=list(origins),
                allow_methods=list(_CORS_METHODS),
                allow_headers=list(_CORS_HEADERS),
                # Tokens travel in the Authorization header, which needs no credentials
                # mode; cookies stay same-site (the session is for this server's own UI).
                allow_credentials=False,
            )
            self._cors[origins] = app
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            settings = get_settings()
            origins = settings.server_cors_origins
            if origins:
                try:
                    check_cors(settings)
                except ConfigurationError as exc:  # fail closed, naming the setting at fault
                    await JSONResponse({"detail": str(exc)}, 500)(scope, receive, send)
                    return
                await self._cors_app(origins)(scope, receive, send)
                return
            headers = HTTPConnection(scope).headers
            if (
                scope["method"] == "OPTIONS"
                and "origin" in headers
                and "access-control-request-method" in headers
            ):
                detail = (
                    "cross-origin requests are not allowed: this server is same-origin only "
                    "(allow origins with HEADWATER_SERVER_CORS_ORIGINS)"
                )
                await JSONResponse({"detail": detail}, 403)(scope, receive, send)
                return
            await self._guard(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._guard_websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _guard(self, scope: Scope, receive: Receive, send: Send) -> None:
        conn = HTTPConnection(scope)
        state: dict[str, object] = scope.setdefault("state", {})
        path: str = scope["path"]
        method: str = scope["method"]
        is_api = _is_api(path)
        try:
            config = auth_config()
        except ConfigurationError as exc:  # fail closed, naming the variable at fault
            await JSONResponse({"detail": str(exc)}, 500)(scope, receive, send)
            return
        unsafe = method not in SAFE_METHODS
        origin = conn.headers.get("origin")
        if unsafe and origin is not None and not origin_allowed(conn, origin):
            detail = f"cross-origin request refused: origin {origin[:100]!r} is not this server"
            await JSONResponse({"detail": detail}, 403)(scope, receive, send)
            return
        if not config.enabled:
            state[STATE_ROLE], state[STATE_VIA] = ADMIN, "off"
        else:
            role, via, problem = _authenticate(conn, config)
            if role is None and not _is_open(path, method):
                # A page's own fetch() (Sec-Fetch-Mode other than navigate) gets the 401 too:
                # following a redirect would hand the script the login page's HTML.
                fetch_mode = conn.headers.get("sec-fetch-mode", "navigate")
                if is_api or fetch_mode != "navigate":
                    response: Response = JSONResponse(
                        {"detail": problem}, 401, headers={"WWW-Authenticate": "Bearer"}
                    )
                else:
                    response = _login_redirect(scope, conn)
                await response(scope, receive, send)
                return
            if role is not None:
                if (
                    via == "session"
                    and is_api
                    and unsafe
                    and not csrf_token_matches(conn, conn.headers.get(CSRF_HEADER))
                ):
                    await JSONResponse({"detail": _CSRF_HEADER_MISSING}, 403)(scope, receive, send)
                    return
                state[STATE_ROLE], state[STATE_VIA] = role, via

        async def send_with_csrf_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get(STATE_NEW_TOKEN):
                token = state.get(STATE_TOKEN)
                if isinstance(token, str):
                    headers = MutableHeaders(scope=message)
                    headers.append("set-cookie", _cookie_header(scope, CSRF_COOKIE, token))
            await send(message)

        await self.app(scope, receive, send_with_csrf_cookie)

    async def _guard_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Browsers do not apply CORS to WebSockets: check the Origin here.
        conn = HTTPConnection(scope)
        state: dict[str, object] = scope.setdefault("state", {})
        origin = conn.headers.get("origin")
        try:
            config = auth_config()
        except ConfigurationError:
            await send({"type": "websocket.close", "code": 1011})
            return
        if origin is not None and not origin_allowed(conn, origin):
            await send({"type": "websocket.close", "code": 1008})
            return
        if config.enabled:
            role, via, _ = _authenticate(conn, config)
            if role is None:
                await send({"type": "websocket.close", "code": 1008})
                return
            state[STATE_ROLE], state[STATE_VIA] = role, via
        else:
            state[STATE_ROLE], state[STATE_VIA] = ADMIN, "off"
        await self.app(scope, receive, send)


def install_security(app: FastAPI) -> None:
    """Add the authentication, CORS and CSRF middleware to ``app``.

    Raises :class:`~headwater.errors.ConfigurationError` now when the tokens are
    misconfigured (a read token without an admin token) or foreign CORS origins are
    configured without tokens (:func:`~headwater.server._exposure.check_cors`), so
    ``headwater server start`` says so before listening; requests check again, since settings can change.
    """
    auth_config()
    check_cors(get_settings())
    app.add_middleware(SecurityMiddleware)


def request_role(request: HTTPConnection) -> str:
    """``"admin"`` or ``"read"``: what this request's token may do (``"admin"`` when auth is off)."""
    role = request.scope.get("state", {}).get(STATE_ROLE)
    if role in (ADMIN, READ):
        return str(role)
    try:
        enabled = auth_config().enabled
    except ConfigurationError:
        return READ
    # No role recorded: the middleware is not installed or the path is open.
    return READ if enabled else ADMIN


def request_auth_method(request: HTTPConnection) -> str:
    """How the request authenticated: ``"bearer"``, ``"session"``, ``"off"`` (auth is
    off), or ``""`` (not authenticated: an open path such as ``/login``)."""
    via = request.scope.get("state", {}).get(STATE_VIA)
    return str(via) if via in ("bearer", "session", "off") else ""


async def require_admin(request: Request) -> None:
    """A dependency: 403 unless the request's token has the admin role."""
    if request_role(request) == ADMIN:
        return
    if not request_auth_method(request):
        raise HTTPException(401, _NO_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    raise HTTPException(403, _ADMIN_NEEDED)


def log_secret_read(request: Request, what: str) -> None:
    """Record, on the ``headwater.server.audit`` logger, that ``request`` read secret values of
    ``what`` (a block address such as ``"aws-credentials/prod"``). Never logs a value."""
    client = request.client
    address = f"{client.host}:{client.port}" if client is not None else "unknown"
    audit_logger.warning(
        "secret values of %r read by role %s (%s) from %s",
        what,
        request_role(request),
        request_auth_method(request) or "unauthenticated",
        address,
    )
