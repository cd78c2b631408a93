"""Timeouts that interrupt a running function promptly.

Async functions use :func:`asyncio.timeout`. A sync function cannot be
cancelled from outside, so a watchdog thread raises an exception *inside* the
running thread when the deadline passes (``PyThreadState_SetAsyncExc``). That
exception is delivered the next time the thread runs Python bytecode; to also
break a blocking call such as ``time.sleep`` on the main thread the watchdog
then sends ``SIGALRM`` (or a spare signal when SIGALRM is taken) to it, whose (Python-level, no-op) handler gives the
interpreter the chance to deliver the pending exception at once.
"""

from __future__ import annotations

import asyncio
import ctypes
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from headwater.errors import RunTimeoutError

__all__ = ["run_async_with_timeout", "run_sync_with_timeout", "timeout_message"]

R = TypeVar("R")

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.restype = ctypes.c_int

_alarm_lock = threading.Lock()
_alarm_users = 0
_alarm_signal: int | None = None
_alarm_previous: Any = None


def _wake_signals() -> list[int]:
    """Signals that can wake the main thread: SIGALRM, else a spare real-time signal or SIGUSR2."""
    out: list[int] = [int(signal.SIGALRM)]
    rtmin = getattr(signal, "SIGRTMIN", None)
    if rtmin is not None:
        out.append(int(rtmin) + 3)
    out.append(int(signal.SIGUSR2))
    return out


class _Interrupt(BaseException):
    """Base of the per-deadline exceptions the watchdog raises in the running thread.

    A ``BaseException`` so user code's ``except Exception`` does not swallow it.
    """


def timeout_message(kind: str, seconds: float) -> str:
    """``"Task run exceeded timeout of 1.5 second(s)"``."""
    shown = int(seconds) if float(seconds).is_integer() else seconds
    return f"{kind} run exceeded timeout of {shown} second(s)"


def _noop_handler(signum: int, frame: object) -> None:
    """Runs Python code on the main thread so a pending async exception is raised."""


def _install_alarm() -> int | None:
    """The signal to wake the main thread with (installing our handler), or ``None``."""
    global _alarm_users, _alarm_previous, _alarm_signal
    with _alarm_lock:
        if _alarm_users == 0:
            for signum in _wake_signals():
                try:
                    current = signal.getsignal(signum)
                except ValueError:
                    continue
                if current in (signal.SIG_DFL, signal.SIG_IGN, None):
                    _alarm_previous = current
                    signal.signal(signum, _noop_handler)
                    _alarm_signal = signum
                    break
            else:
                return None  # every wake signal is taken: rely on the async exception alone
        _alarm_users += 1
        return _alarm_signal


def _uninstall_alarm() -> None:
    global _alarm_users, _alarm_signal
    with _alarm_lock:
        _alarm_users -= 1
        if _alarm_users == 0 and _alarm_signal is not None:
            signal.signal(_alarm_signal, _alarm_previous or signal.SIG_DFL)
            _alarm_signal = None


def run_sync_with_timeout(
    fn: Callable[..., R],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    seconds: float,
    *,
    kind: str,
) -> R:
    """Call ``fn(*args, **kwargs)``; raise :class:`RunTimeoutError` if it runs past ``seconds``."""
    interrupt: type[_Interrupt] = type("_DeadlinePassed", (_Interrupt,), {})
    target = threading.get_ident()
    on_main = threading.current_thread() is threading.main_thread()
    alarm = _install_alarm() if on_main else None
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if state["done"]:
                return
            state["fired"] = True
            _set_async_exc(ctypes.c_ulong(target), ctypes.py_object(interrupt))
        if alarm is not None:
            try:
                signal.pthread_kill(target, alarm)
            except (OSError, ValueError):  # pragma: no cover - thread already gone
                pass

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    try:
        timer.start()
        try:
            result = fn(*args, **kwargs)
        finally:
            with lock:
                state["done"] = True
                timer.cancel()
                if state["fired"]:
                    # Clear a pending interrupt that has not been delivered yet.
                    _set_async_exc(ctypes.c_ulong(target), None)
        return result
    except interrupt:
        raise RunTimeoutError(timeout_message(kind, seconds)) from None
    finally:
        if alarm is not None:
            _uninstall_alarm()


async def run_async_with_timeout(awaitable: Awaitable[R], seconds: float, *, kind: str) -> R:
    """Await ``awaitable``; raise :class:`RunTimeoutError` if it runs past ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError as exc:
        if isinstance(exc, RunTimeoutError):
            raise
        raise RunTimeoutError(timeout_message(kind, seconds)) from None
