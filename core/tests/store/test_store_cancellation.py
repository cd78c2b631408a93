"""Store.cancel_flow_run: one conditional transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from store_factories import flow_run, state, task_run

from headwater._store import Store, get_store
from headwater._store.processes import HOSTNAME
from headwater.errors import InvalidStateTransition, ObjectNotFound


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout)


def _record(store: Store, type_: str, **kw: object) -> str:
    run = flow_run(state_type=type_, state_name=type_.title(), **kw)
    store.create_flow_run(run)
    store.flush()
    return run.id


@pytest.mark.parametrize("type_", ["SCHEDULED", "PENDING", "PAUSED"])
def test_not_started_run_is_cancelled_at_once(store_url: str, type_: str) -> None:
    store = get_store()
    run_id = _record(store, type_)
    waiting = task_run(run_id)
    store.create_task_run(waiting)
    store.set_state("task", waiting.id, state(waiting.id, "PENDING"))
    assert store.cancel_flow_run(run_id[:8]) == "CANCELLED"  # a unique prefix is enough
    run = store.read_flow_run(run_id)
    assert (run.state_type, run.state_name) == ("CANCELLED", "Cancelled")
    assert run.state_message == "Flow run was cancelled"
    assert run.end_time is not None
    assert [s.type for s in store.read_states(run_id)] == ["CANCELLED"]
    assert store.read_task_run(waiting.id).state_type == "CANCELLED"
    assert store.read_flow_run_state_type(run_id) == "CANCELLED"


def test_running_run_of_a_live_process_becomes_cancelling_once(store_url: str) -> None:
    store = get_store()
    # the parent of this test process: alive, on this host, not this process
    run_id = _record(store, "RUNNING", pid=os.getppid(), hostname=HOSTNAME, heartbeat=time.time())
    running = task_run(run_id, state_type="RUNNING", state_name="Running")
    store.create_task_run(running)
    store.flush()
    assert store.cancel_flow_run(run_id) == "CANCELLING"
    assert store.read_flow_run_state_type(run_id) == "CANCELLING"
    assert store.cancel_flow_run(run_id) == "CANCELLING"  # asking again changes nothing
    assert [s.type for s in store.read_states(run_id)] == ["CANCELLING"]
    run = store.read_flow_run(run_id)
    assert run.state_name == "Cancelling"
    assert run.end_time is None
    # the running process finishes the job; its task run is left to it
    assert store.read_task_run(running.id).state_type == "RUNNING"


def test_running_run_of_this_process_becomes_cancelling(store_url: str) -> None:
    store = get_store()
    run_id = _record(store, "RUNNING", pid=os.getpid(), hostname=HOSTNAME, heartbeat=time.time())
    assert store.cancel_flow_run(run_id) == "CANCELLING"


def test_run_whose_process_is_gone_is_cancelled_directly(store_url: str) -> None:
    store = get_store()
    pid = _dead_pid()
    run_id = _record(store, "RUNNING", pid=pid, hostname=HOSTNAME, heartbeat=time.time())
    running = task_run(run_id, state_type="RUNNING", state_name="Running")
    done = task_run(run_id, state_type="COMPLETED", state_name="Completed")
    store.create_task_run(running)
    store.create_task_run(done)
    store.flush()
    assert store.cancel_flow_run(run_id) == "CANCELLED"
    run = store.read_flow_run(run_id)
    assert run.state_type == "CANCELLED"
    assert f"pid {pid}" in (run.state_message or "")
    assert "is gone" in (run.state_message or "")
    assert store.read_task_run(running.id).state_type == "CANCELLED"
    assert store.read_task_run(done.id).state_type == "COMPLETED"
    assert [s.type for s in store.read_states(running.id)] == ["CANCELLED"]


def test_cancelling_run_whose_process_died_is_cancelled_on_the_next_ask(store_url: str) -> None:
    store = get_store()
    run_id = _record(store, "CANCELLING", pid=_dead_pid(), hostname=HOSTNAME, heartbeat=time.time())
    assert store.cancel_flow_run(run_id) == "CANCELLED"
    assert store.read_flow_run(run_id).state_type == "CANCELLED"


def test_run_with_a_stale_heartbeat_is_cancelled_directly(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater._store import reset_store
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("HEADWATER_CRASH_AFTER_SECONDS", "1")
    reset_settings()
    reset_store()
    store = get_store()
    stale = _record(store, "RUNNING", pid=4242, hostname="elsewhere", heartbeat=time.time() - 5)
    fresh = _record(store, "RUNNING", pid=4243, hostname="elsewhere", heartbeat=time.time() + 60)
    assert store.cancel_flow_run(stale) == "CANCELLED"
    assert "no heartbeat" in (store.read_flow_run(stale).state_message or "")
    assert store.cancel_flow_run(fresh) == "CANCELLING"


@pytest.mark.parametrize("type_", ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"])
def test_final_run_is_refused_and_left_alone(store_url: str, type_: str) -> None:
    store = get_store()
    run_id = _record(store, type_, name="quiet-heron")
    with pytest.raises(InvalidStateTransition) as info:
        store.cancel_flow_run(run_id)
    message = str(info.value)
    assert "quiet-heron" in message
    assert run_id in message
    assert type_ in message
    assert store.read_flow_run(run_id).state_type == type_
    assert store.read_states(run_id) == []


def test_unknown_run(store_url: str) -> None:
    store = get_store()
    with pytest.raises(ObjectNotFound, match="no flow run"):
        store.cancel_flow_run("f" * 32)
    with pytest.raises(ObjectNotFound, match="no flow run"):
        store.read_flow_run_state_type("f" * 32)
