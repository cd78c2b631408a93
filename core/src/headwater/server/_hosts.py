"""The ``Host`` header check: the server answers only to names it knows (DNS rebinding).

A web page whose name re-resolves to 127.0.0.1 is same-origin with a local server
as far as the browser is concerned, so CORS and the ``Origin`` check do not stop it;
its requests still carry the attacker's name in ``Host``. :class:`HostCheckMiddleware`
runs before everything else (API, UI, static files, docs) and answers 400 unless the
``Host`` header names

- ``localhost``, ``127.0.0.1`` or ``[::1]``;
- the address the connection arrived on (the bind address; an IP literal can never
  be rebound, and a client that typed it meant this server);
- a name given to :func:`headwater.server.create_app` (``headwater server start
  --host NAME``) or listed in ``HEADWATER_SERVER_ALLOWED_HOSTS``;

each with or without a numeric port, compared case-insensitively. A missing or
malformed ``Host`` (userinfo, a path, several colons, a non-numeric port) is refused.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from headwater.settings import get_settings

__all__ = ["LOOPBACK_HOSTS", "HostCheckMiddleware", "host_allowed", "split_host"]

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def split_host(header: str) -> str | None:
    """The host name of a ``Host`` header value, lowercased (IPv6 compressed, without brackets),
    or ``None`` when the value is not ``name``, ``name:port``, ``[v6]`` or ``[v6]:port``."""
    value = header.strip().lower()
    if value.startswith("["):
        inside, sep, rest = value[1:].partition("]")
        if not sep or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
            return None
        try:
            return ipaddress.IPv6Address(inside).compressed
        except ValueError:
            return None
    name, sep, port = value.partition(":")
    if sep and not port.isdigit():
        return None
    if not name or not set(name) <= _NAME_CHARS:
        return None
    return name


def _normalise(name: str) -> str:
    name = name.strip().lower().removeprefix("[").removesuffix("]")
    try:
        return ipaddress.ip_address(name).compressed
    except ValueError:
        return name


def host_allowed(header: str | None, extra: frozenset[str], scope: Scope | None = None) -> bool:
    """Whether a request with this ``Host`` header may reach the application."""
    if header is None:
        return False
    name = split_host(header)
    if name is None:
        return False
    if name in LOOPBACK_HOSTS or name in extra:
        return True
    if name in {split_host(h) or _normalise(h) for h in get_settings().server_allowed_hosts}:
        return True
    server = (scope or {}).get("server")
    return server is not None and name == _normalise(str(server[0]))


class HostCheckMiddleware:
    """Answer 400 to an HTTP or WebSocket request whose ``Host`` is not allowed."""

    def __init__(self, app: ASGIApp, bind_host: str | None = None) -> None:
        self.app = app
        self._extra = frozenset({_normalise(bind_host)} if bind_host else set())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            header = HTTPConnection(scope).headers.get("host")
            if not host_allowed(header, self._extra, scope):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                detail = (
                    "invalid Host header: this server answers only to localhost, its bind "
                    "address and the names in HEADWATER_SERVER_ALLOWED_HOSTS"
                )
                await PlainTextResponse(detail, 400)(scope, receive, send)
                return
        await self.app(scope, receive, send)
