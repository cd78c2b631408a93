"""State-change hooks on flows and tasks."""

from __future__ import annotations

from typing import Any

import pytest

from headwater import flow, task


def test_task_hooks() -> None:
    events: list[tuple[str, Any, str]] = []

    def done(t: Any, run: Any, state: Any) -> None:
        events.append(("completion", t.name, state.name))

    def failed(t: Any, run: Any, state: Any) -> None:
        events.append(("failure", run.name, state.name))

    def broken_hook(t: Any, run: Any, state: Any) -> None:
        raise RuntimeError("hook bug must not change the outcome")

    @task(on_completion=[done, broken_hook], on_failure=[failed])
    def maybe(fail: bool) -> int:
        if fail:
            raise ValueError("x")
        return 1

    @flow
    def f() -> None:
        maybe(False)
        maybe(True, return_state=True)

    f()
    assert events == [("completion", "maybe", "Completed"), ("failure", "maybe-1", "Failed")]


def test_task_failure_hook_only_after_retries() -> None:
    events = []

    @task(retries=2, on_failure=[lambda t, r, s: events.append(r.run_count)])
    def bad() -> None:
        raise ValueError("x")

    @flow
    def f() -> None:
        bad(return_state=True)

    f()
    assert events == [3]


def test_flow_hooks_completion_failure_crashed() -> None:
    events: list[tuple[str, str]] = []

    def record(kind: str) -> Any:
        return lambda fl, run, state: events.append((kind, state.type.value))

    @flow(
        on_completion=[record("completion")],
        on_failure=[record("failure")],
        on_crashed=[record("crashed")],
    )
    def f(mode: str) -> None:
        if mode == "fail":
            raise ValueError("x")
        if mode == "crash":
            raise KeyboardInterrupt

    f("ok")
    f("fail", return_state=True)
    with pytest.raises(KeyboardInterrupt):
        f("crash")
    assert events == [("completion", "COMPLETED"), ("failure", "FAILED"), ("crashed", "CRASHED")]


def test_flow_hook_receives_flow_run_record() -> None:
    seen = []

    @flow(on_completion=[lambda fl, run, state: seen.append((fl.name, run.name, run.state_type))])
    def f() -> None:
        pass

    f()
    assert seen
    assert seen[0][0] == "f"
    assert seen[0][2] == "COMPLETED"


def test_async_hooks_are_awaited() -> None:
    events = []

    async def ahook(t: Any, r: Any, s: Any) -> None:
        events.append("async hook ran")

    @task(on_completion=[ahook])
    def t() -> None:
        pass

    @flow
    def f() -> None:
        t()

    f()
    assert events == ["async hook ran"]
