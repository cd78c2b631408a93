"""Flows called inside flows are child runs."""

from __future__ import annotations

import asyncio

from headwater import flow, task
from headwater._store import get_store


@task
def inc(x: int) -> int:
    return x + 1


@flow
def child(x: int) -> int:
    return inc(x)


def test_child_flow_is_recorded_with_parent() -> None:
    @flow
    def parent() -> int:
        return child(1) + child(10)

    assert parent() == 13
    store = get_store()
    runs = store.read_flow_runs()
    (top,) = [r for r in runs if r.parent_flow_run_id is None]
    children = store.read_flow_runs(parent_flow_run_id=top.id)
    assert len(children) == 2
    assert all(c.flow_name == "child" and c.state_type == "COMPLETED" for c in children)
    for c in children:
        (tr,) = store.read_task_runs(flow_run_id=c.id)
        assert tr.name == "inc-0"  # task runs belong to the child run


def test_child_failure_propagates_and_parent_can_catch_state() -> None:
    @flow
    def bad_child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> str:
        state = bad_child(return_state=True)
        return state.type.value

    assert parent() == "FAILED"


def test_async_child_in_async_parent_and_in_sync_parent() -> None:
    @flow
    async def achild(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    @flow
    async def aparent() -> int:
        return await achild(2)

    @flow
    def sparent() -> int:
        return achild(3)  # type: ignore[return-value]

    assert asyncio.run(aparent()) == 6
    assert sparent() == 9
    runs = get_store().read_flow_runs(flow_name="achild")
    assert len(runs) == 2
    assert all(r.parent_flow_run_id for r in runs)


def test_child_flow_inherits_log_prints_and_persist_result() -> None:
    @task
    def work() -> int:
        return 5

    @flow
    def kid() -> int:
        return work()

    @flow(persist_result=True)
    def parent() -> int:
        return kid()

    assert parent() == 5
    (tr,) = get_store().read_task_runs()
    assert tr.result_key  # persisted because the parent asked for it
