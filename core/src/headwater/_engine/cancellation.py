"""Cancelling a running flow run from outside (``headwater flow-run cancel``).

The store turns a Running flow run Cancelling; the process running it finishes
the job. Each top-level flow run opens a :class:`CancelScope`, which its child
flow runs share. One daemon thread per process (the *watcher*) reads the state
of every open scope's top-level run about once a second
(:meth:`~headwater._store.base.Store.read_flow_run_state_type`, one indexed
read). When one reads Cancelling (or Cancelled), the scope is cancelled:

- its flow run ids join :data:`cancelling`, which the task engine checks
  before it calls a task's function (one set truthiness check on the hot path
  while nothing is being cancelled): such task runs end Cancelled, never started;
- every flow body of the scope that is running is interrupted: a sync body gets
  :class:`CancelInterrupt` raised in its thread (``PyThreadState_SetAsyncExc``,
  plus the wake signal on the main thread so a blocking call such as
  ``time.sleep`` returns at once, as timeouts do); an async body gets its
  asyncio task cancelled;
- a body that starts or ends afterwards raises :class:`CancelInterrupt` itself.

The flow engine turns the interrupt into the run's Cancelled final state.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

from headwater._engine.timeouts import _install_alarm, _set_async_exc, _uninstall_alarm

if TYPE_CHECKING:
    from headwater._store.base import Store

__all__ = [
    "POLL_SECONDS",
    "CancelInterrupt",
    "CancelScope",
    "cancelling",
    "close_scope",
    "open_scope",
]

POLL_SECONDS = 1.0
"""How often the watcher reads the state of the flow runs this process runs."""

cancelling: set[str] = set()
"""Ids of the flow runs being cancelled in this process (mutated in place, never rebound)."""

_lock = threading.Lock()
_scopes: dict[str, CancelScope] = {}
_thread: threading.Thread | None = None


class CancelInterrupt(BaseException):
    """Raised inside the body of a flow run that is being cancelled.

    A ``BaseException``, so user code's ``except Exception`` does not swallow
    it and the engine does not treat it as a failure to retry.
    """


class _Body:
    """One running flow body: the thread (sync) or asyncio task (async) to interrupt."""

    __slots__ = ("alarm", "fired", "loop", "task", "thread_id")

    def __init__(self) -> None:
        self.thread_id = threading.get_ident()
        self.alarm: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[object] | None = None
        self.fired = False


class CancelScope:
    """A top-level flow run and its child flow runs: what one cancellation stops."""

    __slots__ = ("_bodies", "_lock", "cancelled", "ids", "root_id", "store")

    def __init__(self, root_id: str, store: Store) -> None:
        self.root_id = root_id
        self.store = store
        self.ids = {root_id}
        self.cancelled = False
        self._bodies: list[_Body] = []
        self._lock = threading.Lock()

    def add(self, flow_run_id: str) -> None:
        """Include a child flow run."""
        with self._lock:
            self.ids.add(flow_run_id)
            if self.cancelled:
                cancelling.add(flow_run_id)

    # -- the flow engine's body region ----------------------------------------------
    def enter_body(self, *, is_async: bool = False) -> _Body:
        """Register the calling thread (or, with ``is_async``, asyncio task) as running a body.

        Raises :class:`CancelInterrupt` when the scope is already cancelled.
        """
        body = _Body()
        if is_async:
            try:
                body.task = asyncio.current_task()
                body.loop = asyncio.get_running_loop()
            except RuntimeError:
                body.task = None
        elif threading.current_thread() is threading.main_thread():
            body.alarm = _install_alarm()
        with self._lock:
            if not self.cancelled:
                self._bodies.append(body)
                return body
        if body.alarm is not None:
            _uninstall_alarm()
        raise CancelInterrupt(self.root_id)

    def leave_body(self, body: _Body) -> None:
        """Unregister ``body``; raises :class:`CancelInterrupt` when the scope was cancelled.

        Called in the body's own thread, so a pending interrupt aimed at it can be
        withdrawn: after this call nothing is raised into the engine's bookkeeping.
        """
        with self._lock:
            if body in self._bodies:
                self._bodies.remove(body)
            cancelled = self.cancelled
            if cancelled and body.task is None:
                _set_async_exc(ctypes.c_ulong(body.thread_id), None)
        if body.alarm is not None:
            _uninstall_alarm()
        if cancelled:
            if body.task is not None and body.fired:
                body.task.uncancel()
            raise CancelInterrupt(self.root_id)

    # -- the watcher's side -----------------------------------------------------------
    def cancel(self) -> None:
        """Stop new task runs and interrupt every running body of this scope (once)."""
        wake: list[tuple[int, int]] = []
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            cancelling.update(self.ids)
            interrupted: set[int] = set()
            for body in self._bodies:
                if body.task is not None and body.loop is not None:
                    try:
                        body.loop.call_soon_threadsafe(self._cancel_task, body)
                    except RuntimeError:  # the loop is closed: the body is over
                        pass
                elif body.thread_id not in interrupted:
                    interrupted.add(body.thread_id)
                    body.fired = True
                    _set_async_exc(
                        ctypes.c_ulong(body.thread_id), ctypes.py_object(CancelInterrupt)
                    )
                    if body.alarm is not None:
                        wake.append((body.thread_id, body.alarm))
        for thread_id, signum in wake:
            try:
                signal.pthread_kill(thread_id, signum)
            except (OSError, ValueError):  # pragma: no cover - the thread is gone
                pass

    def _cancel_task(self, body: _Body) -> None:
        """On the body's event loop: cancel its task if the body is still running."""
        with self._lock:
            if body in self._bodies and body.task is not None:
                body.fired = True
                body.task.cancel("the flow run was cancelled")


def open_scope(flow_run_id: str, store: Store) -> CancelScope:
    """Watch the top-level flow run ``flow_run_id`` for cancellation until :func:`close_scope`."""
    global _thread
    scope = CancelScope(flow_run_id, store)
    with _lock:
        _scopes[flow_run_id] = scope
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_watch, name="headwater-cancel-watcher", daemon=True)
            _thread.start()
    return scope


def close_scope(scope: CancelScope) -> None:
    """Stop watching ``scope`` (its top-level run is over)."""
    with _lock:
        if _scopes.get(scope.root_id) is scope:
            del _scopes[scope.root_id]
    if scope.cancelled:
        cancelling.difference_update(scope.ids)


def _watch() -> None:
    while True:
        time.sleep(POLL_SECONDS)
        with _lock:
            scopes = [s for s in _scopes.values() if not s.cancelled]
        for scope in scopes:
            try:
                state_type = scope.store.read_flow_run_state_type(scope.root_id)
            except Exception:  # not recorded yet, or the store is closing: next tick
                continue
            if state_type in ("CANCELLING", "CANCELLED"):
                scope.cancel()


def _forget_in_child() -> None:
    global _lock, _thread
    _scopes.clear()
    cancelling.clear()
    _lock = threading.Lock()
    _thread = None


os.register_at_fork(after_in_child=_forget_in_child)
