"""Lone surrogates and non-finite numbers, on SQLite, PostgreSQL and over HTTP.

A run records them escaped and finishes as its work did (a log write never
crashes a run); what users store on purpose (variables, artifacts, block
documents, limit tags) is refused naming the field, before anything is written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from headwater import flow
from headwater._engine.recording import NOT_JSON_MARKER
from headwater._store import get_store
from headwater._store.records import ArtifactRecord, BlockDocumentRecord, VariableRecord
from headwater.errors import InvalidRequest, ObjectNotFound
from headwater.variables import Variable

LONE = "\ud800"


def _undecodable_file(folder: Path) -> str:
    """A real file whose name has a non-UTF-8 byte, as ``os.listdir`` names it."""
    raw = os.fsencode(folder) + b"/report-\xff.csv"
    with open(raw, "wb") as handle:
        handle.write(b"x")
    (name,) = os.listdir(folder)
    assert name == "report-\udcff.csv"  # surrogateescape
    return name


_FLOW = """
import os, sys
from headwater import flow, task
from headwater.logging import get_run_logger

LONE = "\\ud800"


@task(tags=["t" + LONE])
def read(file_name):
    get_run_logger().info("reading %s", file_name)
    print("task saw " + LONE)
    return len(file_name)


@flow(log_prints=True)
def listing(folder, first):
    get_run_logger().warning("lone " + LONE + " surrogate")
    print("found", first)
    return read(first)


folder = sys.argv[1]
(name,) = os.listdir(folder)
state = listing(folder, name, return_state=True)
print("RESULT", state.type.value, state.result())
"""


def test_a_flow_that_logs_and_prints_lone_surrogates_completes(
    store_url: str, tmp_path: Path
) -> None:
    # In a child process: its console lines hold the surrogates, which the test
    # runner's own report channel (pytest-xdist) could not carry.
    folder = tmp_path / "files"
    folder.mkdir()
    name = _undecodable_file(folder)
    script = tmp_path / "listing.py"
    script.write_text(_FLOW)
    proc = subprocess.run(
        [sys.executable, str(script), str(folder)], capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="backslashreplace")
    assert f"RESULT COMPLETED {len(name)}".encode() in proc.stdout

    store = get_store()
    (run,) = store.read_flow_runs()
    assert run.state_type == "COMPLETED"
    # The parameter cannot be stored as text: a marked summary, so a retry refuses it.
    assert run.parameters["first"] == {NOT_JSON_MARKER: repr(name)}
    messages = [line.message for line in store.read_logs(flow_run_id=run.id)]
    assert "lone \\ud800 surrogate" in messages
    assert "found report-\\udcff.csv" in messages
    assert "reading report-\\udcff.csv" in messages
    assert "task saw \\ud800" in messages
    (task_run,) = store.read_task_runs(flow_run_id=run.id)
    assert task_run.state_type == "COMPLETED"
    assert task_run.tags == ["t\\ud800"]


@pytest.mark.parametrize(
    "bad",
    [LONE, "report-\udcff.csv", float("nan"), float("-inf")],
    ids=["lone", "file-name", "nan", "-inf"],
)
def test_variables_with_unstorable_values_are_refused_naming_the_field(
    store_url: str, bad: object
) -> None:
    with pytest.raises(ValueError, match=r"the value of variable 'paths'\[0\]\['p'\]"):
        Variable.set("paths", [{"p": bad}])
    store = get_store()
    record = VariableRecord("paths", {"deep": [1, bad]}, [], 1.0, 1.0)
    with pytest.raises(InvalidRequest, match=r"variable 'paths'\['deep'\]\[1\]"):
        store.save_variable(record)
    with pytest.raises(ObjectNotFound):
        store.read_variable("paths")
    assert store.read_variables() == []


def test_variable_tags_and_names_with_lone_surrogates_are_refused(store_url: str) -> None:
    with pytest.raises(ValueError, match="tags of variable 'v'"):
        Variable.set("v", 1, tags=[LONE])
    with pytest.raises(InvalidRequest, match="variable name"):
        get_store().save_variable(VariableRecord(f"v{LONE}", 1, [], 1.0, 1.0))
    assert get_store().read_variables() == []


@pytest.mark.parametrize("bad", [LONE, float("nan"), float("inf")], ids=["lone", "nan", "inf"])
def test_artifacts_with_unstorable_data_are_refused(store_url: str, bad: object) -> None:
    record = ArtifactRecord("a1", "report", 1, "table", [{"x": bad}])
    with pytest.raises(InvalidRequest, match="the data of artifact 'report'"):
        get_store().create_artifact(record)
    assert get_store().read_artifacts() == []


def test_block_documents_with_escaped_surrogates_are_refused(store_url: str) -> None:
    record = BlockDocumentRecord(
        id="b1",
        block_type_slug="api-key-credentials",
        name="shared",
        schema_version=1,
        data='{"key_id": "\\ud800", "secret_key": "s"}',  # the JSON escape, plain ASCII
        created=1.0,
        updated=1.0,
    )
    with pytest.raises(InvalidRequest, match="api-key-credentials/shared"):
        get_store().save_block_document(record)
    assert get_store().read_block_documents() == []


def test_non_finite_flow_parameters_are_stored_marked_never_as_null(store_url: str) -> None:
    @flow
    def measure(x: float, y: dict[str, list[float]]) -> float:
        return 1.0

    measure(float("nan"), {"a": [1.5, float("inf")]})
    store = get_store()
    store.flush()
    (run,) = store.read_flow_runs()
    assert run.parameters == {
        "x": {NOT_JSON_MARKER: "nan"},
        "y": {"a": [1.5, {NOT_JSON_MARKER: "inf"}]},
    }
