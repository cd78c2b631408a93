"""``headwater flow-run cancel``: a real flow in another process is stopped through the CLI."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

from cli_support import Seeder
from typer.testing import CliRunner

from headwater._store import FlowRunRecord, get_store
from headwater._store.processes import HOSTNAME
from headwater.cli import app

_FLOW = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from headwater import flow, task

    out = Path(sys.argv[1])

    @task
    def step(i: int) -> int:
        if i == 2:
            print("READY", flush=True)
        for _ in range(1500):  # 30 s in short steps
            time.sleep(0.02)
        (out / f"done-{i}").touch()
        return i

    @flow
    def stage() -> None:
        for i in range(2, 5):
            step(i)

    def on_cancel(flow, run, state):
        (out / "cancel-hook").write_text(run.state_type)

    def on_failure(flow, run, state):
        (out / "failure-hook").touch()

    @flow(on_cancellation=[on_cancel], on_failure=[on_failure])
    def pipeline() -> None:
        step(0)
        step(1)
        stage()

    pipeline()
    """
)


def _readline(stream: object, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()  # type: ignore[attr-defined]
    return lines.get(timeout=timeout)


def test_cancel_stops_a_running_flow_in_another_process(
    runner: CliRunner, tmp_path: Path, headwater_home: Path
) -> None:
    script = tmp_path / "pipeline.py"
    # steps 0 and 1 finish quickly; step 2 (in the child flow) takes 30 s unless cancelled
    script.write_text(
        _FLOW.replace("for _ in range(1500):", "for _ in range(1500 if i >= 2 else 5):")
    )
    proc = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        env={**os.environ, "HEADWATER_HOME": str(headwater_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _readline(proc.stdout, 60).strip() == "READY"
        store = get_store()
        deadline = time.monotonic() + 30
        while not (runs := store.read_flow_runs(flow_name="pipeline")):
            assert time.monotonic() < deadline, "the flow run was never recorded"
            time.sleep(0.05)
        run_id = runs[0].id
        result = runner.invoke(app, ["flow-run", "cancel", run_id[:8]])
        assert result.exit_code == 0, result.output
        assert "Cancelling" in result.stdout
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode != 0
    assert "CancelledRun" in stderr
    run = store.read_flow_run(run_id)
    assert (run.state_type, run.state_message) == ("CANCELLED", "Flow run was cancelled")
    (child,) = store.read_flow_runs(flow_name="stage")
    assert child.state_type == "CANCELLED"
    assert (tmp_path / "cancel-hook").read_text() == "CANCELLED"
    assert not (tmp_path / "failure-hook").exists()
    parent_tasks = [t.state_type for t in store.read_task_runs(flow_run_id=run_id)]
    assert parent_tasks == ["COMPLETED", "COMPLETED"]
    child_tasks = [t.state_type for t in store.read_task_runs(flow_run_id=child.id)]
    assert child_tasks == ["CANCELLED"]  # step 2 was interrupted; 3 and 4 never started
    assert not (tmp_path / "done-2").exists()
    assert not (tmp_path / "done-3").exists()  # tasks after the cancel never started
    # a finished run cannot be cancelled again
    again = runner.invoke(app, ["flow-run", "cancel", run_id])
    assert again.exit_code == 1
    assert "cannot be cancelled" in again.stderr
    assert "Cancelled" in again.stderr


def _record(run_id: str, type_: str, **kw: object) -> None:
    """A run recorded as another process would have left it (a Running state set by this
    process would claim the run for this process)."""
    store = get_store()
    store.create_flow_run(
        FlowRunRecord(
            id=run_id,
            flow_name="etl",
            name="idle-crane",
            created=time.time(),
            state_type=type_,
            state_name=type_.title(),
            **kw,  # type: ignore[arg-type]
        )
    )
    store.flush()


def test_cancel_a_pending_run_is_immediate(runner: CliRunner) -> None:
    run_id = uuid.uuid4().hex
    _record(run_id, "PENDING")
    result = runner.invoke(app, ["flow-run", "cancel", run_id])
    assert result.exit_code == 0, result.output
    assert f"Flow run idle-crane ({run_id[:8]}) is now Cancelled" in result.stdout
    assert get_store().read_flow_run(run_id).state_type == "CANCELLED"


def test_cancel_a_run_whose_process_is_gone(runner: CliRunner) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run_id = uuid.uuid4().hex
    _record(run_id, "RUNNING", pid=proc.pid, hostname=HOSTNAME, heartbeat=time.time())
    result = runner.invoke(app, ["flow-run", "cancel", run_id])
    assert result.exit_code == 0, result.output
    assert "is now Cancelled" in result.stdout
    run = get_store().read_flow_run(run_id)
    assert run.state_type == "CANCELLED"  # not Crashed: cancelling it was asked for
    assert "is gone" in (run.state_message or "")


def test_cancel_a_finished_run_fails(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("calm-otter")
    result = runner.invoke(app, ["flow-run", "cancel", run.id[:8]])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: flow run 'calm-otter' ({run.id}) cannot be cancelled: it already finished "
        "in state Completed (COMPLETED)"
    )
    assert get_store().read_flow_run(run.id).state_type == "COMPLETED"


def test_cancel_an_unknown_run_fails(runner: CliRunner) -> None:
    result = runner.invoke(app, ["flow-run", "cancel", "abc"])
    assert result.exit_code == 1
    assert "flow run 'abc' not found" in result.stderr
    assert "at least 6 characters" in result.stderr
