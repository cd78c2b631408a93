"""Cancelling a running flow run in this process (cancel requested through the store
from another thread, as ``headwater flow-run cancel`` does from another process)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from headwater import flow, task
from headwater._engine import cancellation
from headwater._store import get_store
from headwater.context import get_run_context
from headwater.errors import CancelledRun
from headwater.states import State


def _cancel_when(event: threading.Event, holder: dict[str, str]) -> threading.Thread:
    """A thread that cancels ``holder['id']`` through the store once ``event`` is set."""

    def cancel() -> None:
        assert event.wait(30)
        holder["result"] = get_store().cancel_flow_run(holder["id"])

    thread = threading.Thread(target=cancel, daemon=True)
    thread.start()
    return thread


def _wait_steps(seconds: float = 30) -> None:
    """Sleep in short steps (a long blocking call is interrupted too, but only on the main thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)


def test_cancel_ends_the_flow_cancelled_runs_on_cancellation_not_on_failure() -> None:
    ready = threading.Event()
    holder: dict[str, str] = {}
    called: list[str] = []
    hooks: list[tuple[str, Any]] = []

    @task
    def quick(i: int) -> int:
        called.append(f"quick-{i}")
        return i

    @task
    def slow() -> None:
        called.append("slow")
        holder["id"] = get_run_context().flow_run_id  # type: ignore[union-attr]
        ready.set()
        _wait_steps()

    @flow(
        on_cancellation=[lambda f, r, s: hooks.append(("cancel", r.state_type))],
        on_failure=[lambda f, r, s: hooks.append(("failure", s))],
    )
    def pipeline() -> None:
        quick(0)
        slow()
        quick(1)

    thread = _cancel_when(ready, holder)
    state: State = pipeline(return_state=True)
    thread.join(10)
    assert holder["result"] == "CANCELLING"
    assert state.is_cancelled()
    assert state.message == "Flow run was cancelled"
    with pytest.raises(CancelledRun):
        state.result()
    assert called == ["quick-0", "slow"]  # nothing after the cancel started
    assert hooks == [("cancel", "CANCELLED")]
    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.state_type == "CANCELLED"
    assert [s.type for s in store.read_states(run.id)][-2:] == ["CANCELLING", "CANCELLED"]
    tasks = {t.name: t.state_type for t in store.read_task_runs()}
    assert tasks == {"quick-0": "COMPLETED", "slow-0": "CANCELLED"}
    assert not cancellation.cancelling  # nothing left marked once the run is over


def test_the_flow_call_raises_cancelled_run_and_cleanup_tasks_are_not_started() -> None:
    ready = threading.Event()
    holder: dict[str, str] = {}
    called: list[str] = []

    @task
    def cleanup() -> None:
        called.append("cleanup")

    @flow
    def pipeline() -> None:
        holder["id"] = get_run_context().flow_run_id  # type: ignore[union-attr]
        ready.set()
        try:
            _wait_steps()
        finally:
            cleanup()  # a task run after the cancel: recorded Cancelled, never called

    _cancel_when(ready, holder)
    with pytest.raises(CancelledRun, match="was cancelled"):
        pipeline()
    assert called == []
    (cleanup_run,) = get_store().read_task_runs()
    assert cleanup_run.state_type == "CANCELLED"
    assert "not started" in (cleanup_run.state_message or "")


def test_child_flows_are_cancelled_with_their_parent() -> None:
    ready = threading.Event()
    holder: dict[str, str] = {}
    hooks: list[str] = []

    @flow(on_cancellation=[lambda f, r, s: hooks.append("child")])
    def child() -> None:
        ready.set()
        _wait_steps()

    @flow(on_cancellation=[lambda f, r, s: hooks.append("parent")])
    def parent() -> None:
        holder["id"] = get_run_context().flow_run_id  # type: ignore[union-attr]
        child()
        hooks.append("after child")  # never reached

    _cancel_when(ready, holder)
    state = parent(return_state=True)
    assert state.is_cancelled()
    assert hooks == ["child", "parent"]
    runs = {r.flow_name: r.state_type for r in get_store().read_flow_runs()}
    assert runs == {"parent": "CANCELLED", "child": "CANCELLED"}


def test_async_flow_is_cancelled() -> None:
    ready = threading.Event()
    holder: dict[str, str] = {}
    hooks: list[str] = []

    @task
    async def wait_long() -> None:
        holder["id"] = get_run_context().flow_run_id  # type: ignore[union-attr]
        ready.set()
        await asyncio.sleep(30)

    @flow(on_cancellation=[lambda f, r, s: hooks.append("cancelled")])
    async def pipeline() -> str:
        await wait_long()
        return "finished"

    _cancel_when(ready, holder)
    state = asyncio.run(pipeline(return_state=True))
    assert state.is_cancelled()
    assert hooks == ["cancelled"]
    (task_run,) = get_store().read_task_runs()
    assert task_run.state_type == "CANCELLED"


def test_a_flow_that_is_not_cancelled_is_untouched() -> None:
    @task
    def add(x: int) -> int:
        return x + 1

    @flow
    def pipeline() -> int:
        return add(1)

    assert pipeline() == 2
    assert get_store().read_flow_runs()[0].state_type == "COMPLETED"
