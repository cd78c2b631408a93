"""The CLI over runs recorded by the real engine (a flow with a failing task)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from headwater import flow, get_run_logger, task
from headwater.cli import app


@task
def load_rows(n: int) -> list[int]:
    return list(range(n))


@task
def publish(rows: list[int]) -> None:
    raise RuntimeError(f"cannot publish {len(rows)} rows")


@flow(name="cli-demo")
def cli_demo(n: int = 3) -> None:
    get_run_logger().info("loading %s rows", n)
    publish(load_rows(n))


def test_cli_reads_what_the_engine_recorded(runner: CliRunner) -> None:
    state = cli_demo(return_state=True)
    assert state.is_failed()

    runs = json.loads(
        runner.invoke(app, ["flow-run", "ls", "--state", "failed", "-o", "json"]).stdout
    )
    assert [(r["flow_name"], r["parameters"]) for r in runs] == [("cli-demo", {"n": 3})]
    run_id = runs[0]["id"]

    tasks = json.loads(
        runner.invoke(app, ["task-run", "ls", "--flow-run", run_id, "-o", "json"]).stdout
    )
    assert [t["state_type"] for t in tasks] == ["COMPLETED", "FAILED"]

    detail = json.loads(
        runner.invoke(app, ["flow-run", "inspect", run_id[:8], "-o", "json"]).stdout
    )
    assert detail["state_type"] == "FAILED"
    assert [s["type"] for s in detail["state_history"]][-1] == "FAILED"
    assert detail["task_run_count"] == 2

    logs = runner.invoke(app, ["flow-run", "logs", run_id[:8]])
    assert logs.exit_code == 0
    assert "loading 3 rows" in logs.stdout
