"""One module per area of the UI; each defines ``router``."""

from __future__ import annotations

from types import ModuleType

from headwater.server.ui.pages import home

__all__ = ["MODULES"]

MODULES: tuple[ModuleType, ...] = (home,)
