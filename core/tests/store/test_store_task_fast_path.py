"""The stores' fast path for task runs (begin_task_run / end_task_run) writes the
same rows as create_task_run + set_state, in every batch arrangement (the HTTP
store sends the same ops to the server, which applies them the same way)."""

from __future__ import annotations

from typing import Any

from store_factories import flow_run, new_id, state, tick

from headwater._store import get_store
from headwater._store.http import HttpStore
from headwater._store.sql import SqlStore


def _begin(
    store: SqlStore | HttpStore, fr_id: str, *, running: bool = True, **kw: Any
) -> tuple[str, float]:
    run_id = new_id()
    created = tick()
    start = tick() if running else None
    store.begin_task_run(
        run_id,
        fr_id,
        "mod.work",
        kw.get("dynamic_key", "0"),
        "work-0",
        created,
        kw.get("tags_json", "[]"),
        kw.get("task_inputs"),
        kw.get("wait_for"),
        new_id(),
        new_id() if running else None,
        start,
    )
    return run_id, created


def _end(
    store: SqlStore | HttpStore,
    run_id: str,
    type_: str = "COMPLETED",
    name: str = "Completed",
    **kw: Any,
) -> float:
    ts = tick()
    store.end_task_run(
        run_id,
        new_id(),
        type_,
        name,
        ts,
        kw.get("message"),
        kw.get("result_key"),
        kw.get("cache_key"),
        kw.get("run_count", 1),
    )
    return ts


def _store_with_flow_run() -> tuple[SqlStore | HttpStore, str]:
    store = get_store()
    assert isinstance(store, SqlStore | HttpStore)
    fr = flow_run()
    store.create_flow_run(fr)
    return store, fr.id


def test_begin_and_end_in_one_batch_write_the_run_and_three_states(store_url: str) -> None:
    store, fr_id = _store_with_flow_run()
    run_id, created = _begin(store, fr_id)
    end = _end(store, run_id)
    run = store.read_task_run(run_id)
    assert (run.state_type, run.state_name, run.run_count, run.end_time) == (
        "COMPLETED",
        "Completed",
        1,
        end,
    )
    assert run.created == created
    assert run.start_time is not None
    assert (run.tags, run.task_inputs, run.wait_for) == ([], {}, [])
    states = store.read_states(run_id)
    assert [(s.type, s.name, s.run_kind) for s in states] == [
        ("PENDING", "Pending", "task"),
        ("RUNNING", "Running", "task"),
        ("COMPLETED", "Completed", "task"),
    ]
    assert states[0].timestamp == created
    assert states[1].timestamp == run.start_time
    assert len({s.id for s in states}) == 3


def test_end_in_a_later_batch_updates_the_run(store_url: str) -> None:
    store, fr_id = _store_with_flow_run()
    run_id, _ = _begin(store, fr_id, tags_json='["a","b"]', task_inputs={"x": ["up"]})
    store.flush()
    assert store.read_task_run(run_id).state_type == "RUNNING"
    _end(store, run_id, "FAILED", "Failed", message="boom", run_count=1)
    run = store.read_task_run(run_id)
    assert (run.state_type, run.state_message, run.tags, run.task_inputs) == (
        "FAILED",
        "boom",
        ["a", "b"],
        {"x": ["up"]},
    )
    assert [s.type for s in store.read_states(run_id)] == ["PENDING", "RUNNING", "FAILED"]
    assert store.read_states(run_id)[-1].message == "boom"


def test_states_set_between_begin_and_end_keep_their_order(store_url: str) -> None:
    store, fr_id = _store_with_flow_run()
    run_id, _ = _begin(store, fr_id)
    store.set_state("task", run_id, state(run_id, "SCHEDULED", name="AwaitingRetry"))
    store.set_state("task", run_id, state(run_id, "RUNNING", name="Retrying"), run_count=2)
    _end(store, run_id, cache_key="k", result_key="r", run_count=2)
    run = store.read_task_run(run_id)
    assert (run.state_type, run.run_count, run.cache_key, run.result_key) == (
        "COMPLETED",
        2,
        "k",
        "r",
    )
    assert [s.name for s in store.read_states(run_id)] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]


def test_pending_only_begin_then_generic_states(store_url: str) -> None:
    store, fr_id = _store_with_flow_run()
    run_id, _ = _begin(store, fr_id, running=False, wait_for=["w1"])
    store.flush()
    run = store.read_task_run(run_id)
    assert (run.state_type, run.run_count, run.wait_for) == ("PENDING", 0, ["w1"])
    store.set_state("task", run_id, state(run_id, "RUNNING"), start_time=5.0, run_count=1)
    _end(store, run_id)
    run = store.read_task_run(run_id)
    assert (run.state_type, run.start_time, run.run_count) == ("COMPLETED", 5.0, 1)
    assert [s.type for s in store.read_states(run_id)] == ["PENDING", "RUNNING", "COMPLETED"]


def test_many_interleaved_runs_in_one_batch(store_url: str) -> None:
    store, fr_id = _store_with_flow_run()
    ids = [_begin(store, fr_id, dynamic_key=str(i))[0] for i in range(500)]
    for i, run_id in enumerate(ids):
        if i % 2:
            _end(store, run_id)
    store.flush()
    runs = {r.id: r for r in store.read_task_runs(flow_run_id=fr_id)}
    assert len(runs) == 500
    assert {runs[r].state_type for r in ids[1::2]} == {"COMPLETED"}
    assert {runs[r].state_type for r in ids[0::2]} == {"RUNNING"}
    assert [s.type for s in store.read_states(ids[1])] == ["PENDING", "RUNNING", "COMPLETED"]
    assert [s.type for s in store.read_states(ids[0])] == ["PENDING", "RUNNING"]
