"""Who is calling: tokens, roles and the browser's session cookie.

Authentication is on when ``HEADWATER_SERVER_ADMIN_TOKEN`` is set. A caller proves a
role in one of two ways:

- ``Authorization: Bearer <token>`` (API clients, the CLI, flows): the token is
  compared with both configured tokens, always both, in constant time;
- the ``headwater_session`` cookie that ``/login`` sets for a browser. The cookie is
  not the token: it is ``role.expiry.mac`` with ``mac = HMAC-SHA256(token of that role,
  "headwater-session|role|expiry")``, so every replica that shares the tokens accepts
  it, and rotating a token ends the sessions made with it.

Settings are read on every call (:func:`headwater.settings.get_settings` caches them),
so one application object follows the environment a test sets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from headwater.errors import ConfigurationError
from headwater.settings import Settings, get_settings

__all__ = [
    "ADMIN",
    "READ",
    "SESSION_COOKIE",
    "SESSION_HINT_COOKIE",
    "SESSION_SECONDS",
    "AuthConfig",
    "Role",
    "auth_config",
    "make_session",
    "role_for_session",
    "role_for_token",
]

Role = Literal["admin", "read"]
ADMIN: Role = "admin"
READ: Role = "read"

SESSION_COOKIE = "headwater_session"
"""The name of the browser's session cookie."""
SESSION_HINT_COOKIE = "headwater_signed_in"
"""A ``SameSite=Lax`` cookie beside the session, holding nothing but ``1``: it tells a link
followed from another site (which does not carry the ``Strict`` session cookie) that
reloading the page from this site will."""
SESSION_SECONDS = 12 * 3600
"""How long a browser session lasts after logging in."""

_ADMIN_VAR = "HEADWATER_SERVER_ADMIN_TOKEN"
_READ_VAR = "HEADWATER_SERVER_READ_TOKEN"

# Compared against when no read token is configured, so the work done per request is
# the same whichever tokens exist. Random per process: it can never be guessed.
_NO_TOKEN = secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """The server's tokens as bytes; ``enabled`` is false when no admin token is set."""

    admin: bytes | None
    read: bytes | None

    @property
    def enabled(self) -> bool:
        return self.admin is not None

    def token(self, role: str) -> bytes | None:
        """The token of ``role`` (``None`` for an unknown role or an unset token)."""
        if role == ADMIN:
            return self.admin
        if role == READ:
            return self.read
        return None


def _config_from(settings: Settings) -> AuthConfig:
    admin = settings.server_admin_token
    read = settings.server_read_token
    if read is not None and admin is None:
        raise ConfigurationError(
            f"{_READ_VAR} is set but {_ADMIN_VAR} is not: set an admin token too "
            "(authentication is on only with an admin token, and a read-only token alone "
            "would leave nobody able to write)"
        )
    admin_bytes = admin.get_secret_value().encode() if admin is not None else None
    read_bytes = read.get_secret_value().encode() if read is not None else None
    if admin_bytes is not None and read_bytes is not None and admin_bytes == read_bytes:
        raise ConfigurationError(
            f"{_READ_VAR} must differ from {_ADMIN_VAR}: with the same value no caller "
            "could be told apart as read-only"
        )
    return AuthConfig(admin=admin_bytes, read=read_bytes)


def auth_config() -> AuthConfig:
    """The current tokens; raises :class:`ConfigurationError` naming the variable at fault."""
    return _config_from(get_settings())


def _digest(value: bytes) -> bytes:
    # Comparing fixed-length digests keeps even the length of a token out of the timing.
    return hashlib.sha256(value).digest()


def role_for_token(config: AuthConfig, token: str) -> Role | None:
    """The role ``token`` grants, or ``None``. Both tokens are always compared, in
    constant time (:func:`hmac.compare_digest` over SHA-256 digests)."""
    given = _digest(token.encode())
    is_admin = hmac.compare_digest(given, _digest(config.admin or _NO_TOKEN))
    is_read = hmac.compare_digest(given, _digest(config.read or _NO_TOKEN))
    if is_admin and config.admin is not None:
        return ADMIN
    if is_read and config.read is not None:
        return READ
    return None


def _session_mac(token: bytes, role: str, expiry: int) -> str:
    message = f"headwater-session|{role}|{expiry}".encode()
    return hmac.new(token, message, hashlib.sha256).hexdigest()


def make_session(config: AuthConfig, role: Role, *, now: float | None = None) -> str:
    """A session cookie value for ``role``, valid for :data:`SESSION_SECONDS`."""
    token = config.token(role)
    if token is None:
        raise ValueError(f"no token is configured for the role {role!r}")
    expiry = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"{role}.{expiry}.{_session_mac(token, role, expiry)}"


def role_for_session(config: AuthConfig, value: str, *, now: float | None = None) -> Role | None:
    """The role a session cookie value proves, or ``None`` when it is forged, made with
    a token that has since changed, or expired."""
    role, sep, rest = value.partition(".")
    expiry_text, sep2, mac = rest.partition(".")
    if not (sep and sep2) or not expiry_text.isdigit() or len(expiry_text) > 12:
        return None
    token = config.token(role)
    if token is None:
        return None
    expiry = int(expiry_text)
    expected = _session_mac(token, role, expiry)
    if not hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace")):
        return None
    if expiry <= (now if now is not None else time.time()):
        return None
    return ADMIN if role == ADMIN else READ
