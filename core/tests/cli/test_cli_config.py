"""``headwater config view``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from headwater.cli import app
from headwater.settings import reset_settings


def _view(runner: CliRunner) -> dict[str, dict[str, object]]:
    result = runner.invoke(app, ["config", "view", "-o", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, dict[str, object]] = json.loads(result.stdout)
    return data


def test_view_shows_values_and_sources(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, headwater_home: object
) -> None:
    monkeypatch.setenv("HEADWATER_LOGGING_LEVEL", "debug")
    reset_settings()
    data = _view(runner)
    assert data["home"] == {
        "value": str(headwater_home),
        "source": "env",
        "env_var": "HEADWATER_HOME",
    }
    assert data["logging_level"]["value"] == "DEBUG"
    assert data["logging_level"]["source"] == "env"
    assert data["heartbeat_seconds"] == {
        "value": 10.0,
        "source": "default",
        "env_var": "HEADWATER_HEARTBEAT_SECONDS",
    }
    assert data["progress"]["value"] is False  # conftest sets HEADWATER_PROGRESS=false
    assert data["api_url"]["value"] is None
    assert data["database_url"]["source"] == "default"
    table = runner.invoke(app, ["config", "view"]).stdout
    assert "HEADWATER_LOGGING_LEVEL" in table
    assert "DEBUG" in table
    assert "default" in table


def test_view_masks_database_password(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_DATABASE_URL", "postgresql://app:s3cr3t-pw@db.internal:5432/hw")
    reset_settings()
    data = _view(runner)
    assert data["database_url"] == {
        "value": "postgresql://app:********@db.internal:5432/hw",
        "source": "env",
        "env_var": "HEADWATER_DATABASE_URL",
    }
    table = runner.invoke(app, ["config", "view"])
    assert "s3cr3t-pw" not in table.output
    assert "app:********@db.internal" in table.stdout


def test_view_bad_setting_is_one_line_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEADWATER_HEARTBEAT_SECONDS", "often")
    reset_settings()
    result = runner.invoke(app, ["config", "view"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "HEADWATER_HEARTBEAT_SECONDS" in result.stderr
    assert "Traceback" not in result.output
