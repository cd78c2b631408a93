"""Retries: AwaitingRetry -> Retrying, delays, retry_condition_fn, flow retries."""

from __future__ import annotations

import time

import pytest

from headwater import flow, task
from headwater._store import get_store


def test_task_retries_until_success_and_records_history() -> None:
    calls = []

    @task(retries=3)
    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ValueError("not yet")
        return "ok"

    @flow
    def f() -> str:
        return flaky()

    assert f() == "ok"
    (tr,) = get_store().read_task_runs()
    names = [s.name for s in get_store().read_states(tr.id)]
    assert names == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]
    assert tr.run_count == 3
    assert tr.state_type == "COMPLETED"


def test_task_fails_after_retries_are_used_up() -> None:
    calls = []

    @task(retries=2)
    def always() -> None:
        calls.append(1)
        raise OSError("down")

    @flow
    def f() -> None:
        always()

    with pytest.raises(OSError, match="down"):
        f()
    assert len(calls) == 3
    (tr,) = get_store().read_task_runs()
    assert tr.run_count == 3
    assert tr.state_type == "FAILED"


def test_retry_delay_is_waited() -> None:
    calls: list[float] = []

    @task(retries=1, retry_delay_seconds=0.3)
    def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ValueError("once")

    @flow
    def f() -> None:
        flaky()

    f()
    assert calls[1] - calls[0] >= 0.29


def test_retry_condition_fn_can_stop_retries() -> None:
    calls = []
    seen = []

    def only_value_errors(t: object, task_run: object, state: object) -> bool:
        seen.append((t, task_run, state))
        return isinstance(state.result(raise_on_failure=False), ValueError)  # type: ignore[attr-defined]

    @task(retries=5, retry_condition_fn=only_value_errors)
    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("retry me")
        raise TypeError("do not retry me")

    @flow
    def f() -> None:
        flaky()

    with pytest.raises(TypeError):
        f()
    assert len(calls) == 2
    assert seen[0][0] is flaky
    assert getattr(seen[0][1], "name", None) == "flaky-0"


def test_flow_retries_rerun_the_body() -> None:
    calls = []

    @flow(retries=2)
    def f() -> int:
        calls.append(1)
        if len(calls) < 2:
            raise RuntimeError("first time fails")
        return len(calls)

    assert f() == 2
    (run,) = get_store().read_flow_runs()
    assert run.run_count == 2
    assert run.state_type == "COMPLETED"
    names = [s.name for s in get_store().read_states(run.id)]
    assert names == ["Pending", "Running", "AwaitingRetry", "Retrying", "Completed"]


def test_retries_of_async_task() -> None:
    import asyncio

    calls = []

    @task(retries=1)
    async def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("x")
        return 7

    @flow
    async def f() -> int:
        return await flaky()

    assert asyncio.run(f()) == 7


def test_retry_on_transient_errors_retries_only_transient_failures() -> None:
    from headwater.errors import TransientError
    from headwater.retries import retry_on_transient_errors

    class Throttled(TransientError):
        pass

    calls = {"busy": 0, "wrapped": 0, "broken": 0}

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_on_transient_errors)
    def busy() -> str:
        calls["busy"] += 1
        if calls["busy"] < 3:
            raise Throttled("slow down")
        return "done"

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_on_transient_errors)
    def wrapped() -> str:
        calls["wrapped"] += 1
        if calls["wrapped"] < 2:
            try:
                raise Throttled("rate exceeded")
            except Throttled as exc:
                raise RuntimeError("the client gave up") from exc
        return "done"

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_on_transient_errors)
    def broken() -> None:
        calls["broken"] += 1
        raise ValueError("bad input is not transient")

    @flow
    def f() -> tuple[str, str, bool]:
        return busy(), wrapped(), broken(return_state=True).is_failed()

    assert f() == ("done", "done", True)
    assert calls == {"busy": 3, "wrapped": 2, "broken": 1}
