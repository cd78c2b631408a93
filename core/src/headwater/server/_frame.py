"""No framing: every response says it may not be shown inside another site's frame.

:class:`FrameGuardMiddleware` adds ``X-Frame-Options: DENY`` and the CSP directive
``frame-ancestors 'none'`` to every HTTP response (UI pages, the API docs, errors),
which stops clickjacking of the UI's buttons. A ``Content-Security-Policy`` a route
already set keeps its directives; ``frame-ancestors`` is added to it (or replaced).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["FrameGuardMiddleware", "merge_frame_ancestors"]

_DIRECTIVE = "frame-ancestors 'none'"


def merge_frame_ancestors(policy: str | None) -> str:
    """``policy`` with its ``frame-ancestors`` directive set to ``'none'``."""
    if not policy:
        return _DIRECTIVE
    kept = [
        part.strip()
        for part in policy.split(";")
        if part.strip() and part.strip().split()[0].lower() != "frame-ancestors"
    ]
    return "; ".join([*kept, _DIRECTIVE])


class FrameGuardMiddleware:
    """The ASGI middleware described in this module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Frame-Options"] = "DENY"
                headers["Content-Security-Policy"] = merge_frame_ancestors(
                    headers.get("content-security-policy")
                )
            await send(message)

        await self.app(scope, receive, send_guarded)
