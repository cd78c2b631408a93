"""The main commands end to end on SQLite and on PostgreSQL (``store_url``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from cli_support import Seeder
from typer.testing import CliRunner

from headwater import _store
from headwater.cli import app


def _json(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, [*args, "-o", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_commands_on_each_store(runner: CliRunner, store_url: str) -> None:
    seed = Seeder(_store.get_store())
    ok = seed.flow_run("ok", tags=["nightly", "prod"])
    slow = seed.flow_run("slow", final=("FAILED", "TimedOut"), tags=["nightly"])
    seed.flow_run("bad", flow_name="report", final=("FAILED", "Failed"))
    extract = seed.task_run(slow, "extract")
    seed.task_run(slow, "load", upstream=[extract], final=("FAILED", "Failed"))
    seed.logs(slow, [(logging.INFO, "start", None), (logging.ERROR, "too slow", extract)])

    assert [r["name"] for r in _json(runner, "flow-run", "ls")] == ["bad", "slow", "ok"]
    names = [r["name"] for r in _json(runner, "flow-run", "ls", "--state", "failed")]
    assert names == ["bad", "slow"]
    names = [
        r["name"]
        for r in _json(runner, "flow-run", "ls", "--state", "timedout", "--state", "completed")
    ]
    assert names == ["slow", "ok"]
    assert [
        r["name"] for r in _json(runner, "flow-run", "ls", "--tag", "nightly", "--tag", "prod")
    ] == ["ok"]
    assert [r["name"] for r in _json(runner, "flow-run", "ls", "--flow-name", "report")] == ["bad"]

    detail = _json(runner, "flow-run", "inspect", slow.id[:6])
    assert detail["id"] == slow.id
    assert detail["task_run_counts"] == {"Completed": 1, "Failed": 1}

    tasks = _json(runner, "task-run", "ls", "--flow-run", slow.id[:7])
    assert [(t["name"], t["upstream_count"]) for t in tasks] == [("extract", 0), ("load", 1)]

    logs = _json(runner, "flow-run", "logs", slow.id, "--level", "error")
    assert [(entry["run_name"], entry["message"]) for entry in logs] == [("extract", "too slow")]

    assert runner.invoke(app, ["flow-run", "delete", ok.id, "--yes"]).exit_code == 0
    missing = runner.invoke(app, ["flow-run", "inspect", ok.id])
    assert missing.exit_code == 1
    assert f"flow run '{ok.id}' not found" in missing.stderr

    assert runner.invoke(app, ["concurrency-limit", "create", "db", "3"]).exit_code == 0
    assert [(r["tag"], r["limit"]) for r in _json(runner, "concurrency-limit", "ls")] == [("db", 3)]
    assert runner.invoke(app, ["concurrency-limit", "delete", "db"]).exit_code == 0
    assert _json(runner, "concurrency-limit", "ls") == []
