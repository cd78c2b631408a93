"""Waiting for a job that runs elsewhere: the loop every :class:`~headwater.blocks.JobRun` needs.

:func:`poll_until_final` asks for the job's state every ``interval`` seconds,
logs each change, returns the job's description once it succeeded, and raises
what the caller builds for a failure or a timeout. Integrations (Batch, Glue,
ECS, Cloud Run...) differ only in how they describe a job and what its states
are called.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any, TypeVar

__all__ = ["poll_until_final"]

D = TypeVar("D")


def poll_until_final(
    describe: Callable[[], D],
    state_of: Callable[[D], str],
    *,
    succeeded: Collection[str],
    failed: Collection[str],
    on_failure: Callable[[D, str], BaseException],
    on_timeout: Callable[[str], BaseException],
    interval: float,
    timeout: float | None = None,
    label: str = "job",
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> D:
    """Poll ``describe()`` until ``state_of(description)`` is in ``succeeded`` (returns the
    description) or ``failed`` (raises ``on_failure(description, state)``).

    After ``timeout`` seconds (``None``: never) it raises ``on_timeout(last_state)``; the
    job itself is left alone. Each new state is logged as ``"<label> is <STATE>"``.
    """
    if interval <= 0:
        raise ValueError(f"interval must be positive (got {interval!r})")
    deadline = None if timeout is None else time.monotonic() + timeout
    last: str | None = None
    while True:
        description = describe()
        state = state_of(description)
        if state != last:
            if logger is not None:
                logger.info("%s is %s", label, state)
            last = state
        if state in succeeded:
            return description
        if state in failed:
            raise on_failure(description, state)
        if deadline is None:
            sleep(interval)
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise on_timeout(state)
        sleep(min(interval, remaining))
