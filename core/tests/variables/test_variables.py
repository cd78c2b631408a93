"""Variables: the store methods on SQLite and PostgreSQL, the Python API and the CLI."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from headwater import _store, flow
from headwater._store import VariableRecord
from headwater.cli import app
from headwater.errors import ObjectAlreadyExists, ObjectNotFound
from headwater.variables import Variable


def test_store_save_read_overwrite_delete(store_url: str) -> None:
    store = _store.get_store()
    saved = store.save_variable(VariableRecord("alpha", {"a": [1, 2]}, ["x"], 1.0, 1.0))
    assert saved.value == {"a": [1, 2]}
    store.save_variable(VariableRecord("beta", "text", [], 2.0, 2.0))
    with pytest.raises(ObjectAlreadyExists, match="'alpha'"):
        store.save_variable(VariableRecord("alpha", 5, [], 3.0, 3.0))
    assert store.read_variable("alpha").value == {"a": [1, 2]}
    replaced = store.save_variable(VariableRecord("alpha", 5, ["y"], 3.0, 3.0), overwrite=True)
    assert (replaced.value, replaced.tags, replaced.created, replaced.updated) == (
        5,
        ["y"],
        1.0,
        3.0,
    )
    assert [(r.name, r.value) for r in store.read_variables()] == [("alpha", 5), ("beta", "text")]
    store.delete_variable("alpha")
    with pytest.raises(ObjectNotFound, match="'alpha'"):
        store.read_variable("alpha")
    with pytest.raises(ObjectNotFound, match="'alpha'"):
        store.delete_variable("alpha")


def test_python_api_round_trip(store_url: str) -> None:
    assert Variable.get("missing") is None
    assert Variable.get("missing", default=7) == 7
    var = Variable.set("threshold", {"max": 3.5, "on": True}, tags=["ops"])
    assert var.name == "threshold"
    assert Variable.get("threshold") == {"max": 3.5, "on": True}
    with pytest.raises(ObjectAlreadyExists, match="'threshold'"):
        Variable.set("threshold", 1)
    Variable.set("threshold", 1, overwrite=True)
    assert Variable.get("threshold") == 1
    assert [v.name for v in Variable.list()] == ["threshold"]
    assert Variable.unset("threshold") is True
    assert Variable.unset("threshold") is False
    assert Variable.list() == []


@pytest.mark.parametrize("name", ["Upper", "has space", "dot.name", "", "x" * 256, 5])
def test_bad_names_are_rejected_and_save_nothing(name: object) -> None:
    with pytest.raises(ValueError, match="invalid variable name"):
        Variable.set(name, 1)  # type: ignore[arg-type]
    assert Variable.list() == []


def test_non_json_values_are_rejected_and_save_nothing() -> None:
    with pytest.raises(ValueError, match=r"variable 'v'.*JSON"):
        Variable.set("v", {1, 2})
    with pytest.raises(ValueError, match="variable 'v'"):
        Variable.set("v", float("nan"))
    with pytest.raises(ValueError, match="tags of variable 'v'"):
        Variable.set("v", 1, tags="abc")  # type: ignore[arg-type]
    assert Variable.get("v", default="absent") == "absent"


def test_async_twins() -> None:
    async def main() -> tuple[object, object, list[str], bool]:
        await Variable.aset("a-1", [1, 2])
        value = await Variable.aget("a-1")
        missing = await Variable.aget("nope", "d")
        names = [v.name for v in await Variable.alist()]
        return value, missing, names, await Variable.aunset("a-1")

    assert asyncio.run(main()) == ([1, 2], "d", ["a-1"], True)


def test_variables_inside_a_flow() -> None:
    Variable.set("greeting", "hello")

    @flow
    def uses_variable() -> str:
        return str(Variable.get("greeting"))

    assert uses_variable() == "hello"


def test_cli_set_get_ls_unset(store_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["variable", "set", "count", "42"])
    assert result.exit_code == 0, result.output
    assert Variable.get("count") == 42
    runner.invoke(app, ["variable", "set", "word", "hello world"])
    assert Variable.get("word") == "hello world"
    assert runner.invoke(app, ["variable", "get", "count"]).stdout.strip() == "42"

    again = runner.invoke(app, ["variable", "set", "count", "43"])
    assert again.exit_code == 1
    assert "'count'" in again.stderr
    assert "overwrite" in again.stderr
    assert runner.invoke(app, ["variable", "set", "count", "43", "--overwrite"]).exit_code == 0
    assert Variable.get("count") == 43

    listed = json.loads(runner.invoke(app, ["variable", "ls", "-o", "json"]).stdout)
    assert [(v["name"], v["value"]) for v in listed] == [("count", 43), ("word", "hello world")]
    table = runner.invoke(app, ["variable", "ls"]).stdout
    assert "count" in table
    assert "word" in table

    assert runner.invoke(app, ["variable", "unset", "count"]).exit_code == 0
    missing = runner.invoke(app, ["variable", "get", "count"])
    assert missing.exit_code == 1
    assert "variable 'count' not found" in missing.stderr
    assert runner.invoke(app, ["variable", "unset", "count"]).exit_code == 1


def test_cli_rejects_bad_name() -> None:
    result = CliRunner().invoke(app, ["variable", "set", "Bad Name", "1"])
    assert result.exit_code == 1
    assert "invalid variable name 'Bad Name'" in result.stderr
    assert Variable.list() == []
