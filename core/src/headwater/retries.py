"""Retry delays: backoff schedules and jitter.

``@task(retries=3, retry_delay_seconds=exponential_backoff(10))`` waits 10,
20 and 40 seconds before the three retries. The engine turns whatever
``retry_delay_seconds`` holds into a list with :func:`retry_delays` and spreads
concurrent retries apart with :func:`apply_jitter`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from headwater.errors import ConfigurationError, TransientError

__all__ = ["apply_jitter", "exponential_backoff", "retry_delays", "retry_on_transient_errors"]


class _Random(Protocol):
    def random(self) -> float: ...


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """A ``retry_delay_seconds`` callable: ``backoff_factor * 2**i`` for each of the ``retries``."""
    factor = _seconds(backoff_factor, "backoff_factor")

    def delays(retries: int) -> list[float]:
        return [factor * 2**i for i in range(retries)]

    delays.__qualname__ = delays.__name__ = f"exponential_backoff({backoff_factor!r})"
    return delays


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{name} must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigurationError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return seconds


def retry_delays(
    retry_delay_seconds: float | Sequence[float] | Callable[[int], Sequence[float]] | None,
    retries: int,
) -> list[float]:
    """The delay before each of ``retries`` retries.

    ``retry_delay_seconds`` may be a number (the same delay every time), a
    list (one per retry; the last one repeats when the list is short), a
    callable taking ``retries`` and returning such a list (as
    :func:`exponential_backoff` does), or ``None`` (no delay). Bad values
    raise :class:`~headwater.errors.ConfigurationError` naming
    ``retry_delay_seconds``.
    """
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError(f"retries must be a whole number >= 0, got {retries!r}")
    if retries == 0:
        return []
    if retry_delay_seconds is None:
        return [0.0] * retries
    value: Any = retry_delay_seconds
    if callable(value):
        try:
            value = value(retries)
        except Exception as exc:
            raise ConfigurationError(f"retry_delay_seconds callable failed: {exc}") from exc
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [_seconds(value, "retry_delay_seconds")] * retries
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ConfigurationError(
            "retry_delay_seconds must be a number, a list of numbers or a callable returning a list, "
            f"not {type(value).__name__}"
        )
    delays = [_seconds(v, f"retry_delay_seconds[{i}]") for i, v in enumerate(value)]
    if not delays:
        raise ConfigurationError("retry_delay_seconds must not be an empty list")
    if len(delays) < retries:
        delays.extend([delays[-1]] * (retries - len(delays)))
    return delays[:retries]


def apply_jitter(delay: float, factor: float | None, rng: _Random = random) -> float:
    """``delay`` plus a random extra of up to ``factor * delay`` (never below 0).

    ``factor`` is ``retry_jitter_factor``; ``None`` or 0 returns ``delay``
    unchanged. A negative factor raises
    :class:`~headwater.errors.ConfigurationError` naming ``retry_jitter_factor``.
    """
    if factor is None or factor == 0:
        return max(0.0, float(delay))
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor):
        raise ConfigurationError(f"retry_jitter_factor must be a number >= 0, got {factor!r}")
    if factor < 0:
        raise ConfigurationError(f"retry_jitter_factor must be >= 0, got {factor!r}")
    return max(0.0, float(delay) + float(delay) * factor * rng.random())


def retry_on_transient_errors(task: Any, task_run: Any, state: Any) -> bool:
    """A ``retry_condition_fn`` that retries only when the run failed with a
    :class:`~headwater.errors.TransientError` (throttling, rate limits), directly
    or as the cause of the exception it raised.

    ``@task(retries=5, retry_delay_seconds=exponential_backoff(1), retry_condition_fn=retry_on_transient_errors)``
    """
    exc = getattr(state, "data", None)
    seen: set[int] = set()
    while isinstance(exc, BaseException) and id(exc) not in seen:
        if isinstance(exc, TransientError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
