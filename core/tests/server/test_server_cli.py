"""``headwater server database upgrade|reset`` and the reset module on both stores."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from headwater import _store, flow
from headwater._store.reset import reset_database, schema_version
from headwater._store.schema import LATEST_VERSION
from headwater.cli import app


@flow(name="kept-or-not")
def little() -> int:
    return 1


def test_upgrade_prints_the_schema_version(store_url: str) -> None:
    result = CliRunner().invoke(app, ["server", "database", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"schema version {LATEST_VERSION}" in result.output


def test_reset_asks_then_drops_everything(store_url: str) -> None:
    little()
    _store.get_store().flush()
    runner = CliRunner()
    declined = runner.invoke(app, ["server", "database", "reset"], input="n\n")
    assert declined.exit_code == 1
    assert _store.get_store().count_flow_runs() == 1
    result = runner.invoke(app, ["server", "database", "reset", "--yes"])
    assert result.exit_code == 0, result.output
    assert _store.get_store().count_flow_runs() == 0
    little()  # the recreated schema works
    assert _store.get_store().count_flow_runs() == 1


def test_reset_database_recreates_the_schema(store_url: str) -> None:
    _store.get_store().create_concurrency_limit("db", 2)
    assert reset_database(store_url) == LATEST_VERSION
    assert schema_version(store_url) == LATEST_VERSION
    assert _store.get_store().read_concurrency_limits() == []


def test_import_headwater_does_not_import_fastapi() -> None:
    code = "import sys, headwater, headwater.cli; print('fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
