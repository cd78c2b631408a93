"""Futures inside collections, including the list that ``.map`` returns."""

from __future__ import annotations

import threading
import time

from headwater import flow, task
from headwater._store import get_store


@task
def square(x: int) -> int:
    return x * x


@task
def total(values: list[int]) -> int:
    return sum(values)


def test_the_list_map_returns_is_resolved_when_passed_to_a_task() -> None:
    @flow
    def f() -> int:
        return total(square.map([1, 2, 3]))

    assert f() == 14
    store = get_store()
    (run,) = store.read_flow_runs(flow_name="f")
    task_runs = {t.name: t for t in store.read_task_runs(flow_run_id=run.id)}
    squares = sorted(t.id for name, t in task_runs.items() if name.startswith("square"))
    assert sorted(task_runs["total-0"].task_inputs["values"]) == squares


def test_wait_for_accepts_the_list_map_returns() -> None:
    finished: list[int] = []
    lock = threading.Lock()

    @task
    def slow(i: int) -> int:
        time.sleep(0.05 * i)
        with lock:
            finished.append(i)
        return i

    @task
    def after() -> int:
        with lock:
            return len(finished)

    @flow
    def f() -> int:
        mapped = slow.map([1, 2, 3])
        return after(wait_for=[mapped])

    assert f() == 3
    store = get_store()
    (run,) = store.read_flow_runs(flow_name="f")
    after_run = next(t for t in store.read_task_runs(flow_run_id=run.id) if t.name == "after-0")
    assert len(after_run.wait_for) == 3
