"""Task runners: thread pool (default), process pool, lookup by name."""

from __future__ import annotations

import os
import threading

import pytest

from headwater import flow, task
from headwater._store import get_store
from headwater.errors import ConfigurationError
from headwater.task_runners import (
    ProcessPoolTaskRunner,
    TaskRunner,
    ThreadPoolTaskRunner,
    get_task_runner,
)


@task
def where(x: int) -> tuple[int, str, int]:
    return os.getpid(), threading.current_thread().name, x * 2


def test_default_runner_is_threadpool_and_submits_to_threads() -> None:
    @flow
    def f() -> tuple[int, str, int]:
        return where.submit(2).result()

    assert isinstance(f.task_runner, ThreadPoolTaskRunner)
    pid, thread_name, value = f()
    assert pid == os.getpid()
    assert thread_name.startswith("headwater-task")
    assert value == 4


def test_direct_call_runs_in_callers_thread() -> None:
    @flow
    def f() -> str:
        return where(1)[1]

    assert f() == threading.current_thread().name


def test_lookup_by_name_class_and_instance() -> None:
    assert isinstance(get_task_runner("threadpool"), ThreadPoolTaskRunner)
    assert isinstance(get_task_runner("process"), ProcessPoolTaskRunner)
    assert isinstance(get_task_runner(ThreadPoolTaskRunner), ThreadPoolTaskRunner)
    runner = ThreadPoolTaskRunner(max_workers=2)
    assert get_task_runner(runner) is runner
    dup = runner.duplicate()
    assert dup is not runner
    assert dup.max_workers == 2
    with pytest.raises(ConfigurationError, match="dask"):
        get_task_runner("dask")
    with pytest.raises(ConfigurationError, match="max_workers"):
        ThreadPoolTaskRunner(max_workers=0)


def test_max_workers_limits_threads() -> None:
    import time

    active = []
    peak = []
    lock = threading.Lock()

    @task
    def busy(i: int) -> None:
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.05)
        with lock:
            active.pop()

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def f() -> None:
        busy.map(range(8)).wait()

    f()
    assert max(peak) <= 2


def test_custom_runner_implements_the_interface() -> None:
    from headwater.futures import HeadwaterFuture, ResolvedFuture
    from headwater.task_runners import create_task_call

    class InlineRunner(TaskRunner):
        submitted: list[str] = []

        def duplicate(self) -> InlineRunner:
            return InlineRunner()

        def submit(self, task, parameters, wait_for=None, dependencies=None) -> HeadwaterFuture:  # type: ignore[no-untyped-def]
            call = create_task_call(task, parameters, wait_for, dependencies)
            InlineRunner.submitted.append(call.task_run_id)
            return ResolvedFuture(call.task_run_id, call())

    @flow(task_runner=InlineRunner())
    def f() -> list[int]:
        mapped = where.map([2, 3]).result()
        return [where.submit(1).result()[2], mapped[0][2], mapped[1][2]]

    assert f() == [2, 4, 6]
    assert len(InlineRunner.submitted) == 3


@task
def cpu(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_process_pool_runs_tasks_in_other_processes_and_records_them() -> None:
    @flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def f() -> list[tuple[int, int]]:
        first = cpu.submit(3)
        return [first.result(), *cpu.map([1, 2]).result()]

    results = f()
    assert [r[1] for r in results] == [9, 1, 4]
    assert all(pid != os.getpid() for pid, _ in results)
    runs = get_store().read_task_runs()
    assert len(runs) == 3
    assert all(r.state_type == "COMPLETED" for r in runs)
    (fr,) = get_store().read_flow_runs()
    assert all(r.flow_run_id == fr.id for r in runs)


@task
def explode() -> None:
    raise ValueError("in a child process")


@task
def takes(x: int) -> int:
    return x + 1


def test_process_pool_failures_and_dependencies() -> None:
    @flow(task_runner="process")
    def f() -> tuple[object, int]:
        bad = explode.submit()
        a = takes.submit(1)
        b = takes.submit(a)
        return bad.result(raise_on_failure=False), b.result()

    err, value = f()
    assert isinstance(err, ValueError)
    assert "child process" in str(err)
    assert value == 3
    runs = {r.name: r for r in get_store().read_task_runs()}
    assert runs["takes-1"].task_inputs == {"x": [runs["takes-0"].id]}


class NamedRunner(ThreadPoolTaskRunner):
    """A runner found through the headwater.task_runners entry point group."""


def test_lookup_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md

    ep = md.EntryPoint(
        name="named", value=f"{__name__}:NamedRunner", group="headwater.task_runners"
    )
    real = md.entry_points

    def fake_entry_points(**kw: object) -> object:
        if kw.get("group") == "headwater.task_runners":
            return md.EntryPoints([ep])
        return real(**kw)  # type: ignore[arg-type]

    monkeypatch.setattr(md, "entry_points", fake_entry_points)
    runner = get_task_runner("named")
    assert type(runner) is NamedRunner

    @flow(task_runner="named")
    def f() -> int:
        return where.submit(3).result()[2]

    assert f() == 6
