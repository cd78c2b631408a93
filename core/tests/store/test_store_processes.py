"""Several processes on one database; crashed processes; fork."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest
from store_factories import flow_run, run_python, start_python, state, task_run

from headwater._store import get_store, reset_store
from headwater._store.schema import LATEST_VERSION
from headwater.settings import reset_settings

_WRITER = textwrap.dedent(
    """
    import sys, time, uuid
    from headwater._store import get_store, FlowRunRecord, TaskRunRecord, StateRecord, LogRecord
    sys.stdin.readline()  # start together
    store = get_store()
    for f in range(20):
        fid = uuid.uuid4().hex
        store.create_flow_run(FlowRunRecord(id=fid, flow_name="multi", name=f"r{f}", created=time.time()))
        store.set_state("flow", fid, StateRecord(uuid.uuid4().hex, fid, "flow", "RUNNING", "Running", time.time()))
        for t in range(50):
            tid = uuid.uuid4().hex
            store.create_task_run(TaskRunRecord(tid, fid, "k", str(t), "t", time.time()))
            store.set_state("task", tid, StateRecord(uuid.uuid4().hex, tid, "task", "COMPLETED", "Completed", time.time()))
            store.write_logs([LogRecord(fid, tid, 20, "x", "hello", time.time())])
        store.set_state("flow", fid, StateRecord(uuid.uuid4().hex, fid, "flow", "COMPLETED", "Completed", time.time()))
        if f % 5 == 0:
            store.flush()
            store.read_flow_runs(limit=5)  # reads interleaved with the other writers
    print("done", flush=True)
    """
)


def test_four_processes_write_one_sqlite_file_without_loss_or_lock_errors(
    headwater_home: Path,
) -> None:
    db_file = headwater_home / "shared" / "headwater.db"
    os.environ["HEADWATER_DATABASE_URL"] = f"sqlite:///{db_file}"  # restored by the autouse fixture
    procs = [start_python(_WRITER) for _ in range(4)]
    for proc in procs:  # all open the fresh database at once, then write at once
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err.lower(), err
        assert "busy" not in err.lower(), err
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    reset_settings()
    store = get_store()
    assert store.count_flow_runs() == 80
    assert store.count_task_runs() == 80 * 50
    assert len(store.read_logs()) == 80 * 50
    assert {r.state_type for r in store.read_flow_runs(limit=None)} == {"COMPLETED"}
    db = store._db  # type: ignore[attr-defined]
    assert db.fetchone("SELECT COUNT(*) FROM states")[0] == 80 * 2 + 80 * 50
    assert db.fetchone("SELECT COUNT(*) FROM schema_migrations")[0] == LATEST_VERSION


_RUN_THEN_DIE = textwrap.dedent(
    """
    import os, signal, sys, time
    from headwater._store import get_store, FlowRunRecord, TaskRunRecord, StateRecord
    fid, tid = sys.argv[1], sys.argv[2]
    store = get_store()
    store.create_flow_run(FlowRunRecord(id=fid, flow_name="doomed", name="d", created=time.time()))
    store.set_state("flow", fid, StateRecord("s1" + fid, fid, "flow", "RUNNING", "Running", time.time()), start_time=time.time())
    store.create_task_run(TaskRunRecord(tid, fid, "k", "0", "t", time.time()))
    store.set_state("task", tid, StateRecord("s2" + fid, tid, "task", "RUNNING", "Running", time.time()))
    store.flush()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _run_and_sigkill(fid: str, tid: str) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _RUN_THEN_DIE, fid, tid],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr


def test_sigkilled_process_leaves_a_crashed_run(store_url: str) -> None:
    fid, tid = "a" * 32, "b" * 32
    _run_and_sigkill(fid, tid)
    store = get_store()
    run = store.read_flow_run(fid)
    assert run.state_type == "CRASHED"
    assert run.state_message is not None
    assert "is gone" in run.state_message
    assert str(run.pid) in run.state_message
    assert [s.type for s in store.read_states(fid)] == ["RUNNING", "CRASHED"]
    task = store.read_task_run(tid)
    assert task.state_type == "CRASHED"
    assert [s.type for s in store.read_states(tid)] == ["RUNNING", "CRASHED"]
    assert store.mark_crashed_runs() == []  # already marked: nothing to do twice


def test_stale_heartbeat_marks_crashed(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("HEADWATER_CRASH_AFTER_SECONDS", "1")
    reset_settings()
    reset_store()
    store = get_store()
    now = time.time()
    # runs claimed on another host: their pid cannot be checked, only their heartbeat
    silent = flow_run(
        state_type="RUNNING",
        state_name="Running",
        pid=4242,
        hostname="elsewhere",
        heartbeat=now - 5,
    )
    never_beat = flow_run(
        state_type="RUNNING",
        state_name="Running",
        pid=4243,
        hostname="elsewhere",
        start_time=now - 5,
    )
    alive = flow_run(
        state_type="RUNNING",
        state_name="Running",
        pid=4244,
        hostname="elsewhere",
        heartbeat=now + 60,
    )
    for run in (silent, never_beat, alive):
        store.create_flow_run(run)
    waiting = task_run(silent.id, state_type="PENDING", state_name="Pending")
    done = task_run(silent.id, state_type="COMPLETED", state_name="Completed")
    store.create_task_run(waiting)
    store.create_task_run(done)

    assert sorted(store.mark_crashed_runs()) == sorted([silent.id, never_beat.id])
    run = store.read_flow_run(silent.id)
    assert run.state_type == "CRASHED"
    assert run.state_message is not None
    assert run.state_message.startswith("no heartbeat for 5 s")
    assert store.read_task_run(waiting.id).state_type == "CRASHED"
    assert store.read_task_run(done.id).state_type == "COMPLETED"
    assert store.read_flow_run(alive.id).state_type == "RUNNING"


def test_this_process_running_flows_are_never_crashed(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("HEADWATER_CRASH_AFTER_SECONDS", "0.5")
    reset_settings()
    reset_store()
    store = get_store()
    run = flow_run()
    store.create_flow_run(run)
    store.set_state("flow", run.id, state(run.id, "RUNNING", kind="flow"), start_time=0.0)
    time.sleep(0.7)
    assert store.mark_crashed_runs() == []
    assert store.read_flow_run(run.id).state_type == "RUNNING"


def test_forked_child_gets_its_own_store(store_url: str) -> None:
    parent = get_store()
    parent.create_flow_run(flow_run(id="c" * 32))
    parent.flush()
    pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's connections or writer
        code = 1
        try:
            child = get_store()
            if child is not parent and child.read_flow_run("c" * 32).id == "c" * 32:
                child.create_flow_run(flow_run(id="d" * 32))
                child.flush()
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the parent's store still works after the child used the database
    assert parent.read_flow_run("d" * 32).id == "d" * 32
    parent.create_flow_run(flow_run())
    parent.flush()


def test_exit_flushes_buffered_writes(store_url: str) -> None:
    proc = run_python(
        textwrap.dedent(
            """
            import time
            from headwater._store import get_store, LogRecord
            get_store().write_logs([LogRecord(None, None, 20, "x", "bye", time.time())])
            """
        )
    )
    assert proc.returncode == 0, proc.stderr
    assert [m.message for m in get_store().read_logs()] == ["bye"]
