"""Every Store method round-trips on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pytest
from store_factories import flow_run, log, new_id, state, task_run

from headwater._store import Store, get_store
from headwater.errors import ObjectNotFound


@pytest.fixture
def store(store_url: str) -> Store:
    return get_store()


def test_flow_run_round_trip(store: Store) -> None:
    run = flow_run(
        parameters={"n": 3, "names": ["a", "b"], "nested": {"x": None}},
        tags=["nightly", "etl"],
        parent_flow_run_id="p" * 32,
        parent_task_run_id="t" * 32,
        entrypoint="flows/etl.py:etl",
        flow_version="abc123",
    )
    store.create_flow_run(run)
    store.flush()
    assert store.read_flow_run(run.id) == run
    assert store.count_flow_runs() == 1


def test_task_run_round_trip_keeps_dependencies(store: Store) -> None:
    fr = flow_run()
    up1, up2, waited = new_id(), new_id(), new_id()
    tr = task_run(
        fr.id,
        tags=["io"],
        task_inputs={"x": [up1], "y": [up1, up2]},
        wait_for=[waited],
        dynamic_key="3",
    )
    store.create_flow_run(fr)
    store.create_task_run(tr)
    store.flush()
    assert store.read_task_run(tr.id) == tr
    assert store.read_task_runs(flow_run_id=fr.id) == [tr]
    assert store.count_task_runs(flow_run_id=fr.id) == 1
    assert store.count_task_runs(flow_run_id="nope") == 0
    with pytest.raises(ObjectNotFound, match="nope"):
        store.read_task_run("nope")


def test_set_state_updates_run_and_keeps_history_in_order(store: Store) -> None:
    fr = flow_run()
    tr = task_run(fr.id)
    store.create_flow_run(fr)
    store.create_task_run(tr)
    history = [
        state(tr.id, "PENDING"),
        state(tr.id, "RUNNING"),
        state(tr.id, "SCHEDULED", "AwaitingRetry", message="retry 1"),
        state(tr.id, "RUNNING", "Retrying"),
        state(tr.id, "COMPLETED", cache_key="ck1", result_key="rk1"),
    ]
    store.set_state("task", tr.id, history[0])
    store.set_state("task", tr.id, history[1], start_time=100.0, run_count=1)
    store.set_state("task", tr.id, history[2])
    store.set_state("task", tr.id, history[3], run_count=2)
    store.set_state("task", tr.id, history[4], end_time=200.0)
    store.set_state(
        "flow", fr.id, state(fr.id, "RUNNING", kind="flow"), start_time=99.0, run_count=1
    )
    store.set_state(
        "flow", fr.id, state(fr.id, "FAILED", kind="flow", message="boom"), end_time=201.0
    )

    got = store.read_task_run(tr.id)
    assert (got.state_type, got.state_name) == ("COMPLETED", "Completed")
    assert (got.start_time, got.end_time, got.run_count) == (100.0, 200.0, 2)
    assert (got.cache_key, got.result_key) == ("ck1", "rk1")
    assert store.read_states(tr.id) == history

    frun = store.read_flow_run(fr.id)
    assert (frun.state_type, frun.state_message, frun.start_time, frun.end_time) == (
        "FAILED",
        "boom",
        99.0,
        201.0,
    )
    assert [s.type for s in store.read_states(fr.id)] == ["RUNNING", "FAILED"]


def test_running_flow_state_claims_the_run_for_this_process(store: Store) -> None:
    import os
    import socket

    fr = flow_run()
    store.create_flow_run(fr)
    store.set_state("flow", fr.id, state(fr.id, "RUNNING", kind="flow"))
    got = store.read_flow_run(fr.id)
    assert got.pid == os.getpid()
    assert got.hostname == socket.gethostname()
    assert got.heartbeat is not None


def test_read_flow_runs_filters_newest_first(store: Store) -> None:
    a = flow_run(flow_name="etl", tags=["nightly", "prod"])
    b = flow_run(flow_name="etl", tags=["nightly"])
    c = flow_run(flow_name="report", tags=["prod"], parent_flow_run_id=a.id)
    for run in (a, b, c):
        store.create_flow_run(run)
    store.set_state("flow", b.id, state(b.id, "COMPLETED", kind="flow"))
    store.set_state("flow", c.id, state(c.id, "FAILED", "TimedOut", kind="flow"))

    def ids(**kw: object) -> list[str]:
        return [r.id for r in store.read_flow_runs(**kw)]  # type: ignore[arg-type]

    assert ids() == [c.id, b.id, a.id]
    assert ids(flow_name="etl") == [b.id, a.id]
    assert ids(state_types=["COMPLETED", "FAILED"]) == [c.id, b.id]
    assert ids(state_names=["TimedOut"]) == [c.id]
    assert ids(tags=["nightly"]) == [b.id, a.id]
    assert ids(tags=["nightly", "prod"]) == [a.id]
    assert ids(tags=["prod", "missing"]) == []
    assert ids(parent_flow_run_id=a.id) == [c.id]
    assert ids(limit=2) == [c.id, b.id]
    assert ids(limit=2, offset=1) == [b.id, a.id]
    assert ids(limit=None, offset=2) == [a.id]


def test_read_task_runs_creation_order_and_filters(store: Store) -> None:
    fr = flow_run()
    store.create_flow_run(fr)
    created = 1000.0  # identical timestamps: insertion order must still hold
    runs = [task_run(fr.id, dynamic_key=str(i), created=created) for i in range(5)]
    for r in runs:
        store.create_task_run(r)
    other = task_run(None)
    store.create_task_run(other)
    store.set_state("task", runs[1].id, state(runs[1].id, "FAILED"))
    assert [r.id for r in store.read_task_runs(flow_run_id=fr.id)] == [r.id for r in runs]
    assert [r.id for r in store.read_task_runs(flow_run_id=fr.id, limit=2, offset=1)] == [
        runs[1].id,
        runs[2].id,
    ]
    assert [r.id for r in store.read_task_runs(state_types=["FAILED"])] == [runs[1].id]
    assert store.count_task_runs() == 6


def test_logs_filter_by_run_and_level(store: Store) -> None:
    fr = flow_run()
    tr = task_run(fr.id)
    store.create_flow_run(fr)
    store.create_task_run(tr)
    flow_debug = log(fr.id, None, 10, "flow debug")
    task_info = log(None, tr.id, 20, "task info")  # logged without flow id: still the flow's
    task_error = log(fr.id, tr.id, 40, "task error")
    unrelated = log(None, None, 50, "elsewhere")
    store.write_logs([flow_debug, task_info])
    store.write_logs([task_error, unrelated])
    store.write_logs([])
    assert store.read_logs(flow_run_id=fr.id) == [flow_debug, task_info, task_error]
    assert store.read_logs(flow_run_id=fr.id, min_level=20) == [task_info, task_error]
    assert store.read_logs(task_run_id=tr.id) == [task_info, task_error]
    assert store.read_logs(min_level=40) == [task_error, unrelated]
    assert store.read_logs(limit=2, offset=1) == [task_info, task_error]


def test_read_flow_run_by_unique_prefix(store: Store) -> None:
    a = flow_run(id="abcdef" + "0" * 26)
    b = flow_run(id="abcdef" + "1" * 26)
    c = flow_run(id="123456" + "0" * 26)
    for run in (a, b, c):
        store.create_flow_run(run)
    assert store.read_flow_run("1234560").id == c.id
    assert store.read_flow_run("abcdef1").id == b.id
    with pytest.raises(ObjectNotFound, match=r"'abcdef'.*ambiguous"):
        store.read_flow_run("abcdef")
    with pytest.raises(ObjectNotFound, match=r"'12345'.*at least 6"):
        store.read_flow_run("12345")  # too short to be a prefix
    with pytest.raises(ObjectNotFound, match="'ffffff'"):
        store.read_flow_run("ffffff")


def test_delete_flow_run_removes_its_records(store: Store) -> None:
    keep, gone = flow_run(), flow_run(tags=["x"])
    child = flow_run(parent_flow_run_id=gone.id)
    for run in (keep, gone, child):
        store.create_flow_run(run)
    keep_task, gone_task = task_run(keep.id), task_run(gone.id)
    store.create_task_run(keep_task)
    store.create_task_run(gone_task)
    for run_id, kind in (
        (keep.id, "flow"),
        (gone.id, "flow"),
        (keep_task.id, "task"),
        (gone_task.id, "task"),
    ):
        store.set_state(kind, run_id, state(run_id, "COMPLETED", kind=kind))  # type: ignore[arg-type]
    store.write_logs(
        [log(keep.id, keep_task.id, 20, "keep"), log(gone.id, gone_task.id, 20, "gone")]
    )

    store.delete_flow_run(gone.id)

    with pytest.raises(ObjectNotFound):
        store.read_flow_run(gone.id)
    assert store.read_states(gone.id) == []
    assert store.read_states(gone_task.id) == []
    assert store.count_task_runs(flow_run_id=gone.id) == 0
    assert store.read_logs(flow_run_id=gone.id) == []
    assert store.read_flow_runs(tags=["x"]) == []
    # the rest is untouched; the child's link to its deleted parent is harmless
    assert store.read_flow_run(child.id).parent_flow_run_id == gone.id
    assert [m.message for m in store.read_logs()] == ["keep"]
    assert len(store.read_states(keep_task.id)) == 1
    with pytest.raises(ObjectNotFound, match=gone.id):
        store.delete_flow_run(gone.id)


def test_heartbeat_updates_runs(store: Store) -> None:
    fr = flow_run()
    store.create_flow_run(fr)
    before = time.time()
    store.heartbeat([fr.id])
    hb = store.read_flow_run(fr.id).heartbeat
    assert hb is not None
    assert hb >= before - 1
