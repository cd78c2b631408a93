"""Authentication, roles, CORS and CSRF for the API and the UI.

The server has two roles: ``read`` (every GET) and ``admin`` (every write, and
reading secret values). Routes that write declare ``Depends(require_admin)``;
UI form posts also declare ``Depends(require_csrf)``; templates put
``csrf_token(request)`` in a hidden ``csrf_token`` field.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

__all__ = [
    "csrf_token",
    "install_security",
    "log_secret_read",
    "request_role",
    "require_admin",
    "require_csrf",
]


def install_security(app: FastAPI) -> None:
    """Add the authentication and CORS middleware to ``app``."""


async def require_admin(request: Request) -> None:
    """A dependency: 403 unless the request's token has the admin role."""


async def require_csrf(request: Request) -> None:
    """A dependency for UI form posts: 403 unless the form's ``csrf_token`` is valid."""


def csrf_token(request: Request) -> str:
    """The CSRF token to embed in this request's forms."""
    return ""


def request_role(request: Request) -> str:
    """``"admin"`` or ``"read"``: what this request's token may do (``"admin"`` when auth is off)."""
    return "admin"


def log_secret_read(request: Request, what: str) -> None:
    """Record, on the ``headwater.server.audit`` logger, that ``request`` read secret values of
    ``what`` (a block address such as ``"aws-credentials/prod"``). Never logs a value."""
