"""State-change hooks (``on_completion``, ``on_failure``, ...).

Hooks run after the final state is known. A hook that raises is logged and
ignored: a notification failing must not change the run's outcome.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from headwater.errors import ConfigurationError
from headwater.states import State

__all__ = ["check_hooks", "run_hooks", "run_hooks_async"]

_logger = logging.getLogger("headwater.engine")


def check_hooks(
    hooks: Sequence[Callable[..., Any]] | Callable[..., Any] | None, *, option: str
) -> tuple[Callable[..., Any], ...]:
    """Hooks as a tuple; :class:`ConfigurationError` naming ``option`` when one is not callable."""
    if hooks is None:
        return ()
    if callable(hooks):
        hooks = [hooks]
    if isinstance(hooks, (str, bytes)) or not isinstance(hooks, Sequence):
        raise ConfigurationError(
            f"{option} must be a list of callables, got {type(hooks).__name__}"
        )
    for hook in hooks:
        if not callable(hook):
            raise ConfigurationError(
                f"{option} must be a list of callables; {hook!r} is not callable"
            )
    return tuple(hooks)


def run_hooks(
    hooks: Sequence[Callable[..., Any]], args: tuple[Any, ...], *, state: State, logger: Any = None
) -> None:
    """Call each hook with ``args``; awaitables are run to completion; errors are logged."""
    log = logger or _logger
    for hook in hooks:
        name = getattr(hook, "__name__", repr(hook))
        try:
            out = hook(*args)
            if inspect.isawaitable(out):
                from headwater._engine.asyncutils import run_coro_sync

                async def _await(aw: Any = out) -> Any:
                    return await aw

                run_coro_sync(_await())
        except Exception:
            log.error(
                "An error was encountered while running hook %r for state %s",
                name,
                state,
                exc_info=True,
            )
        else:
            log.info("Hook %r finished running successfully", name)


async def run_hooks_async(
    hooks: Sequence[Callable[..., Any]], args: tuple[Any, ...], *, state: State, logger: Any = None
) -> None:
    """Like :func:`run_hooks`, awaiting async hooks on the running loop."""
    log = logger or _logger
    for hook in hooks:
        name = getattr(hook, "__name__", repr(hook))
        try:
            out = hook(*args)
            if inspect.isawaitable(out):
                await out
        except Exception:
            log.error(
                "An error was encountered while running hook %r for state %s",
                name,
                state,
                exc_info=True,
            )
        else:
            log.info("Hook %r finished running successfully", name)
