"""Who may reach a server without tokens: start-up refusals for unsafe exposure.

With no ``HEADWATER_SERVER_ADMIN_TOKEN`` every caller is admin: it reads every secret
and can make the server run code (retries). Such a server must be reachable only from
this machine, so:

- :func:`check_cors` refuses ``HEADWATER_SERVER_CORS_ORIGINS`` with ``*`` or any
  non-loopback origin unless authentication is on (checked when the app is built and
  on every request, since settings can change);
- :func:`check_start` refuses a non-loopback bind address unless authentication is on
  or ``HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH`` is set, and returns the
  warnings ``headwater server start`` prints (remote without auth, foreign origins).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from headwater.errors import ConfigurationError
from headwater.server._auth import auth_config
from headwater.settings import Settings

__all__ = ["check_cors", "check_start", "foreign_origins", "is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a bind address or a URL's host) is this machine only."""
    name = host.strip().lower().strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def foreign_origins(origins: tuple[str, ...]) -> list[str]:
    """The origins of ``origins`` that are not loopback (``*`` included)."""
    out = []
    for origin in origins:
        try:
            host = urlsplit(origin).hostname
        except ValueError:
            host = None
        if origin == "*" or host is None or not is_loopback_host(host):
            out.append(origin)
    return out


def check_cors(settings: Settings) -> None:
    """Raise :class:`ConfigurationError` when foreign CORS origins are configured without tokens."""
    foreign = foreign_origins(settings.server_cors_origins)
    if foreign and not auth_config().enabled:
        raise ConfigurationError(
            f"HEADWATER_SERVER_CORS_ORIGINS allows {', '.join(map(repr, foreign[:5]))} but no "
            "HEADWATER_SERVER_ADMIN_TOKEN is set: any web site could read secrets and write; "
            "set the tokens or allow only loopback origins"
        )


def check_start(host: str, settings: Settings) -> list[str]:
    """The warnings for serving on ``host`` with ``settings``; raises
    :class:`ConfigurationError` when that would be unsafe and not explicitly allowed."""
    check_cors(settings)
    warnings: list[str] = []
    auth = auth_config().enabled
    if not auth and not is_loopback_host(host):
        if not settings.server_unsafe_allow_remote_without_auth:
            raise ConfigurationError(
                f"refusing to listen on {host!r} without authentication: anyone who reaches it "
                "could read every secret and run code. Set HEADWATER_SERVER_ADMIN_TOKEN, listen "
                "on 127.0.0.1, or (unsafe) set HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH=true"
            )
        warnings.append(
            f"WARNING: listening on {host!r} without authentication "
            "(HEADWATER_SERVER_UNSAFE_ALLOW_REMOTE_WITHOUT_AUTH is set): anyone who reaches "
            "this port can read every secret and run code"
        )
    foreign = foreign_origins(settings.server_cors_origins)
    if foreign:
        warnings.append(
            "WARNING: HEADWATER_SERVER_CORS_ORIGINS lets these origins call the API with a "
            f"token: {', '.join(foreign)}"
        )
    return warnings
