"""Logging in and out of the UI (``/login``, ``/logout``).

With authentication on, a browser logs in once with a token (the admin or the
read-only one); the server answers with a session cookie that proves the role
without being the token (see :mod:`headwater.server._auth`). ``/login`` is the one
page reachable without a session; its form is CSRF-protected like every other.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from headwater.server._auth import (
    SESSION_COOKIE,
    SESSION_HINT_COOKIE,
    SESSION_SECONDS,
    auth_config,
    make_session,
    role_for_token,
)
from headwater.server._security import require_csrf, safe_next
from headwater.server.ui._render import render

__all__ = ["router"]

router = APIRouter()


def _login_page(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        status_code=status_code,
        title="Log in",
        next_path=next_path,
        auth_enabled=auth_config().enabled,
        flash=error,
        flash_kind="error" if error else None,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _login_page(request, safe_next(next))


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the token; on success set the session cookie and go to ``next``."""
    config = auth_config()
    target = safe_next(next)
    if not config.enabled:
        return RedirectResponse(target, status_code=303)
    role = role_for_token(config, token.strip()) if token.strip() else None
    if role is None:
        # Never echo the token back, not even into the form.
        return _login_page(
            request,
            target,
            error="That token is not valid for this server.",
            status_code=401,
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        make_session(config, role),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.set_cookie(  # Lax: see SESSION_HINT_COOKIE
        SESSION_HINT_COOKIE,
        "1",
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    """Forget the session cookie and go to the login page."""
    response = RedirectResponse("/login", status_code=303)
    cookies: tuple[tuple[str, Literal["lax", "strict"]], ...] = (
        (SESSION_COOKIE, "strict"),
        (SESSION_HINT_COOKIE, "lax"),
    )
    for name, samesite in cookies:
        response.delete_cookie(
            name, path="/", httponly=True, samesite=samesite, secure=request.url.scheme == "https"
        )
    return response
