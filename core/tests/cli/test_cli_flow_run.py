"""``headwater flow-run ...`` against the real store."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater.cli import app
from headwater.errors import ObjectNotFound


def _json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -- ls ------------------------------------------------------------------------


def test_ls_lists_newest_first_with_short_ids(runner: CliRunner, seed: Seeder) -> None:
    first = seed.flow_run("calm-otter")
    second = seed.flow_run("brave-heron", final=("FAILED", "Failed"), duration=75)
    result = runner.invoke(app, ["flow-run", "ls"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert second.id[:8] in out
    assert first.id[:8] in out
    assert second.id not in out  # short ids only
    assert out.index("brave-heron") < out.index("calm-otter")
    assert "Failed" in out
    assert "Completed" in out
    assert "1m 15s" in out
    assert "2.50s" in out


def test_ls_json_is_parseable_and_complete(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("calm-otter", tags=["nightly"], parameters={"day": "mon"})
    data = _json(runner, "flow-run", "ls")
    assert isinstance(data, list)
    assert len(data) == 1
    (item,) = data
    assert item["id"] == run.id
    assert item["name"] == "calm-otter"
    assert item["flow_name"] == "etl"
    assert item["state_type"] == "COMPLETED"
    assert item["tags"] == ["nightly"]
    assert item["parameters"] == {"day": "mon"}
    assert item["duration_seconds"] == pytest.approx(2.5)


def test_ls_empty(runner: CliRunner) -> None:
    result = runner.invoke(app, ["flow-run", "ls"])
    assert result.exit_code == 0
    assert "No flow runs found" in result.stdout
    assert _json(runner, "flow-run", "ls") == []


def test_ls_filters_by_flow_name(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("a", flow_name="etl")
    seed.flow_run("b", flow_name="report")
    data = _json(runner, "flow-run", "ls", "--flow-name", "report")
    assert [r["name"] for r in data] == ["b"]


def test_ls_state_filter_by_type_is_case_insensitive_and_includes_named_states(
    runner: CliRunner, seed: Seeder
) -> None:
    seed.flow_run("ok")
    seed.flow_run("bad", final=("FAILED", "Failed"))
    seed.flow_run("slow", final=("FAILED", "TimedOut"))
    data = _json(runner, "flow-run", "ls", "--state", "failed")
    assert sorted(r["name"] for r in data) == ["bad", "slow"]


def test_ls_state_filter_by_name(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("bad", final=("FAILED", "Failed"))
    seed.flow_run("slow", final=("FAILED", "TimedOut"))
    data = _json(runner, "flow-run", "ls", "--state", "timedout")
    assert [r["name"] for r in data] == ["slow"]


def test_ls_repeated_state_means_any_of_them(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("ok")
    seed.flow_run("bad", final=("FAILED", "Failed"))
    seed.flow_run("slow", final=("FAILED", "TimedOut"))
    seed.flow_run("gone", final=("CRASHED", "Crashed"))
    data = _json(runner, "flow-run", "ls", "--state", "COMPLETED", "--state", "TimedOut")
    assert [r["name"] for r in data] == ["slow", "ok"]
    data = _json(runner, "flow-run", "ls", "--state", "crashed", "--state", "Failed")
    assert [r["name"] for r in data] == ["gone", "slow", "bad"]


def test_ls_tags_must_all_match(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("one", tags=["nightly"])
    seed.flow_run("both", tags=["nightly", "prod"])
    assert [r["name"] for r in _json(runner, "flow-run", "ls", "--tag", "nightly")] == [
        "both",
        "one",
    ]
    data = _json(runner, "flow-run", "ls", "--tag", "nightly", "--tag", "prod")
    assert [r["name"] for r in data] == ["both"]


def test_ls_limit(runner: CliRunner, seed: Seeder) -> None:
    for i in range(25):
        seed.flow_run(f"run-{i:02d}")
    assert len(_json(runner, "flow-run", "ls")) == 20
    data = _json(runner, "flow-run", "ls", "--limit", "3")
    assert [r["name"] for r in data] == ["run-24", "run-23", "run-22"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--state", "sleepy"], "--state"),
        (["--limit", "0"], "--limit"),
        (["--output", "yaml"], "--output"),
    ],
)
def test_ls_bad_option_values_are_usage_errors(
    runner: CliRunner, args: list[str], option: str
) -> None:
    result = runner.invoke(app, ["flow-run", "ls", *args])
    assert result.exit_code == 2
    assert option in result.stderr
    assert result.stdout == ""


# -- inspect -------------------------------------------------------------------


def test_inspect_json_has_fields_history_and_task_counts(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run(
        "calm-otter", final=("FAILED", "Failed"), message="boom", parameters={"n": 3}
    )
    a = seed.task_run(run, "extract")
    seed.task_run(run, "transform", upstream=[a])
    seed.task_run(run, "load", final=("FAILED", "Failed"))
    seed.task_run(run, "cached", final=("COMPLETED", "Cached"))
    data = _json(runner, "flow-run", "inspect", run.id[:6])
    assert isinstance(data, dict)
    assert data["id"] == run.id
    assert data["state_name"] == "Failed"
    assert data["state_message"] == "boom"
    assert data["parameters"] == {"n": 3}
    assert data["entrypoint"] == "pipeline.py:etl"
    assert [s["name"] for s in data["state_history"]] == ["Running", "Failed"]
    assert data["task_run_count"] == 4
    assert data["task_run_counts"] == {"Cached": 1, "Completed": 2, "Failed": 1}


def test_inspect_table(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run(
        "calm-otter", final=("FAILED", "TimedOut"), message="too slow", tags=["prod"]
    )
    seed.task_run(run, "extract")
    result = runner.invoke(app, ["flow-run", "inspect", run.id])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        run.id,
        "calm-otter",
        "TimedOut (FAILED)",
        "too slow",
        "prod",
        "State history",
        "Running",
        "Completed",
    ):
        assert expected in out


def test_inspect_unknown_id_is_one_clear_line(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("calm-otter")
    result = runner.invoke(app, ["flow-run", "inspect", "abc123"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["Error: flow run 'abc123' not found"]
    assert "Traceback" not in result.output


def test_inspect_short_prefix_is_refused(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("calm-otter")
    result = runner.invoke(app, ["flow-run", "inspect", run.id[:4]])
    assert result.exit_code == 1
    assert f"flow run '{run.id[:4]}' not found" in result.stderr
    assert "at least 6" in result.stderr


def test_inspect_ambiguous_prefix_fails_cleanly(runner: CliRunner, seed: Seeder) -> None:
    seed.flow_run("one", run_id="abcdef01" + "0" * 24)
    seed.flow_run("two", run_id="abcdef02" + "0" * 24)
    result = runner.invoke(app, ["flow-run", "inspect", "abcdef"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "abcdef" in result.stderr
    assert "Traceback" not in result.output
    ok = runner.invoke(app, ["flow-run", "inspect", "abcdef02", "-o", "json"])
    assert ok.exit_code == 0
    assert json.loads(ok.stdout)["name"] == "two"


# -- logs ----------------------------------------------------------------------


@pytest.fixture
def logged_run(seed: Seeder) -> tuple[str, str]:
    run = seed.flow_run("calm-otter")
    task = seed.task_run(run, "extract")
    seed.logs(
        run,
        [
            (logging.INFO, "flow started", None),
            (logging.DEBUG, "reading rows", task),
            (logging.WARNING, "slow source [bold]x[/bold]", task),
            (logging.ERROR, "flow failed", None),
        ],
    )
    return run.id, task.id


def test_logs_one_line_each_oldest_first(runner: CliRunner, logged_run: tuple[str, str]) -> None:
    run_id, _ = logged_run
    result = runner.invoke(app, ["flow-run", "logs", run_id[:8]])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    fields = [line.split(" | ") for line in lines]
    assert [f[1].strip() for f in fields] == ["INFO", "DEBUG", "WARNING", "ERROR"]
    assert [f[2] for f in fields] == ["calm-otter", "extract", "extract", "calm-otter"]
    assert fields[2][3] == "slow source [bold]x[/bold]"  # printed literally, no markup
    assert fields[0][0].startswith("2023-")


def test_logs_level_filter(runner: CliRunner, logged_run: tuple[str, str]) -> None:
    run_id, _ = logged_run
    data = _json(runner, "flow-run", "logs", run_id, "--level", "warning")
    assert [d["message"] for d in data] == ["slow source [bold]x[/bold]", "flow failed"]
    data = _json(runner, "flow-run", "logs", run_id, "--level", "40")
    assert [d["level_name"] for d in data] == ["ERROR"]


def test_logs_head_and_tail(runner: CliRunner, logged_run: tuple[str, str]) -> None:
    run_id, _ = logged_run
    head = _json(runner, "flow-run", "logs", run_id, "--limit", "2")
    assert [d["message"] for d in head] == ["flow started", "reading rows"]
    tail = _json(runner, "flow-run", "logs", run_id, "-n", "2", "--tail")
    assert [d["message"] for d in tail] == ["slow source [bold]x[/bold]", "flow failed"]


def test_logs_json_fields(runner: CliRunner, logged_run: tuple[str, str]) -> None:
    run_id, task_id = logged_run
    data = _json(runner, "flow-run", "logs", run_id)
    assert isinstance(data, list)
    assert data[1]["task_run_id"] == task_id
    assert data[1]["run_name"] == "extract"
    assert data[1]["level"] == logging.DEBUG
    assert data[1]["level_name"] == "DEBUG"
    assert data[0]["run_name"] == "calm-otter"


def test_logs_bad_level_is_usage_error(runner: CliRunner, logged_run: tuple[str, str]) -> None:
    result = runner.invoke(app, ["flow-run", "logs", logged_run[0], "--level", "loud"])
    assert result.exit_code == 2
    assert "--level" in result.stderr


def test_logs_unknown_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["flow-run", "logs", "deadbeef"])
    assert result.exit_code == 1
    assert "flow run 'deadbeef' not found" in result.stderr


# -- delete --------------------------------------------------------------------


def test_delete_with_yes_removes_run_tasks_and_logs(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("doomed")
    seed.task_run(run, "extract")
    seed.logs(run, [(logging.INFO, "hello", None)])
    keep = seed.flow_run("kept")
    result = runner.invoke(app, ["flow-run", "delete", run.id[:8], "--yes"])
    assert result.exit_code == 0, result.output
    assert run.id in result.stdout
    store = seed.store
    with pytest.raises(ObjectNotFound):
        store.read_flow_run(run.id)
    assert store.read_task_runs(flow_run_id=run.id) == []
    assert store.read_logs(flow_run_id=run.id) == []
    assert store.read_flow_run(keep.id).name == "kept"


def test_delete_asks_and_respects_no(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("precious")
    result = runner.invoke(app, ["flow-run", "delete", run.id], input="n\n")
    assert result.exit_code == 1
    assert "Delete flow run precious" in result.output
    assert seed.store.read_flow_run(run.id).name == "precious"
    result = runner.invoke(app, ["flow-run", "delete", run.id], input="y\n")
    assert result.exit_code == 0
    with pytest.raises(ObjectNotFound):
        seed.store.read_flow_run(run.id)


def test_delete_unknown_run(runner: CliRunner) -> None:
    result = runner.invoke(app, ["flow-run", "delete", "abc123", "--yes"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: flow run 'abc123' not found"


def test_names_are_printed_literally_not_as_markup(runner: CliRunner, seed: Seeder) -> None:
    run = seed.flow_run("[red]odd[/red] :smile:", flow_name="[b]flow[/b]")
    listed = runner.invoke(app, ["flow-run", "ls"]).stdout
    assert "[red]odd[/red] :smile:" in listed
    assert "[b]flow[/b]" in listed
    inspected = runner.invoke(app, ["flow-run", "inspect", run.id]).stdout
    assert "Flow run [red]odd[/red] :smile:" in inspected
