"""One module per area of the UI; each defines ``router``."""

from __future__ import annotations

from types import ModuleType

from headwater.server.ui.pages import artifacts, auth, blocks, home, limits, runs, variables

__all__ = ["MODULES"]

MODULES: tuple[ModuleType, ...] = (auth, home, runs, blocks, variables, limits, artifacts)
