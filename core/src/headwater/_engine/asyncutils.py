"""Bridging sync and async code.

A sync flow may call an async task (it runs to completion), and task runners
run submitted async tasks concurrently on one background event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["BackgroundLoop", "in_running_loop", "run_coro_sync"]

R = TypeVar("R")


def in_running_loop() -> bool:
    """Whether this thread is currently running an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_coro_sync(coro: Coroutine[Any, Any, R]) -> R:
    """Run ``coro`` to completion from sync code and return its result.

    With no loop running in this thread, ``asyncio.run`` is used. When a loop is
    running (sync code called from async code), the coroutine runs on a fresh
    loop in a helper thread, with this thread's context, so it cannot deadlock.
    """
    if not in_running_loop():
        return asyncio.run(coro)
    ctx = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(
        1, thread_name_prefix="headwater-sync-bridge"
    ) as pool:
        return pool.submit(ctx.run, asyncio.run, coro).result()


class BackgroundLoop:
    """An event loop on a daemon thread, started on first use.

    Async tasks submitted to a thread-pool task runner run here, so many of them
    run concurrently.
    """

    def __init__(self, name: str = "headwater-async") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: set[concurrent.futures.Future[Any]] = set()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def submit(
        self, coro: Coroutine[Any, Any, R], context: contextvars.Context | None = None
    ) -> concurrent.futures.Future[R]:
        """Schedule ``coro`` on the loop; a concurrent future of its result."""
        loop = self._start()
        out: concurrent.futures.Future[R] = concurrent.futures.Future()

        def start() -> None:
            task = loop.create_task(coro, context=context)

            def done(t: asyncio.Task[R]) -> None:
                if t.cancelled():
                    out.cancel()
                elif (exc := t.exception()) is not None:
                    out.set_exception(exc)
                else:
                    out.set_result(t.result())

            task.add_done_callback(done)

        with self._lock:
            self._pending.add(out)
        out.add_done_callback(self._forget)
        loop.call_soon_threadsafe(start)
        return out

    def _forget(self, fut: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._pending.discard(fut)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every coroutine submitted so far has finished."""
        with self._lock:
            pending = list(self._pending)
        if pending:
            concurrent.futures.wait(pending, timeout=timeout)

    def close(self) -> None:
        """Stop the loop and join its thread (pending work is abandoned)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
