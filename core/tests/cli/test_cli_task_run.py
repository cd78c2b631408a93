"""``headwater task-run ls`` against the real store."""

from __future__ import annotations

import json

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater.cli import app


@pytest.fixture
def pipeline(seed: Seeder) -> dict[str, str]:
    run = seed.flow_run("calm-otter", final=("FAILED", "Failed"))
    extract = seed.task_run(run, "extract")
    clean = seed.task_run(run, "clean", final=("COMPLETED", "Cached"))
    transform = seed.task_run(run, "transform", upstream=[extract, clean], wait_for=[extract])
    seed.task_run(run, "load", upstream=[transform], final=("FAILED", "Failed"))
    other = seed.flow_run("other")
    seed.task_run(other, "elsewhere")
    return {"flow_run": run.id, "transform": transform.id}


def _names(runner: CliRunner, *args: str) -> list[str]:
    result = runner.invoke(app, ["task-run", "ls", *args, "-o", "json"])
    assert result.exit_code == 0, result.output
    return [r["name"] for r in json.loads(result.stdout)]


def test_ls_table_in_creation_order(runner: CliRunner, pipeline: dict[str, str]) -> None:
    result = runner.invoke(app, ["task-run", "ls", "--flow-run", pipeline["flow_run"][:6]])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert [n for n in ("extract", "clean", "transform", "load") if n in out] == [
        "extract",
        "clean",
        "transform",
        "load",
    ]
    assert out.index("extract") < out.index("clean") < out.index("transform") < out.index("load")
    assert "elsewhere" not in out
    assert pipeline["transform"] in out  # task run ids are shown whole: their prefixes repeat
    assert "Cached" in out
    assert "500ms" in out


def test_ls_json_counts_distinct_upstream_dependencies(
    runner: CliRunner, pipeline: dict[str, str]
) -> None:
    result = runner.invoke(
        app, ["task-run", "ls", "--flow-run", pipeline["flow_run"], "-o", "json"]
    )
    data = {r["name"]: r for r in json.loads(result.stdout)}
    assert data["extract"]["upstream_count"] == 0
    assert data["transform"]["upstream_count"] == 2  # extract (input + wait_for) and clean
    assert data["load"]["upstream_count"] == 1
    assert data["transform"]["id"] == pipeline["transform"]
    assert data["transform"]["flow_run_id"] == pipeline["flow_run"]
    assert data["transform"]["duration_seconds"] == pytest.approx(0.5)


def test_ls_state_filters(runner: CliRunner, pipeline: dict[str, str]) -> None:
    fr = pipeline["flow_run"]
    assert _names(runner, "--flow-run", fr, "--state", "failed") == ["load"]
    assert _names(runner, "--flow-run", fr, "--state", "completed") == [
        "extract",
        "clean",
        "transform",
    ]
    assert _names(runner, "--flow-run", fr, "--state", "CACHED") == ["clean"]
    assert _names(runner, "--flow-run", fr, "--state", "cached", "--state", "FAILED") == [
        "clean",
        "load",
    ]


def test_ls_limit(runner: CliRunner, pipeline: dict[str, str]) -> None:
    assert _names(runner, "--flow-run", pipeline["flow_run"], "--limit", "2") == [
        "extract",
        "clean",
    ]
    assert _names(
        runner, "--flow-run", pipeline["flow_run"], "--limit", "1", "--state", "cached"
    ) == ["clean"]


def test_ls_needs_flow_run_option(runner: CliRunner) -> None:
    result = runner.invoke(app, ["task-run", "ls"])
    assert result.exit_code == 2
    assert "--flow-run" in result.stderr


def test_ls_unknown_flow_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["task-run", "ls", "--flow-run", "abc123"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: flow run 'abc123' not found"


def test_ls_no_task_runs(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("empty")
    result = runner.invoke(app, ["task-run", "ls", "--flow-run", run.id])
    assert result.exit_code == 0
    assert "No task runs found" in result.stdout
