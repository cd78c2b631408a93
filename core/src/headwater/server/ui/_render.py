"""Template rendering shared by every page: one Jinja2 environment, autoescaped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from headwater._version import __version__
from headwater.server._security import csrf_token

__all__ = ["env", "format_duration", "format_time", "render"]

TEMPLATES_DIR = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_time(ts: float | None) -> str:
    """A POSIX timestamp as local ``YYYY-MM-DD HH:MM:SS``; empty for None."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """``850 ms``, ``12.3 s``, ``4m 05s``, ``2h 03m``; empty for None."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


env.filters["time"] = format_time
env.filters["duration"] = format_duration


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` with ``context`` plus ``request``, ``csrf_token`` and ``version``."""
    html = env.get_template(template).render(
        request=request, csrf_token=csrf_token(request), version=__version__, **context
    )
    return HTMLResponse(html, status_code=status_code)
