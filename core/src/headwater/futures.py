"""Futures: handles to task runs submitted to a task runner.

``task.submit(...)`` returns a :class:`HeadwaterFuture`; ``task.map(...)``
returns a :class:`HeadwaterFutureList`. Passing a future to another task makes
that task wait for it and receive its result, and records the dependency.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

from headwater.states import Pending, State

__all__ = [
    "DoneAndNotDoneFutures",
    "HeadwaterConcurrentFuture",
    "HeadwaterFuture",
    "HeadwaterFutureList",
    "HeadwaterTaskFuture",
    "ResolvedFuture",
    "as_completed",
    "wait",
]

R = TypeVar("R")


class HeadwaterFuture(ABC, Generic[R]):
    """The eventual final state of one task run."""

    __slots__ = ("_task_run_id",)

    def __init__(self, task_run_id: str) -> None:
        self._task_run_id = task_run_id

    @property
    def task_run_id(self) -> str:
        """The id of the task run this future tracks."""
        return self._task_run_id

    @property
    @abstractmethod
    def state(self) -> State:
        """The run's current state (its final state once it is done)."""

    @abstractmethod
    def done(self) -> bool:
        """Whether the run reached its final state."""

    @abstractmethod
    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is done or ``timeout`` seconds pass (no error on timeout)."""

    @abstractmethod
    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        """Call ``fn(self)`` once the run is done (at once if it already is)."""

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The run's return value, waiting up to ``timeout`` seconds.

        Raises :class:`TimeoutError` if the run is not done in time, and the
        run's own exception if it failed (unless ``raise_on_failure=False``,
        which returns the exception instead).
        """
        self.wait(timeout)
        if not self.done():
            raise TimeoutError(
                f"task run {self.task_run_id} did not finish within {timeout} second(s)"
            )
        value: R = self.state.result(raise_on_failure=raise_on_failure)
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task_run_id={self.task_run_id!r}, state={self.state!r})"


class HeadwaterConcurrentFuture(HeadwaterFuture[R]):
    """A future backed by a :class:`concurrent.futures.Future` whose result is the final State.

    ``current`` (optional) is a zero-argument callable giving the run's latest
    state while it is still running.
    """

    __slots__ = ("_current", "_wrapped")

    def __init__(
        self,
        task_run_id: str,
        wrapped: concurrent.futures.Future[State],
        current: Callable[[], State | None] | None = None,
    ) -> None:
        super().__init__(task_run_id)
        self._wrapped = wrapped
        self._current = current

    @property
    def wrapped_future(self) -> concurrent.futures.Future[State]:
        return self._wrapped

    @property
    def state(self) -> State:
        if self._wrapped.done():
            return self._final()
        latest = self._current() if self._current is not None else None
        return latest if latest is not None else Pending(task_run_id=self.task_run_id)

    def _final(self) -> State:
        try:
            return self._wrapped.result()
        except BaseException as exc:  # the runner itself failed: report it as a crash
            from headwater.states import Crashed

            return Crashed(
                message=f"Task run crashed: {type(exc).__name__}: {exc}",
                data=exc,
                task_run_id=self.task_run_id,
            )

    def done(self) -> bool:
        return self._wrapped.done()

    def wait(self, timeout: float | None = None) -> None:
        concurrent.futures.wait([self._wrapped], timeout=timeout)

    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        self._wrapped.add_done_callback(lambda _: fn(self))


class HeadwaterTaskFuture(HeadwaterFuture[R]):
    """A light future completed by the thread running the task (no executor future underneath).

    The event a waiter blocks on is made only when someone waits before the
    run is done, so a future that is read after completion costs no lock object.
    """

    __slots__ = ("_callbacks", "_current", "_event", "_final", "_lock")

    def __init__(self, task_run_id: str, current: Callable[[], State | None] | None = None) -> None:
        super().__init__(task_run_id)
        self._final: State | None = None
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[HeadwaterFuture[R]], Any]] | None = None
        self._lock = threading.Lock()
        self._current = current

    def set_state(self, state: State) -> None:
        """Called once by the runner with the run's final state."""
        with self._lock:
            self._final = state
            event, callbacks = self._event, self._callbacks
            self._callbacks = None
        if event is not None:
            event.set()
        if callbacks:
            for fn in callbacks:
                fn(self)

    @property
    def state(self) -> State:
        final = self._final
        if final is not None:
            return final
        latest = self._current() if self._current is not None else None
        return latest if latest is not None else Pending(task_run_id=self.task_run_id)

    def done(self) -> bool:
        return self._final is not None

    def wait(self, timeout: float | None = None) -> None:
        if self._final is not None:
            return
        with self._lock:
            if self._final is not None:
                return
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        event.wait(timeout)

    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        with self._lock:
            if self._final is None:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        fn(self)


class ResolvedFuture(HeadwaterFuture[R]):
    """A future whose final state is already known (used when sending work to other processes)."""

    __slots__ = ("_state",)

    def __init__(self, task_run_id: str, state: State) -> None:
        super().__init__(task_run_id)
        self._state = state

    @property
    def state(self) -> State:
        return self._state

    def done(self) -> bool:
        return True

    def wait(self, timeout: float | None = None) -> None:
        return None

    def add_done_callback(self, fn: Callable[[HeadwaterFuture[R]], Any]) -> None:
        fn(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ResolvedFuture, (self._task_run_id, self._state))


class HeadwaterFutureList(list[HeadwaterFuture[R]]):
    """The futures of a ``task.map(...)`` call, in input order."""

    def wait(self, timeout: float | None = None) -> None:
        """Block until every future is done or ``timeout`` seconds pass."""
        wait(self, timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        """Every future's result, in order; raises the first failure (see :meth:`HeadwaterFuture.result`)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out: list[R] = []
        for fut in self:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            out.append(fut.result(timeout=left, raise_on_failure=raise_on_failure))
        return out


class DoneAndNotDoneFutures(NamedTuple, Generic[R]):
    """What :func:`wait` returns."""

    done: set[HeadwaterFuture[R]]
    not_done: set[HeadwaterFuture[R]]


def wait(
    futures: Iterable[HeadwaterFuture[R]], timeout: float | None = None
) -> DoneAndNotDoneFutures[R]:
    """Wait for ``futures`` to finish (or ``timeout`` seconds); ``(done, not_done)`` sets."""
    futs = list(futures)
    concurrent_ones = [f.wrapped_future for f in futs if isinstance(f, HeadwaterConcurrentFuture)]
    deadline = None if timeout is None else time.monotonic() + timeout
    if concurrent_ones:
        concurrent.futures.wait(concurrent_ones, timeout=timeout)
    for f in futs:
        if not isinstance(f, HeadwaterConcurrentFuture):
            f.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
    done = {f for f in futs if f.done()}
    return DoneAndNotDoneFutures(done, {f for f in futs if f not in done})


def as_completed(
    futures: Iterable[HeadwaterFuture[R]], timeout: float | None = None
) -> Iterator[HeadwaterFuture[R]]:
    """Yield ``futures`` as they finish; :class:`TimeoutError` if some are not done in ``timeout`` seconds."""
    futs = list(dict.fromkeys(futures))
    cond = threading.Condition()
    finished: list[HeadwaterFuture[R]] = []

    def on_done(f: HeadwaterFuture[R]) -> None:
        with cond:
            finished.append(f)
            cond.notify_all()

    for f in futs:
        f.add_done_callback(on_done)
    deadline = None if timeout is None else time.monotonic() + timeout
    yielded = 0
    while yielded < len(futs):
        with cond:
            while len(finished) <= yielded:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(
                        f"{len(futs) - yielded} of {len(futs)} futures unfinished after {timeout} second(s)"
                    )
                cond.wait(left)
            batch = finished[yielded:]
        for f in batch:
            yielded += 1
            yield f
