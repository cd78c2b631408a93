"""RemoteFileSystem on fsspec's memory:// and file:// file systems, and as result storage."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from headwater import flow, task
from headwater.blocks import Block, WritableFileSystem
from headwater.testing import WritableFileSystemSuite
from headwater_blocks import RemoteFileSystem


@pytest.fixture(params=["memory", "file"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> RemoteFileSystem:
    if request.param == "memory":
        base = f"memory://hw-test-{uuid.uuid4().hex[:8]}/data"
    else:
        base = (tmp_path / "remote").as_uri()
    return RemoteFileSystem(basepath=base)


class TestRemoteFileSystemConforms(WritableFileSystemSuite):
    """Round trips, missing paths, escapes, overwrites and async twins: the core's suite."""

    @pytest.fixture
    def block(self, remote: RemoteFileSystem) -> WritableFileSystem:
        return remote


def test_head_exists_list_and_delete(remote: RemoteFileSystem) -> None:
    url = remote.write_path("a/b/c.bin", b"\x00payload")
    assert url.startswith(remote.basepath.split("://")[0] + "://")
    assert remote.read_head("a/b/c.bin", 3) == b"\x00pa"
    assert remote.exists("a/b/c.bin")
    remote.write_path("top.txt", b"t")
    assert remote.list_paths() == ["a/b/c.bin", "top.txt"]
    remote.delete_path("top.txt")
    assert not remote.exists("top.txt")


def test_missing_file_names_it(remote: RemoteFileSystem) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        remote.read_path("nope.txt")


@pytest.mark.parametrize("path", ["s3://other/x", ""])
def test_urls_and_empty_paths_are_refused(remote: RemoteFileSystem, path: str) -> None:
    with pytest.raises(ValueError, match=r"basepath|non-empty"):
        remote.write_path(path, b"x")


def test_file_protocol_writes_real_files(tmp_path: Path) -> None:
    fs = RemoteFileSystem(basepath=(tmp_path / "out").as_uri())
    fs.write_path("x/y.txt", b"hello")
    assert (tmp_path / "out" / "x" / "y.txt").read_bytes() == b"hello"


def test_is_a_writable_file_system_with_capabilities() -> None:
    assert issubclass(RemoteFileSystem, WritableFileSystem)
    assert {"read-path", "write-path"} <= RemoteFileSystem.get_block_capabilities()


@pytest.mark.parametrize("basepath", ["bucket/prefix", "nosuchproto://x/y", "file://"])
def test_bad_basepath_is_refused(basepath: str) -> None:
    with pytest.raises(ValidationError, match="basepath"):
        RemoteFileSystem(basepath=basepath)


def test_settings_are_secret_and_passed_to_fsspec(tmp_path: Path) -> None:
    fs = RemoteFileSystem(basepath=(tmp_path / "s").as_uri(), settings={"auto_mkdir": True})
    fs.save("with-settings")
    loaded = RemoteFileSystem.load("with-settings")
    assert loaded.model_dump(mode="json")["settings"] == {"auto_mkdir": "**********"}
    assert "auto_mkdir" not in repr(loaded)
    assert loaded.filesystem.auto_mkdir is True
    loaded.write_path("k.txt", b"1")
    assert (tmp_path / "s" / "k.txt").read_bytes() == b"1"


def test_save_load_round_trip_by_slug(tmp_path: Path) -> None:
    RemoteFileSystem(basepath=(tmp_path / "r").as_uri()).save("results")
    loaded = Block.load("remote-file-system/results")
    assert isinstance(loaded, RemoteFileSystem)
    loaded.write_path("z", b"z")
    assert (tmp_path / "r" / "z").read_bytes() == b"z"


def test_pickles_without_its_fsspec_instance() -> None:
    import pickle

    fs = RemoteFileSystem(basepath=f"memory://hw-pickle-{uuid.uuid4().hex[:8]}")
    fs.write_path("a", b"1")
    copy = pickle.loads(pickle.dumps(fs))
    assert copy.read_path("a") == b"1"  # memory:// is process-global


def test_result_storage_block_persists_results(tmp_path: Path) -> None:
    storage = RemoteFileSystem(basepath=(tmp_path / "results").as_uri())

    @task(persist_result=True, result_storage=storage)
    def compute(x: int) -> dict[str, int]:
        return {"x": x * 2}

    @flow
    def pipeline() -> dict[str, int]:
        return compute(21)

    assert pipeline() == {"x": 42}
    written = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
    assert written, "the task's result was not written through the block"


def test_saved_block_as_result_storage_is_readable_from_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # were "slug/name" taken for a folder, it would land here
    RemoteFileSystem(basepath=(tmp_path / "shared").as_uri()).save("shared-results")

    @task(persist_result=True, result_storage="remote-file-system/shared-results")
    def compute() -> str:
        return "made in process one"

    @flow
    def pipeline() -> str:
        return compute()

    state = pipeline(return_state=True)
    assert state.result() == "made in process one"
    from headwater.testing.reader import task_runs

    (task_run,) = task_runs()
    key = task_run.result_key
    assert key, task_run
    assert key.startswith("block://remote-file-system/shared-results#"), key
    code = (
        "from headwater.results import read_result_record; import sys; "
        f"sys.stdout.write(read_result_record({key!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout == "made in process one"


def test_check(remote: RemoteFileSystem) -> None:
    result = remote.check()
    assert result.ok, result.message
    assert remote.basepath in result.message
