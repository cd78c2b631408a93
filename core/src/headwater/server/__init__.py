"""Headwater's HTTP server: a FastAPI app serving the store over a REST API.

Imported only by ``headwater server`` and by users who mount the app
themselves, so ``import headwater`` never pays for FastAPI.
"""

from __future__ import annotations

from headwater.server._exposure import check_start
from headwater.server.app import create_app

__all__ = ["check_start", "create_app"]
