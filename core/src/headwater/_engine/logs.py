"""The engine's access to :mod:`headwater.logging` (run loggers, print capture, progress).

Kept in one place so the hot path pays for a logger only when a line will be
emitted, and so setup happens once per process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = [
    "engine_logger",
    "ensure_logging",
    "ensure_print_capture",
    "progress_line",
    "task_logger_enabled",
    "task_logger_enabled_for",
]

_fallback = logging.getLogger("headwater.engine")
_prints_done = False
_lock = threading.Lock()


def engine_logger(ctx: Any) -> Any:
    """A logger adapter for ``ctx`` (a flow or task run context) that writes to the run's logs."""
    try:
        from headwater.logging import run_logger
    except ImportError:  # pragma: no cover - headwater.logging ships with the core
        return _fallback
    return run_logger(ctx)


def _task_logger() -> logging.Logger:
    try:
        from headwater.logging import TASK_RUN_LOGGER
    except ImportError:  # pragma: no cover
        return _fallback
    return logging.getLogger(TASK_RUN_LOGGER)


_task_run_logger = _task_logger()


def task_logger_enabled(level: int) -> bool:
    """Whether a task run's line at ``level`` would be emitted (checked before building a logger)."""
    return _task_run_logger.isEnabledFor(level)


def task_logger_enabled_for() -> Any:
    """The bound ``isEnabledFor`` of the task run logger, for hot paths (one call per check)."""
    return _task_run_logger.isEnabledFor


def ensure_logging() -> None:
    """Install Headwater's console and store log handlers (idempotent; re-reads the level)."""
    try:
        from headwater.logging import setup_logging
    except ImportError:  # pragma: no cover
        return
    setup_logging()


def ensure_print_capture() -> None:
    """Turn on the print hook once; it logs prints of runs that have ``log_prints`` set."""
    global _prints_done
    if _prints_done:
        return
    with _lock:
        if _prints_done:
            return
        try:
            from headwater.logging import enable_print_capture
        except ImportError:  # pragma: no cover
            pass
        else:
            enable_print_capture()
        _prints_done = True


def progress_line(flow_run_name: str) -> Any:
    """The live progress line for a top-level flow run, or ``None`` when unavailable."""
    try:
        from headwater._progress import ProgressLine
    except ImportError:  # pragma: no cover
        return None
    return ProgressLine(flow_run_name)
