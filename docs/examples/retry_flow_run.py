"""Retrying a failed flow run with ``headwater flow-run retry``.

The first run fails after an expensive task has finished. Its result was
persisted, so when the run is retried (same run id, run count 2) the task is
read back as ``Cached`` and only the failed part runs again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from headwater import flow, task

# The retry runs in another process (the CLI); the environment tells it where the marker is.
MARKER = Path(
    os.environ.setdefault(
        "RETRY_EXAMPLE_MARKER", f"{tempfile.gettempdir()}/headwater-retry-example-{os.getpid()}"
    )
)


@task(persist_result=True)
def expensive(n: int) -> int:
    print(f"computing expensive({n})")
    return n * 100


@task
def publish(value: int) -> str:
    if not MARKER.exists():
        raise RuntimeError("the publishing target is not ready yet")
    return f"published {value}"


@flow(log_prints=True)
def report(n: int) -> str:
    return publish(expensive(n))


def headwater(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the headwater CLI in a subprocess, the way you would in a shell."""
    cmd = [sys.executable, "-m", "headwater.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


if __name__ == "__main__":
    MARKER.unlink(missing_ok=True)
    state = report(7, return_state=True)
    assert state.is_failed()
    run_id = state.flow_run_id
    assert run_id is not None

    MARKER.touch()  # fix the cause of the failure, then retry the same run
    try:
        retried = headwater("flow-run", "retry", run_id, "-o", "json")
    finally:
        MARKER.unlink(missing_ok=True)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    outcome = json.loads(retried.stdout)
    assert outcome["id"] == run_id
    assert outcome["state_name"] == "Completed"
    # expensive() was read back from its persisted result, not computed again
    # (`headwater task-run ls --flow-run ID` shows it as Cached).
    assert "computing expensive" not in retried.stderr, retried.stderr
    print(f"flow run {run_id} retried: {outcome['state_name']}")
