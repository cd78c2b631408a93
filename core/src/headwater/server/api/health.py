"""``GET /api/health``: is the server up, and which version is it."""

from __future__ import annotations

from fastapi import APIRouter

from headwater._version import __version__
from headwater.server.schemas import Health

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Server health")
def health() -> Health:
    """``ok`` while the server answers (it does not touch the database)."""
    return Health(status="ok", version=__version__)
