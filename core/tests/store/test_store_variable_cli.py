"""``headwater variable`` with a real 20 MB value and with NaN, on SQLite, PostgreSQL and
over HTTP: the table shows a cut preview (rendering a whole value took minutes), ``-o json``
and ``get`` give the value whole, and non-finite numbers are refused naming the field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from headwater._store import get_store
from headwater.cli import app
from headwater.errors import ObjectNotFound

ROW = "r" * 999


def test_a_twenty_megabyte_variable_is_listed_as_a_preview(store_url: str) -> None:
    value = {"rows": [ROW] * 20_000}  # ~20 MB of JSON
    text = json.dumps(value)
    assert len(text) > 20_000_000
    runner = CliRunner()
    result = runner.invoke(app, ["variable", "set", "big", text])
    assert result.exit_code == 0, result.output

    table = runner.invoke(app, ["variable", "ls"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert len(table.stdout) < 2_000
    assert "big" in table.stdout
    assert '{"rows": ["rrrr' in table.stdout
    assert "…" in table.stdout

    listed = json.loads(runner.invoke(app, ["variable", "ls", "-o", "json"]).stdout)
    assert listed[0]["name"] == "big"
    assert listed[0]["value"] == value
    got = runner.invoke(app, ["variable", "get", "big"])
    assert json.loads(got.stdout) == value


def test_a_short_value_is_listed_whole(store_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["variable", "set", "small", '{"a": [1, 2]}']).exit_code == 0
    table = runner.invoke(app, ["variable", "ls"], env={"COLUMNS": "200"}).stdout
    assert '{"a": [1, 2]}' in table
    assert "…" not in table


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_naming_the_field(store_url: str, number: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["variable", "set", "limits", f'{{"max": [1, {number}]}}'])
    assert result.exit_code != 0
    assert "the value of variable 'limits'['max'][1]" in result.output
    assert number.lstrip("-").lower()[:3] in result.output.lower()
    with pytest.raises(ObjectNotFound):
        get_store().read_variable("limits")
