"""The entrypoints this machine's flows recorded, so retries import only those.

A flow run's ``entrypoint`` in the store can be written by anyone who can write the
store (``POST /api/ingest``, a planted row). Importing it runs code, so a retry must
not trust it. When the engine creates a flow run here it also writes the run's
entrypoint to ``HEADWATER_HOME/entrypoints/<run id>`` (a private file in a private
folder, which no API reaches); :func:`headwater._flow_retry.retry_flow_run` imports
a run's entrypoint only when that file exists and names the same entrypoint as the
store. A run recorded by another machine, or planted, is refused: retry it where it ran.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from headwater._files import make_private_dir
from headwater.settings import get_settings

__all__ = ["record_entrypoint", "recorded_entrypoint"]

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _path(run_id: str) -> Path | None:
    if not _SAFE_ID.fullmatch(run_id):
        return None
    return get_settings().home / "entrypoints" / run_id


def record_entrypoint(run_id: str, entrypoint: str) -> None:
    """Remember that this machine started flow run ``run_id`` from ``entrypoint``."""
    path = _path(run_id)
    if path is None:
        return
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(entrypoint)


def recorded_entrypoint(run_id: str) -> str | None:
    """The entrypoint this machine recorded for ``run_id``, or ``None``."""
    path = _path(run_id)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
