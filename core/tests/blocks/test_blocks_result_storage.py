"""Result storage from blocks: instances, "slug/name", the default setting, other processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from headwater import flow, task
from headwater.blocks import LocalFileSystem, Secret
from headwater.errors import ConfigurationError, ResultNotFound
from headwater.results import read_result_record, resolve_result_store
from headwater.settings import reset_settings


def test_saved_block_by_slug_name_and_block_instance(tmp_path: Path) -> None:
    LocalFileSystem(basepath=str(tmp_path / "res")).save("results")
    store = resolve_result_store("local-file-system/results")
    key = store.persist("k1", {"a": 1})
    assert key == "block://local-file-system/results#k1"
    assert (tmp_path / "res" / "k1").is_file()
    assert read_result_record(key) == {"a": 1}
    assert resolve_result_store("local-file-system/results") is store  # cached per task run

    unsaved = resolve_result_store(LocalFileSystem(basepath=str(tmp_path / "u")))
    key2 = unsaved.persist("k2", [1, 2])
    assert key2.startswith("file://")
    assert key2.endswith("#k2")
    assert read_result_record(key2) == [1, 2]


def test_a_folder_that_looks_like_slug_name_stays_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = resolve_result_store("results/today")  # not a block type slug
    key = store.persist("k", 5)
    assert key.startswith("file://")
    assert (tmp_path / "results" / "today" / "k").is_file()


def test_non_filesystem_block_is_refused() -> None:
    Secret(value="abcdef").save("nope")
    with pytest.raises(ConfigurationError, match="'secret/nope' is a Secret block"):
        resolve_result_store("secret/nope")


def test_default_storage_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    LocalFileSystem(basepath=str(tmp_path / "dflt")).save("default-results")
    monkeypatch.setenv("HEADWATER_RESULTS_DEFAULT_STORAGE", "local-file-system/default-results")
    reset_settings()

    @task(persist_result=True)
    def double(x: int) -> int:
        return 2 * x

    @flow
    def pipeline() -> int:
        return double(21)

    state = pipeline(return_state=True)
    assert state.result() == 42
    assert any((tmp_path / "dflt").iterdir())


def test_missing_storage_block_is_result_not_found() -> None:
    with pytest.raises(ResultNotFound, match="block://local-file-system/gone"):
        read_result_record("block://local-file-system/gone#abc")


def test_flow_result_in_saved_block_is_read_by_another_process(
    store_url: str, tmp_path: Path
) -> None:
    LocalFileSystem(basepath=str(tmp_path / "shared")).save("results")

    @flow(persist_result=True, result_storage="local-file-system/results")
    def produce() -> dict[str, int]:
        return {"answer": 42}

    state = produce(return_state=True)
    key = state.result_key
    assert key is not None
    assert key.startswith("block://local-file-system/results#")
    assert any((tmp_path / "shared").iterdir())

    script = textwrap.dedent(
        f"""
        from headwater.results import read_result_record
        print(read_result_record({key!r})["answer"])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "42"


def test_tasks_use_the_flow_result_storage_and_serializer_unless_they_set_their_own(
    tmp_path: Path,
) -> None:
    """As in Prefect: a task without result_storage/result_serializer uses its flow's, a nested
    flow without its own uses its parent's, and a task's own settings win."""
    from headwater._store import get_store

    LocalFileSystem(basepath=str(tmp_path / "flow-res")).save("flow-res")
    LocalFileSystem(basepath=str(tmp_path / "task-res")).save("task-res")

    @task(persist_result=True)
    def inherits(x: int) -> dict[str, int]:
        return {"x": x}

    @task(
        persist_result=True, result_storage="local-file-system/task-res", result_serializer="pickle"
    )
    def own(x: int) -> int:
        return x

    @flow
    def child() -> dict[str, int]:
        return inherits(2)

    @flow(
        persist_result=True, result_storage="local-file-system/flow-res", result_serializer="json"
    )
    def parent() -> None:
        inherits(1)
        own(1)
        child()

    parent()
    keys = {(tr.task_key.split(".")[-1], tr.result_key) for tr in get_store().read_task_runs()}
    by_storage = sorted(k.split("#")[0] for _, k in keys if k)
    assert by_storage == [
        "block://local-file-system/flow-res",
        "block://local-file-system/flow-res",
        "block://local-file-system/task-res",
    ]
    # the flow's JSON serializer reached the inheriting tasks: their records are readable JSON
    inherited = [k for name, k in keys if k and "flow-res" in k]
    for key in inherited:
        record = (tmp_path / "flow-res" / key.split("#")[1]).read_bytes()
        assert b'"x"' in record, record[:200]
