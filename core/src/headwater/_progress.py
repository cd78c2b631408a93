"""The live progress line of a flow run with many task runs.

    flow 'etl': 180 completed, 8 running, 2 failed

It appears on stderr only when stderr is a terminal, ``HEADWATER_PROGRESS``
is true and the flow run has started enough task runs for a summary to help
(:data:`SHOW_AFTER`). Until then, and whenever it is hidden, the engine's
calls only bump counters. Redraws are throttled to :data:`MAX_REFRESH_PER_SECOND`.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from headwater.settings import get_settings
from headwater.states import StateType

__all__ = ["MAX_REFRESH_PER_SECOND", "SHOW_AFTER", "ProgressLine"]

SHOW_AFTER = 20
"""Task runs a flow run must start before the line appears."""
MAX_REFRESH_PER_SECOND = 10

# Module constants: attribute access on an Enum class is slow on the hot path.
_COMPLETED = StateType.COMPLETED
_FAILED = StateType.FAILED
_CRASHED = StateType.CRASHED
_CANCELLED = StateType.CANCELLED


def _value(counter: itertools.count[int]) -> int:
    """How many times ``next`` was called on a counter started at 1."""
    return int(repr(counter)[6:-1]) - 1


class ProgressLine:
    """Counts a flow run's task runs and, when worth it, shows them on one live line.

    ``console``: a ``rich.console.Console`` to draw on (tests pass one writing
    to a ``StringIO`` with ``force_terminal=True``); default: stderr. The
    engine calls :meth:`task_started` and :meth:`task_finished` from any
    thread, and :meth:`close` once when the flow run ends.
    """

    __slots__ = (
        "_cancelled",
        "_completed",
        "_console",
        "_failed",
        "_finished",
        "_live",
        "_lock",
        "_next_draw",
        "_started",
        "enabled",
        "flow_run_name",
    )

    def __init__(self, flow_run_name: str, *, console: Any = None) -> None:
        self.flow_run_name = flow_run_name
        # itertools.count: next() is one atomic C call, so counting from many
        # threads needs no lock and costs almost nothing while the line is hidden.
        self._started = itertools.count(1)
        self._finished = itertools.count(1)
        self._completed = itertools.count(1)
        self._failed = itertools.count(1)
        self._cancelled = itertools.count(1)
        self._lock = threading.Lock()
        self._live: Any = None
        self._next_draw = 0.0
        self._console = console
        self.enabled = _should_show(console)

    @property
    def started(self) -> int:
        return _value(self._started)

    @property
    def running(self) -> int:
        return _value(self._started) - _value(self._finished)

    @property
    def completed(self) -> int:
        return _value(self._completed)

    @property
    def failed(self) -> int:
        return _value(self._failed)

    @property
    def cancelled(self) -> int:
        return _value(self._cancelled)

    def text(self) -> str:
        """The line as it is drawn now."""
        line = (
            f"flow {self.flow_run_name!r}: {self.completed} completed, "
            f"{self.running} running, {self.failed} failed"
        )
        cancelled = self.cancelled
        if cancelled:
            line += f", {cancelled} cancelled"
        return line

    def task_started(self) -> None:
        if next(self._started) >= SHOW_AFTER and self.enabled:
            self._draw(force=False)

    def task_finished(self, state_type: StateType) -> None:
        next(self._finished)
        if state_type is _COMPLETED:
            next(self._completed)
        elif state_type is _FAILED or state_type is _CRASHED:
            next(self._failed)
        elif state_type is _CANCELLED:
            next(self._cancelled)
        if self.enabled and _value(self._started) >= SHOW_AFTER:
            self._draw(force=False)

    def close(self) -> None:
        """Draw the final counts (if the line was shown) and release the terminal."""
        with self._lock:
            live, self._live = self._live, None
            self.enabled = False
        if live is not None:
            try:
                live.update(_renderable(self.text()), refresh=True)
                live.stop()
            except Exception:  # never let a display problem fail a flow run
                pass

    def _draw(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now < self._next_draw:
            return
        with self._lock:
            if not self.enabled or (not force and now < self._next_draw):
                return
            self._next_draw = now + 1.0 / MAX_REFRESH_PER_SECOND
            try:
                if self._live is None:
                    self._live = _start_live(self._console, self.text())
                else:
                    self._live.update(_renderable(self.text()), refresh=True)
            except Exception:  # another live display is active, the terminal went away, ...
                self.enabled = False
                self._live = None


def _should_show(console: Any) -> bool:
    if not get_settings().progress:
        return False
    if console is not None:
        return bool(getattr(console, "is_terminal", False))
    import sys

    stream = sys.stderr
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def _renderable(text: str) -> Any:
    from rich.text import Text

    return Text(text)  # plain Text: no syntax highlighting of numbers and quotes


def _start_live(console: Any, text: str) -> Any:
    from rich.console import Console
    from rich.live import Live

    own_console = console is None
    live = Live(
        _renderable(text),
        console=console if console is not None else Console(stderr=True),
        auto_refresh=False,
        transient=False,
        redirect_stdout=own_console,
        redirect_stderr=own_console,
    )
    live.start(refresh=True)
    return live
