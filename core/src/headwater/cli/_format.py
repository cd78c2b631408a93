"""Plain formatting of ids, times, durations and states for tables and log lines."""

from __future__ import annotations

import time
from datetime import datetime

SHORT_ID_LENGTH = 8

STATE_STYLES: dict[str, str] = {
    "SCHEDULED": "yellow",
    "PENDING": "bright_black",
    "RUNNING": "blue",
    "COMPLETED": "green",
    "FAILED": "red",
    "CRASHED": "bold red",
    "CANCELLING": "magenta",
    "CANCELLED": "magenta",
    "PAUSED": "yellow",
}
"""Rich style of each state type (names share their type's colour)."""

LEVEL_COLOURS: dict[str, str] = {
    "DEBUG": "bright_black",
    "INFO": "blue",
    "WARNING": "yellow",
    "ERROR": "red",
    "CRITICAL": "bright_red",
}
"""Terminal colour of each log level name (ignored when stdout is not a terminal)."""


def short_id(run_id: str | None) -> str:
    """The first eight characters of an id: enough to tell runs apart and to paste back."""
    return "-" if not run_id else run_id[:SHORT_ID_LENGTH]


def format_time(timestamp: float | None, *, millis: bool = False) -> str:
    """A POSIX timestamp as local ``YYYY-MM-DD HH:MM:SS`` (``-`` when unknown)."""
    if timestamp is None:
        return "-"
    moment = datetime.fromtimestamp(timestamp)
    if millis:
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def run_duration(start: float | None, end: float | None) -> float | None:
    """Seconds between start and end; ``None`` unless both are known."""
    if start is None or end is None:
        return None
    return max(0.0, end - start)


def format_duration(seconds: float | None) -> str:
    """``850ms``, ``4.20s``, ``2m 05s`` or ``1h 03m``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.2f}s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def format_run_duration(start: float | None, end: float | None, state_type: str) -> str:
    """A run's duration for a table; a running run shows its time so far with ``+``."""
    if start is not None and end is None and state_type == "RUNNING":
        return format_duration(max(0.0, time.time() - start)) + "+"
    return format_duration(run_duration(start, end))


def state_style(state_type: str) -> str:
    return STATE_STYLES.get(state_type.upper(), "")
