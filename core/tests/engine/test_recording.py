"""What the store holds after runs."""

from __future__ import annotations

import pytest

from headwater import flow, task
from headwater._store import get_store


@task
def noop(i: int) -> int:
    return i


def test_ten_thousand_tasks_in_one_flow_are_all_recorded() -> None:
    @flow
    def many() -> int:
        return sum(noop(i) for i in range(10_000))

    assert many() == sum(range(10_000))
    store = get_store()
    (run,) = store.read_flow_runs()
    assert store.count_task_runs(flow_run_id=run.id) == 10_000
    runs = store.read_task_runs(flow_run_id=run.id, state_types=["COMPLETED"], limit=None)
    assert len(runs) == 10_000
    assert len({r.dynamic_key for r in runs}) == 10_000
    assert len({r.task_key for r in runs}) == 1


@pytest.mark.usefixtures("store_url")
def test_flow_and_task_records_on_each_store() -> None:
    @task(tags=["t"])
    def add(x: int, y: int) -> int:
        return x + y

    @flow(tags=["etl"], version="7")
    def f(a: int) -> int:
        first = add.submit(a, 1)
        return add(first, 2)

    assert f(1) == 4
    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.flow_name == "f"
    assert run.parameters == {"a": 1}
    assert run.tags == ["etl"]
    assert run.flow_version == "7"
    assert run.pid
    assert run.hostname
    assert run.entrypoint
    assert run.state_type == "COMPLETED"
    assert run.run_count == 1
    trs = store.read_task_runs(flow_run_id=run.id)
    assert [t.name for t in trs] == ["add-0", "add-1"]
    assert trs[1].task_inputs == {"x": [trs[0].id]}
    assert all(t.tags == ["t"] for t in trs)
    assert [s.name for s in store.read_states(trs[1].id)] == ["Pending", "Running", "Completed"]
    logs = store.read_logs(flow_run_id=run.id)
    assert any("Finished in state Completed()" in line.message for line in logs)


def test_submitted_and_mapped_runs_all_recorded() -> None:
    @flow
    def f() -> None:
        futures = [noop.submit(i) for i in range(200)]
        mapped = noop.map(range(300))
        for fu in [*futures, *mapped]:
            fu.wait()

    f()
    assert get_store().count_task_runs() == 500


def test_progress_line_counts_task_runs() -> None:
    from headwater.context import FlowRunContext, get_run_context

    @task
    def maybe(i: int) -> int:
        if i == 0:
            raise ValueError("zero")
        return i

    @flow
    def f() -> tuple[int, int, int]:
        ctx = get_run_context()
        assert isinstance(ctx, FlowRunContext)
        progress = ctx.extra["progress"]
        for i in range(3):
            maybe(i, return_state=True)
        maybe.map(range(1, 3)).wait()
        return progress.started, progress.completed, progress.failed

    assert f() == (5, 4, 1)


def test_task_lines_in_run_logs_at_debug_level() -> None:
    from headwater.settings import temporary_settings

    @flow
    def f() -> int:
        return noop(1)

    with temporary_settings(logging_level="DEBUG"):
        f()
    store = get_store()
    (tr,) = store.read_task_runs()
    messages = [line.message for line in store.read_logs(task_run_id=tr.id)]
    assert "Created task run 'noop-0' for task 'noop'" in messages
    assert "Finished in state Completed()" in messages


def test_failed_task_line_logged_at_default_level() -> None:
    @task
    def bad() -> None:
        raise ValueError("nope")

    @flow
    def f() -> None:
        bad(return_state=True)

    f()
    store = get_store()
    (tr,) = store.read_task_runs()
    messages = [line.message for line in store.read_logs(task_run_id=tr.id)]
    assert (
        "Finished in state Failed('Task run encountered an exception ValueError: nope')" in messages
    )


def test_flow_run_ids_have_distinct_short_prefixes_and_task_run_ids_are_time_ordered() -> None:
    from headwater import flow, task
    from headwater._store import get_store

    @task
    def noop(i: int) -> int:
        return i

    @flow
    def quick() -> None:
        for i in range(20):
            noop(i)

    for _ in range(20):
        quick()
    store = get_store()
    runs = store.read_flow_runs(flow_name="quick")
    assert len({r.id[:8] for r in runs}) == len(runs) == 20
    # time-ordered to the millisecond: the first 12 hex digits never go backwards
    millis = [t.id[:12] for t in store.read_task_runs(flow_run_id=runs[0].id)]
    assert millis == sorted(millis)
