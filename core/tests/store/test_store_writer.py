"""The background writer: volume, ordering, error reporting, heartbeats."""

from __future__ import annotations

import time

import pytest
from store_factories import flow_run, log, state, task_run

from headwater._store import Store, get_store, reset_store
from headwater.errors import StoreError


def test_ten_thousand_task_runs_with_three_states_each(store_url: str) -> None:
    store = get_store()
    fr = flow_run()
    store.create_flow_run(fr)
    ids = []
    for i in range(10_000):
        tr = task_run(fr.id, dynamic_key=str(i))
        ids.append(tr.id)
        store.create_task_run(tr)
        store.set_state("task", tr.id, state(tr.id, "PENDING"))
        store.set_state("task", tr.id, state(tr.id, "RUNNING"), start_time=1.0, run_count=1)
        store.set_state("task", tr.id, state(tr.id, "COMPLETED"), end_time=2.0)
    store.flush(timeout=120)

    assert store.count_task_runs(flow_run_id=fr.id) == 10_000
    runs = store.read_task_runs(flow_run_id=fr.id)
    assert [r.id for r in runs] == ids
    assert {(r.state_type, r.start_time, r.end_time, r.run_count) for r in runs} == {
        ("COMPLETED", 1.0, 2.0, 1)
    }
    # every state is in the history, in order
    for run_id in (ids[0], ids[4321], ids[-1]):
        assert [s.type for s in store.read_states(run_id)] == ["PENDING", "RUNNING", "COMPLETED"]
    db = store._db  # type: ignore[attr-defined]
    assert db.fetchone("SELECT COUNT(*) FROM states WHERE run_kind = 'task'")[0] == 30_000


def test_flush_raises_chained_store_error_then_keeps_working(store_url: str) -> None:
    store = get_store()
    dup = flow_run()
    store.create_flow_run(dup)
    store.flush()
    good_before = flow_run()
    store.create_flow_run(good_before)
    store.create_flow_run(flow_run(id=dup.id))  # primary key violation
    good_after = flow_run()
    store.create_flow_run(good_after)
    with pytest.raises(StoreError, match="buffered write") as info:
        store.flush()
    cause = info.value.__cause__
    assert cause is not None
    assert not isinstance(cause, StoreError)
    assert "unique" in str(cause).lower() or "duplicate" in str(cause).lower()
    # only the bad op was lost; its neighbours in the same batch were kept
    assert store.read_flow_run(good_before.id).id == good_before.id
    assert store.read_flow_run(good_after.id).id == good_after.id
    # the error is reported once; later writes work and flush cleanly
    later = flow_run()
    store.create_flow_run(later)
    store.flush()
    assert store.read_flow_run(later.id).id == later.id


def test_reads_see_this_process_writes_without_flush_and_keep_errors_for_flush(
    store_url: str,
) -> None:
    store = get_store()
    fr = flow_run()
    store.create_flow_run(fr)
    store.create_flow_run(flow_run(id=fr.id))  # fails in the writer
    assert store.read_flow_run(fr.id).id == fr.id  # no explicit flush needed to read
    with pytest.raises(StoreError):
        store.flush()


def test_close_flushes_and_writes_after_close_fail(store_url: str) -> None:
    store = get_store()
    fr = flow_run()
    store.create_flow_run(fr)
    store.write_logs([log(fr.id, None, 20, "last words")])
    reset_store()  # close without an explicit flush
    with pytest.raises(StoreError, match="closed"):
        store.create_flow_run(flow_run())
    store.close()  # idempotent
    fresh = get_store()
    assert fresh is not store
    assert [m.message for m in fresh.read_logs(flow_run_id=fr.id)] == ["last words"]


def test_flush_timeout_raises(store_url: str) -> None:
    store = get_store()
    db = store._writer.db  # type: ignore[attr-defined]
    with db.lock:  # the writer cannot apply anything while we hold its connection
        store.create_flow_run(flow_run())
        with pytest.raises(StoreError, match=r"within 0\.3 s"):
            store.flush(timeout=0.3)
    store.flush(timeout=30)


def test_writer_heartbeats_running_flows_until_final(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "0.1")
    monkeypatch.setenv("HEADWATER_CRASH_AFTER_SECONDS", "5")
    reset_settings()
    reset_store()
    store: Store = get_store()
    fr = flow_run()
    store.create_flow_run(fr)
    store.set_state("flow", fr.id, state(fr.id, "RUNNING", kind="flow"))
    first = store.read_flow_run(fr.id).heartbeat
    assert first is not None
    deadline = time.monotonic() + 10
    while store.read_flow_run(fr.id).heartbeat == first:
        assert time.monotonic() < deadline, "the writer never heartbeated the running flow"
        time.sleep(0.05)
    store.set_state("flow", fr.id, state(fr.id, "COMPLETED", kind="flow"))
    store.flush()
    assert store._writer.running_flows == {}  # type: ignore[attr-defined]
    final = store.read_flow_run(fr.id).heartbeat
    time.sleep(0.35)
    assert store.read_flow_run(fr.id).heartbeat == final


def test_enqueue_accepts_str_enum_state_types(store_url: str) -> None:
    from headwater.states import StateType

    store = get_store()
    tr = task_run(None)
    store.create_task_run(tr)
    s = state(tr.id, "RUNNING")
    s.type = StateType.RUNNING  # type: ignore[assignment]
    store.set_state("task", tr.id, s)
    assert store.read_task_run(tr.id).state_type == "RUNNING"
    assert store.read_states(tr.id)[0].type == "RUNNING"
