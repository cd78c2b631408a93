"""Checks of decorator options, run once at decoration time.

Each check raises :class:`~headwater.errors.ConfigurationError` naming the
option, so a typo fails when the module is imported rather than mid-run.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Iterable
from typing import Any

from headwater.errors import ConfigurationError
from headwater.retries import apply_jitter, retry_delays

__all__ = [
    "check_bool",
    "check_callable",
    "check_name",
    "check_retries",
    "check_run_name",
    "check_tags",
    "check_timedelta",
    "check_timeout",
]


def check_name(value: Any, *, option: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{option} must be a non-empty string, got {value!r}")
    return value


def check_tags(value: Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        raise ConfigurationError(f"tags must be a list of strings, not the single string {value!r}")
    try:
        tags = frozenset(value)
    except TypeError:
        raise ConfigurationError(
            f"tags must be a list of strings, got {type(value).__name__}"
        ) from None
    for tag in tags:
        if not isinstance(tag, str) or not tag:
            raise ConfigurationError(f"tags must be non-empty strings; {tag!r} is not")
    return tags


def check_retries(retries: Any, delay: Any, jitter: Any) -> tuple[int, list[float]]:
    """``(retries, delays)``; the delays list has one entry per retry."""
    if retries is None:
        retries = 0
    delays = retry_delays(delay, retries)
    if delay is not None and not delays:
        retry_delays(delay, 1)  # validate retry_delay_seconds even without retries
    apply_jitter(1.0, jitter)  # validates retry_jitter_factor
    return retries, delays


def check_timeout(value: Any) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"timeout_seconds must be a positive number of seconds, got {value!r}"
        )
    return float(value)


def check_timedelta(value: Any, *, option: str) -> _dt.timedelta | None:
    if value is None:
        return None
    if not isinstance(value, _dt.timedelta):
        raise ConfigurationError(
            f"{option} must be a datetime.timedelta, got {type(value).__name__}"
        )
    return value


def check_bool(value: Any, *, option: str, allow_none: bool = True) -> bool | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        raise ConfigurationError(f"{option} must be True or False, got {value!r}")
    return value


def check_callable(value: Any, *, option: str) -> Callable[..., Any] | None:
    if value is None:
        return None
    if not callable(value):
        raise ConfigurationError(f"{option} must be callable, got {type(value).__name__}")
    return value  # type: ignore[no-any-return]


def check_run_name(value: Any, *, option: str) -> str | Callable[[], str] | None:
    if value is None or callable(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{option} must be a format string or a callable, got {value!r}")
    return value
