"""The folder methods an ObjectStorageBlock derives from its three primitives, with progress."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import pytest
from pydantic import PrivateAttr

from headwater.blocks import ObjectStorageBlock
from headwater.blocks.progress import progress_enabled, transfer_progress
from headwater.testing import ObjectStorageSuite


class MemoryObjects(ObjectStorageBlock):
    """Objects in a dict: only the three primitives are implemented."""

    _block_type_slug: ClassVar[str] = "test-memory-objects"
    _objects: dict[str, bytes] = PrivateAttr(default_factory=dict)

    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        path = self.object_path(to_path, what="to_path")
        self._objects[path] = from_file_object.read()
        return path

    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        path = self.object_path(from_path, what="from_path")
        try:
            to_file_object.write(self._objects[path])
        except KeyError:
            raise FileNotFoundError(from_path) from None
        return to_file_object

    def list_paths(self, folder: str = "") -> list[str]:
        prefix = self.object_path(folder, what="folder", folder=True)
        return sorted(k for k in self._objects if not prefix or k.startswith(prefix + "/"))


class TestMemoryObjectsConforms(ObjectStorageSuite):
    """The core's derived folder methods, over the smallest possible store."""

    @pytest.fixture
    def block(self) -> ObjectStorageBlock:
        return MemoryObjects()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_folder_round_trip_from_the_primitives(tmp_path: Path) -> None:
    source = tmp_path / "in"
    (source / "a" / "b").mkdir(parents=True)
    (source / "top.txt").write_bytes(b"1")
    (source / "a" / "mid.csv").write_bytes(b"2")
    (source / "a" / "b" / "deep.bin").write_bytes(os.urandom(64))
    store = MemoryObjects()
    assert store.upload_from_folder(source, "data/") == "data"
    assert store.list_paths("data") == ["data/a/b/deep.bin", "data/a/mid.csv", "data/top.txt"]
    out = store.download_folder_to_path("data", tmp_path / "out")
    assert _tree(out) == _tree(source)


def test_download_refuses_objects_that_would_land_outside_the_folder(tmp_path: Path) -> None:
    store = MemoryObjects()
    store._objects["data/../../escape.txt"] = b"x"  # a key the path rules would refuse
    with pytest.raises(ValueError, match="outside"):
        store.download_folder_to_path("data", tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_upload_from_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="nothing-here"):
        MemoryObjects().upload_from_folder(tmp_path / "nothing-here")


def test_list_paths_is_required_for_folder_downloads(tmp_path: Path) -> None:
    class NoListing(MemoryObjects):
        _block_type_slug: ClassVar[str] = "test-no-listing"

        def list_paths(self, folder: str = "") -> list[str]:
            return super(MemoryObjects, self).list_paths(folder)

    with pytest.raises(NotImplementedError, match="list_paths"):
        NoListing().download_folder_to_path("x", tmp_path)


_PROGRESS_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_blocks_object_storage import MemoryObjects
root = Path({root!r})
store = MemoryObjects()
store.upload_from_folder(root, "p", progress={progress})
store.download_folder_to_path("p", root.parent / "back", progress={progress})
assert len(store.list_paths("p")) == 5
"""


@pytest.mark.parametrize("progress", [True, False])
def test_folder_progress_bar(tmp_path: Path, progress: bool) -> None:
    """Forced on, a terminal sees the upload and download bars count to 5/5; off, nothing."""
    import subprocess
    import sys

    source = tmp_path / "in"
    source.mkdir()
    for i in range(5):
        (source / f"f{i}.txt").write_text(str(i))
    script = _PROGRESS_SCRIPT.format(
        tests=str(Path(__file__).parent), root=str(source), progress=progress
    )
    env = {**os.environ, "TTY_COMPATIBLE": "1", "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    if progress:
        assert "uploading" in proc.stderr, proc.stderr
        assert "downloading p" in proc.stderr, proc.stderr
        assert "5/5" in proc.stderr, proc.stderr
    else:
        assert proc.stderr == ""


def test_progress_is_off_when_stderr_is_not_a_terminal() -> None:
    assert progress_enabled() is False  # pytest captures stderr
    assert progress_enabled(True) is True
    with transfer_progress(3, "nothing to see", enabled=None) as advance:
        advance(3)


def test_folder_concurrency_comes_from_the_call_then_the_field_then_ten(tmp_path: Path) -> None:
    class Configurable(MemoryObjects):
        _block_type_slug: ClassVar[str] = "test-configurable-objects"
        max_concurrency: int = 2

    assert MemoryObjects().folder_concurrency() == 10
    assert "max_concurrency" not in MemoryObjects.model_fields  # no field is imposed
    assert Configurable().folder_concurrency() == 2
    assert Configurable().folder_concurrency(5) == 5
    (tmp_path / "f.txt").write_bytes(b"x")
    with pytest.raises(ValueError, match="at least 1"):
        MemoryObjects().upload_from_folder(tmp_path, "x", max_concurrency=0)
