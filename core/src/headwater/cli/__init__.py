"""The ``headwater`` command line: inspect runs, logs, concurrency limits and settings.

``headwater.cli:main`` is the console script. Every command reads and writes
orchestration data only through the Store interface, and imports the store and
rich lazily so ``headwater --version`` starts quickly.
"""

from __future__ import annotations

from headwater.cli._app import app, main

__all__ = ["app", "main"]
