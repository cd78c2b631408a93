"""Artifacts: the store methods on SQLite and PostgreSQL, the Python API and the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from headwater import _store, flow, task
from headwater._store import ArtifactRecord
from headwater.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from headwater.cli import app
from headwater.context import flow_run_ctx
from headwater.errors import ObjectNotFound


def _record(artifact_id: str, key: str | None, created: float) -> ArtifactRecord:
    return ArtifactRecord(artifact_id, key, 0, "markdown", f"# {artifact_id}", created=created)


def test_store_versions_per_key(store_url: str) -> None:
    store = _store.get_store()
    assert store.create_artifact(_record("a1", "report", 1.0)).version == 1
    assert store.create_artifact(_record("a2", "report", 2.0)).version == 2
    assert store.create_artifact(_record("b1", "other", 3.0)).version == 1
    assert store.create_artifact(_record("n1", None, 4.0)).version == 1
    assert store.create_artifact(_record("n2", None, 5.0)).version == 1  # unkeyed: no clash
    assert store.create_artifact(_record("a3", "report", 6.0)).version == 3

    latest = store.read_latest_artifact("report")
    assert (latest.id, latest.version, latest.data) == ("a3", 3, "# a3")
    assert [a.id for a in store.read_artifacts(key="report")] == ["a3", "a2", "a1"]
    assert [a.id for a in store.read_artifacts()] == ["a3", "n2", "n1", "b1", "a2", "a1"]
    assert store.read_artifact("b1").key == "other"
    with pytest.raises(ObjectNotFound, match="'nope'"):
        store.read_artifact("nope")
    with pytest.raises(ObjectNotFound, match="'nope'"):
        store.read_latest_artifact("nope")


def test_create_outside_a_run(store_url: str) -> None:
    md = create_markdown_artifact("# Report\nAll good.", key="daily-report", description="d")
    table = create_table_artifact({"a": [1, 2], "b": ["x", "y"]}, key="daily-report")
    link = create_link_artifact("https://example.com/m", link_text="model")
    store = _store.get_store()
    first, second, third = (store.read_artifact(i) for i in (md, table, link))
    assert (first.type, first.version, first.data, first.description) == (
        "markdown",
        1,
        "# Report\nAll good.",
        "d",
    )
    assert (second.type, second.version) == ("table", 2)
    assert second.data == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert third.data == {"link": "https://example.com/m", "link_text": "model"}
    assert (third.key, third.flow_run_id, third.task_run_id) == (None, None, None)


def test_list_of_dicts_table() -> None:
    rows = [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
    record = _store.get_store().read_artifact(create_table_artifact(rows))
    assert record.data == rows


def test_artifacts_record_their_flow_and_task_runs() -> None:
    @task
    def report() -> str:
        return create_markdown_artifact("from a task", key="task-report")

    @flow
    def pipeline() -> tuple[str, str, str]:
        ctx = flow_run_ctx.get()
        assert ctx is not None
        return create_link_artifact("https://x.test", key="flow-link"), report(), ctx.flow_run_id

    flow_level, task_level, flow_run_id = pipeline()
    store = _store.get_store()
    from_flow = store.read_artifact(flow_level)
    assert (from_flow.flow_run_id, from_flow.task_run_id) == (flow_run_id, None)
    from_task = store.read_artifact(task_level)
    assert from_task.flow_run_id == flow_run_id
    task_runs = store.read_task_runs(flow_run_id=flow_run_id)
    assert from_task.task_run_id == task_runs[0].id
    assert {a.id for a in store.read_artifacts(flow_run_id=flow_run_id)} == {
        flow_level,
        task_level,
    }


@pytest.mark.parametrize("key", ["Upper", "under_score", "space here", "", "k" * 256])
def test_bad_keys_are_rejected_and_save_nothing(key: str) -> None:
    with pytest.raises(ValueError, match="invalid artifact key"):
        create_markdown_artifact("x", key=key)
    assert _store.get_store().read_artifacts() == []


def test_bad_data_is_rejected_and_saves_nothing() -> None:
    with pytest.raises(ValueError, match="same length"):
        create_table_artifact({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="row 1 must be a dict"):
        create_table_artifact([{"a": 1}, 5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="JSON"):
        create_table_artifact([{"a": object()}])
    with pytest.raises(TypeError, match="markdown must be a string"):
        create_markdown_artifact(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="link_text"):
        create_link_artifact("https://x", link_text=3)  # type: ignore[arg-type]
    assert _store.get_store().read_artifacts() == []


def test_cli_ls_and_inspect(store_url: str) -> None:
    runner = CliRunner()
    create_markdown_artifact("# v1", key="summary")
    create_markdown_artifact("# second version", key="summary")
    create_link_artifact("https://example.com", link_text="docs")

    listed = json.loads(runner.invoke(app, ["artifact", "ls", "-o", "json"]).stdout)
    assert len(listed) == 3
    only = json.loads(
        runner.invoke(app, ["artifact", "ls", "--key", "summary", "-o", "json"]).stdout
    )
    assert [a["version"] for a in only] == [2, 1]
    none = json.loads(
        runner.invoke(app, ["artifact", "ls", "--flow-run", "nope", "-o", "json"]).stdout
    )
    assert none == []
    table = runner.invoke(app, ["artifact", "ls"])
    assert table.exit_code == 0
    assert "summary" in table.stdout
    assert "docs" in table.stdout

    shown = runner.invoke(app, ["artifact", "inspect", "summary"])
    assert shown.exit_code == 0, shown.output
    assert "# second version" in shown.stdout
    data = json.loads(runner.invoke(app, ["artifact", "inspect", "summary", "-o", "json"]).stdout)
    assert (data["version"], data["data"]) == (2, "# second version")
    missing = runner.invoke(app, ["artifact", "inspect", "nope"])
    assert missing.exit_code == 1
    assert "artifact 'nope' not found" in missing.stderr
