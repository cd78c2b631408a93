"""``headwater flow-run retry``: resolves the run, calls the engine, maps the state to an exit code.

Most tests replace the engine's ``retry_flow_run`` with a recorder: what they
test is the command's contract with it (full id in, final state out). The last
test retries a real failed flow run through the real engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater.cli import app
from headwater.states import Completed, Failed, State


@pytest.fixture
def engine_retry(monkeypatch: pytest.MonkeyPatch) -> Callable[[State | Exception], list[str]]:
    """Install a recording ``retry_flow_run`` that returns the given state."""

    def install(state: State | Exception) -> list[str]:
        calls: list[str] = []

        def retry_flow_run(flow_run_id: str) -> State:
            calls.append(flow_run_id)
            if isinstance(state, Exception):
                raise state
            return state

        try:
            import headwater._flow_retry as module
        except ImportError:
            module = types.ModuleType("headwater._flow_retry")
            monkeypatch.setitem(sys.modules, "headwater._flow_retry", module)
        monkeypatch.setattr(module, "retry_flow_run", retry_flow_run, raising=False)
        return calls

    return install


def test_retry_completed_exits_zero(
    runner: CliRunner, seed: Seeder, engine_retry: Callable[[State | Exception], list[str]]
) -> None:
    run = seed.flow_run("flaky", final=("FAILED", "Failed"))
    calls = engine_retry(Completed())
    result = runner.invoke(app, ["flow-run", "retry", run.id[:8]])
    assert result.exit_code == 0, result.output
    assert calls == [run.id]  # the prefix was resolved to the full id
    assert "flaky" in result.stdout
    assert "Completed" in result.stdout


def test_retry_failed_exits_one(
    runner: CliRunner, seed: Seeder, engine_retry: Callable[[State | Exception], list[str]]
) -> None:
    run = seed.flow_run("flaky", final=("FAILED", "Failed"))
    engine_retry(Failed(message="still broken"))
    result = runner.invoke(app, ["flow-run", "retry", run.id, "-o", "json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "id": run.id,
        "name": "flaky",
        "state_type": "FAILED",
        "state_name": "Failed",
        "message": "still broken",
    }


def test_retry_unknown_run_does_not_call_engine(
    runner: CliRunner, seed: Seeder, engine_retry: Callable[[State | Exception], list[str]]
) -> None:
    calls = engine_retry(Completed())
    result = runner.invoke(app, ["flow-run", "retry", "abc123"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: flow run 'abc123' not found"
    assert calls == []


def test_retry_that_cannot_start_is_one_line(
    runner: CliRunner, seed: Seeder, engine_retry: Callable[[State | Exception], list[str]]
) -> None:
    run = seed.flow_run("flaky", final=("FAILED", "Failed"))
    engine_retry(FileNotFoundError("pipeline.py"))
    result = runner.invoke(app, ["flow-run", "retry", run.id])
    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert (
        line
        == f"Error: could not retry flow run flaky ({run.id[:8]}): FileNotFoundError: pipeline.py"
    )


FLAKY_SCRIPT = """
from pathlib import Path

from headwater import flow

MARKER = Path(__file__).with_name("fixed")


@flow(name="flaky-script")
def flaky(rows: int = 2) -> int:
    if not MARKER.exists():
        raise RuntimeError("source not ready")
    return rows


if __name__ == "__main__":
    state = flaky(rows=5, return_state=True)
    print(state.type.value)
"""


def test_retry_with_the_real_engine(runner: CliRunner, tmp_path: Path) -> None:
    script = tmp_path / "flaky_pipeline.py"
    script.write_text(FLAKY_SCRIPT)
    first = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert first.stdout.strip() == "FAILED", first.stderr

    (run,) = json.loads(runner.invoke(app, ["flow-run", "ls", "-o", "json"]).stdout)
    assert run["state_type"] == "FAILED"
    assert run["parameters"] == {"rows": 5}

    still_broken = runner.invoke(app, ["flow-run", "retry", run["id"][:8]])
    assert still_broken.exit_code == 1
    assert "Failed" in still_broken.stdout

    (tmp_path / "fixed").touch()
    fixed = runner.invoke(app, ["flow-run", "retry", run["id"][:8]])
    assert fixed.exit_code == 0, fixed.output
    assert "Completed" in fixed.stdout

    detail = json.loads(runner.invoke(app, ["flow-run", "inspect", run["id"], "-o", "json"]).stdout)
    assert detail["state_type"] == "COMPLETED"
    assert detail["run_count"] == 3

    refused = runner.invoke(app, ["flow-run", "retry", run["id"]])
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "Completed" in refused.stderr
