"""Timeouts: sync and async, tasks and flows, interrupting promptly."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from headwater import flow, task
from headwater._store import get_store
from headwater.errors import RunTimeoutError


def test_sync_task_timeout_interrupts_a_sleep_on_the_main_thread() -> None:
    @task(timeout_seconds=0.3)
    def sleepy() -> None:
        time.sleep(10)

    @flow
    def f() -> None:
        sleepy()

    start = time.monotonic()
    with pytest.raises(RunTimeoutError) as info:
        f()
    assert isinstance(info.value, TimeoutError)
    assert time.monotonic() - start < 5
    (tr,) = get_store().read_task_runs()
    assert tr.state_name == "TimedOut"
    assert tr.state_type == "FAILED"
    assert tr.state_message == "Task run exceeded timeout of 0.3 second(s)"


def test_sync_task_timeout_in_a_worker_thread_interrupts_python_code() -> None:
    @task(timeout_seconds=0.3)
    def spin() -> None:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            pass

    @flow
    def f() -> object:
        return spin.submit().result(raise_on_failure=False)

    start = time.monotonic()
    result = f()
    assert isinstance(result, RunTimeoutError)
    assert time.monotonic() - start < 5


def test_timeout_not_hit_returns_value_and_leaves_no_pending_interrupt() -> None:
    @task(timeout_seconds=0.2)
    def quick() -> int:
        return 3

    @flow
    def f() -> int:
        total = quick()
        time.sleep(0.4)  # would be interrupted if the watchdog were left armed
        return total

    assert f() == 3


def test_async_task_timeout() -> None:
    @task(timeout_seconds=0.2)
    async def sleepy() -> None:
        await asyncio.sleep(10)

    @flow
    async def f() -> None:
        await sleepy()

    with pytest.raises(RunTimeoutError, match=r"exceeded timeout of 0\.2"):
        asyncio.run(f())
    (tr,) = get_store().read_task_runs()
    assert tr.state_name == "TimedOut"


def test_flow_timeout_sync_and_async() -> None:
    @flow(timeout_seconds=0.3)
    def slow() -> None:
        time.sleep(10)

    state = slow(return_state=True)
    assert state.name == "TimedOut"
    assert state.message == "Flow run exceeded timeout of 0.3 second(s)"

    @flow(timeout_seconds=0.2)
    async def aslow() -> None:
        await asyncio.sleep(10)

    with pytest.raises(RunTimeoutError):
        asyncio.run(aslow())


def test_timeout_off_main_thread_flow() -> None:
    out: list[object] = []

    @task(timeout_seconds=0.2)
    def spin() -> None:
        while True:
            time.sleep(0.01)

    @flow
    def f() -> None:
        spin()

    def run() -> None:
        out.append(f(return_state=True))

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert out
    assert out[0].is_failed()
