"""SIGTERM during a top-level flow: Crashed recorded, store flushed, exit status 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from headwater._store import get_store


@pytest.mark.parametrize("how", ["direct", "submit"])
def test_sigterm_marks_flow_and_task_crashed_and_exits_143(
    how: str, tmp_path: Path, headwater_home: Path
) -> None:
    started = tmp_path / "started"
    script = tmp_path / "long.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            from pathlib import Path
            from headwater import flow, task

            @task
            def quick(i: int) -> int:
                return i

            @task
            def slow() -> None:
                Path({str(started)!r}).touch()
                time.sleep(60)

            @flow
            def long_flow() -> None:
                for i in range(3):
                    quick(i)
                if {how!r} == "direct":
                    slow()
                else:
                    slow.submit().result()

            long_flow()
            """
        )
    )
    env = {**os.environ, "HEADWATER_HOME": str(headwater_home)}
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the flow never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143
    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.state_type == "CRASHED"
    assert "SIGTERM" in (run.state_message or "")
    runs = {r.name: r for r in store.read_task_runs()}
    assert len(runs) == 4  # every record made before the signal was flushed
    assert runs["slow-0"].state_type == "CRASHED"
    assert all(runs[f"quick-{i}"].state_type == "COMPLETED" for i in range(3))
