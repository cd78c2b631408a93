"""``headwater concurrency-limit ...`` against the real store."""

from __future__ import annotations

import json

from cli_support import Seeder
from typer.testing import CliRunner

from headwater.cli import app


def test_create_ls_inspect_delete(runner: CliRunner, seed: Seeder) -> None:
    result = runner.invoke(app, ["concurrency-limit", "create", "db", "2"])
    assert result.exit_code == 0, result.output
    assert "'db'" in result.stdout
    assert "2" in result.stdout
    assert seed.store.read_concurrency_limit("db").limit == 2

    runner.invoke(app, ["concurrency-limit", "create", "api", "5"])
    listed = runner.invoke(app, ["concurrency-limit", "ls"])
    assert listed.exit_code == 0
    assert listed.stdout.index("api") < listed.stdout.index("db")

    assert seed.store.try_acquire_concurrency_slots(["db"], "holder-0001")
    data = json.loads(
        runner.invoke(app, ["concurrency-limit", "inspect", "db", "-o", "json"]).stdout
    )
    assert data["tag"] == "db"
    assert data["limit"] == 2
    assert data["active_slots"] == ["holder-0001"]
    assert data["active_count"] == 1
    table = runner.invoke(app, ["concurrency-limit", "inspect", "db"]).stdout
    assert "1 of 2" in table
    assert "holder-0" in table

    deleted = runner.invoke(app, ["concurrency-limit", "delete", "db"])
    assert deleted.exit_code == 0
    remaining = json.loads(runner.invoke(app, ["concurrency-limit", "ls", "-o", "json"]).stdout)
    assert [r["tag"] for r in remaining] == ["api"]


def test_create_again_updates_the_limit(runner: CliRunner, seed: Seeder) -> None:
    runner.invoke(app, ["concurrency-limit", "create", "db", "2"])
    result = runner.invoke(app, ["concurrency-limit", "create", "db", "0", "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["limit"] == 0
    assert [r.limit for r in seed.store.read_concurrency_limits()] == [0]


def test_ls_empty(runner: CliRunner) -> None:
    result = runner.invoke(app, ["concurrency-limit", "ls"])
    assert result.exit_code == 0
    assert "No concurrency limits" in result.stdout
    assert json.loads(runner.invoke(app, ["concurrency-limit", "ls", "-o", "json"]).stdout) == []


def test_unknown_tag(runner: CliRunner) -> None:
    for command in ("inspect", "delete"):
        result = runner.invoke(app, ["concurrency-limit", command, "nope"])
        assert result.exit_code == 1
        assert result.stderr.strip() == "Error: concurrency limit 'nope' not found"


def test_negative_or_non_numeric_limit_is_usage_error(runner: CliRunner, seed: Seeder) -> None:
    for bad in ("-1", "many"):
        result = runner.invoke(app, ["concurrency-limit", "create", "db", "--", bad])
        assert result.exit_code == 2
        assert "limit" in result.stderr.lower()
    assert seed.store.read_concurrency_limits() == []
