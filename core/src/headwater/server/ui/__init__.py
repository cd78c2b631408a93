"""The web UI: server-rendered pages (Jinja2) over the same store as the API.

Each page module holds an ``APIRouter`` named ``router``; :data:`router`
includes them all. Static files (CSS and a little plain JavaScript, no build
step) are served under ``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from headwater.server.ui import pages

__all__ = ["STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)


def _include_pages() -> None:
    for module in pages.MODULES:
        router.include_router(module.router)


_include_pages()
