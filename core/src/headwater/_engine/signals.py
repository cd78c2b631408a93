"""SIGTERM during a top-level flow run: record Crashed, flush, exit 143.

While a top-level flow runs on the main thread, SIGTERM raises
:class:`TerminationSignal` (a ``SystemExit`` with code 143) in the flow's
thread. The engine treats it like ``KeyboardInterrupt``: the run and its
running task run are marked Crashed, the store is flushed, and the exception
propagates so the process exits with status 143 (128 + SIGTERM).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["TerminationSignal", "sigterm_raises"]


class TerminationSignal(SystemExit):
    """Raised in the flow's thread when the process receives SIGTERM."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"the process received signal {signal.Signals(self.signum).name}"


def _raise(signum: int, frame: Any) -> None:
    raise TerminationSignal(signum)


@contextmanager
def sigterm_raises() -> Iterator[bool]:
    """Make SIGTERM raise :class:`TerminationSignal` inside the block (main thread only).

    Yields whether the handler was installed; does nothing off the main thread
    or when the application installed its own SIGTERM handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield False
        return
    signal.signal(signal.SIGTERM, _raise)
    try:
        yield True
    finally:
        signal.signal(signal.SIGTERM, previous)
