"""Behavioural conformance suites for storage blocks: ``WritableFileSystemSuite``
and ``ObjectStorageSuite``.

An implementation's test class inherits a suite and provides a ``block``
fixture returning (or yielding) the block under test, empty (fsspec style)::

    class TestMyStorage(ObjectStorageSuite):
        @pytest.fixture
        def block(self, tmp_path):
            return MyStorage(...)

The suites assert behaviour that breaks when an implementation is wrong:
byte-exact round trips (empty, binary, large-ish), a missing path is a
FileNotFoundError, paths escaping the storage are refused naming the path,
overwrites replace, folders keep relative paths, the first failure of a folder
transfer is raised naming its file, listings, and the async twins.
Class attributes tune them (``escaping_paths``, ``large_size``).
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from headwater.blocks.storage import ObjectStorageBlock, WritableFileSystem
from headwater.testing._spy import record_threads

__all__ = ["ObjectStorageSuite", "WritableFileSystemSuite"]

BINARY = bytes(range(256)) * 4
TREE = {
    "top.txt": b"top",
    "a/one.bin": BINARY,
    "a/b/two.txt": b"two",
    "a/b/c/three.txt": b"three",
    "z/empty": b"",
}


def _payloads(large_size: int) -> dict[str, bytes]:
    return {
        "empty.bin": b"",
        "binary.bin": BINARY,
        "nested/deeper/large.bin": os.urandom(large_size),
    }


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def _assert_refused(error: pytest.ExceptionInfo[ValueError], path: str) -> None:
    assert repr(path) in str(error.value) or path in str(error.value), (
        f"the error does not name the refused path {path!r}: {error.value}"
    )


class WritableFileSystemSuite:
    """Behaviour every :class:`~headwater.blocks.WritableFileSystem` must have."""

    escaping_paths: ClassVar[tuple[str, ...]] = (
        "../escape.bin",
        "a/../../escape.bin",
        "/escape.bin",
    )
    large_size: ClassVar[int] = 3 * 1024 * 1024 + 17

    @pytest.fixture
    def block(self) -> WritableFileSystem:
        raise NotImplementedError("a WritableFileSystemSuite subclass provides the block fixture")

    def test_round_trips_bytes_exactly(self, block: WritableFileSystem) -> None:
        for path, data in _payloads(self.large_size).items():
            assert isinstance(block.write_path(path, data), str)
            assert block.read_path(path) == data, path

    def test_missing_path_is_file_not_found(self, block: WritableFileSystem) -> None:
        with pytest.raises(FileNotFoundError):
            block.read_path("never/written.bin")

    def test_overwrite_replaces_the_content(self, block: WritableFileSystem) -> None:
        block.write_path("again.txt", b"a much longer first version")
        block.write_path("again.txt", b"short")
        assert block.read_path("again.txt") == b"short"

    def test_paths_escaping_the_storage_are_refused(self, block: WritableFileSystem) -> None:
        for path in self.escaping_paths:
            with pytest.raises(ValueError) as error:
                block.write_path(path, b"x")
            _assert_refused(error, path)
            with pytest.raises(ValueError) as error:
                block.read_path(path)
            _assert_refused(error, path)

    def test_async_twins_run_off_the_event_loop(self, block: WritableFileSystem) -> None:
        async def main() -> tuple[int, str, bytes]:
            written = await block.awrite_path("async/x.bin", BINARY)
            return threading.get_ident(), written, await block.aread_path("async/x.bin")

        with (
            record_threads(block, "write_path") as wrote,
            record_threads(block, "read_path") as read,
        ):
            loop_thread, written, data = asyncio.run(main())
        assert data == BINARY
        assert written == block.write_path("async/x.bin", BINARY)
        assert wrote, "awrite_path did not call write_path"
        assert read, "aread_path did not call read_path"
        assert loop_thread not in wrote + read


class ObjectStorageSuite:
    """Behaviour every :class:`~headwater.blocks.ObjectStorageBlock` must have."""

    escaping_paths: ClassVar[tuple[str, ...]] = (
        "../escape.bin",
        "a/../../escape.bin",
        "/escape.bin",
        "scheme://bucket/escape.bin",
    )
    large_size: ClassVar[int] = 3 * 1024 * 1024 + 17

    @pytest.fixture
    def block(self) -> ObjectStorageBlock:
        raise NotImplementedError("an ObjectStorageSuite subclass provides the block fixture")

    # -- objects ---------------------------------------------------------------------

    def test_file_objects_round_trip_exactly(self, block: ObjectStorageBlock) -> None:
        for path, data in _payloads(self.large_size).items():
            block.upload_from_file_object(io.BytesIO(data), path)
            out = io.BytesIO()
            assert block.download_object_to_file_object(path, out) is out
            assert out.getvalue() == data, path

    def test_files_round_trip_and_default_to_the_file_name(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        source = tmp_path / "source.bin"
        source.write_bytes(BINARY)
        block.upload_from_path(source)
        block.upload_from_path(source, "copies/copy.bin")
        assert "source.bin" in block.list_paths()
        target = tmp_path / "new" / "folders" / "out.bin"
        assert block.download_object_to_path("copies/copy.bin", target) == target
        assert target.read_bytes() == BINARY
        with pytest.raises(FileNotFoundError):
            block.upload_from_path(tmp_path / "not-there.bin")

    def test_missing_object_is_file_not_found_and_leaves_nothing(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        with pytest.raises(FileNotFoundError):
            block.download_object_to_file_object("never/written.bin", io.BytesIO())
        with pytest.raises(FileNotFoundError):
            block.download_object_to_path("never/written.bin", tmp_path / "new" / "out.bin")
        assert not (tmp_path / "new").exists()

    def test_overwrite_replaces_the_object(self, block: ObjectStorageBlock) -> None:
        block.upload_from_file_object(io.BytesIO(b"a much longer first version"), "again.txt")
        block.upload_from_file_object(io.BytesIO(b"short"), "again.txt")
        out = io.BytesIO()
        block.download_object_to_file_object("again.txt", out)
        assert out.getvalue() == b"short"

    def test_paths_escaping_the_storage_are_refused(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        source = tmp_path / "f.bin"
        source.write_bytes(b"x")
        for path in self.escaping_paths:
            for call in (
                lambda p: block.upload_from_file_object(io.BytesIO(b"x"), p),
                lambda p: block.upload_from_path(source, p),
                lambda p: block.download_object_to_file_object(p, io.BytesIO()),
                lambda p: block.download_object_to_path(p, tmp_path / "out.bin"),
                lambda p: block.upload_from_folder(tmp_path, p),
                lambda p: block.download_folder_to_path(p, tmp_path / "out"),
            ):
                with pytest.raises(ValueError) as error:
                    call(path)
                _assert_refused(error, path)
        assert block.list_paths() == []

    # -- listing ---------------------------------------------------------------------

    def test_listing_is_sorted_and_a_folder_is_not_a_prefix(
        self, block: ObjectStorageBlock
    ) -> None:
        for path in ("sub/b.txt", "sub/a.txt", "sub2/c.txt", "top.txt", "sub/deep/d.txt"):
            block.upload_from_file_object(io.BytesIO(b"x"), path)
        assert block.list_paths() == [
            "sub/a.txt",
            "sub/b.txt",
            "sub/deep/d.txt",
            "sub2/c.txt",
            "top.txt",
        ]
        assert block.list_paths("sub") == ["sub/a.txt", "sub/b.txt", "sub/deep/d.txt"]
        assert block.list_paths("sub/") == block.list_paths("sub")
        assert block.list_paths("nothing-here") == []

    # -- folders ---------------------------------------------------------------------

    def test_folder_round_trip_keeps_relative_paths(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        source = _write_tree(tmp_path / "src", TREE)
        block.upload_from_folder(source, "tree", progress=False)
        block.upload_from_file_object(io.BytesIO(b"sibling"), "tree2/not-mine.txt")
        assert block.list_paths("tree") == sorted(f"tree/{rel}" for rel in TREE)
        target = tmp_path / "dst"
        assert block.download_folder_to_path("tree", target, progress=False) == target
        assert _tree(target) == TREE
        everything = block.download_folder_to_path("", tmp_path / "all")
        assert _tree(everything) == {f"tree/{k}": v for k, v in TREE.items()} | {
            "tree2/not-mine.txt": b"sibling"
        }

    def test_upload_from_a_missing_folder_names_it(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        with pytest.raises(NotADirectoryError, match="not-a-folder"):
            block.upload_from_folder(tmp_path / "not-a-folder")

    def test_folder_download_refuses_objects_landing_outside(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        block.upload_from_file_object(io.BytesIO(b"ok"), "dl/fine.txt")
        listed = block.list_paths
        object.__setattr__(
            block, "list_paths", lambda folder="": [*listed(folder), "dl/../../evil"]
        )
        try:
            with pytest.raises(ValueError, match="outside") as error:
                block.download_folder_to_path("dl", tmp_path / "in" / "target")
        finally:
            vars(block).pop("list_paths", None)
        _assert_refused(error, "dl/../../evil")
        assert not (tmp_path / "evil").exists()
        assert not (tmp_path / "in" / "target" / "fine.txt").exists()  # refused before any download

    def test_folder_transfers_respect_max_concurrency(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        files = {f"f{i:02}.txt": str(i).encode() for i in range(12)}
        source = _write_tree(tmp_path / "src", files)
        running: list[int] = []
        peak: list[int] = []
        lock = threading.Lock()
        real = block.upload_from_path

        def counting(*args: Any, **kwargs: Any) -> str:
            with lock:
                running.append(1)
                peak.append(len(running))
            try:
                return real(*args, **kwargs)
            finally:
                with lock:
                    running.pop()

        object.__setattr__(block, "upload_from_path", counting)
        try:
            block.upload_from_folder(source, "conc", max_concurrency=3)
        finally:
            vars(block).pop("upload_from_path", None)
        assert len(peak) == 12
        assert max(peak) <= 3
        assert block.list_paths("conc") == sorted(f"conc/{name}" for name in files)

    def test_first_failure_is_raised_naming_its_file_and_stops_the_rest(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        names = [f"f{i:02}.txt" for i in range(40)]
        for name in names:
            block.upload_from_file_object(io.BytesIO(name.encode()), f"many/{name}")
        target = tmp_path / "out"
        (target / "f01.txt").mkdir(parents=True)  # a folder where a file must go
        with pytest.raises(OSError) as error:
            block.download_folder_to_path("many", target, max_concurrency=1)
        described = "\n".join([str(error.value), *getattr(error.value, "__notes__", [])])
        assert "f01.txt" in described
        downloaded = sorted(p.name for p in target.iterdir() if p.is_file())
        assert "f00.txt" in downloaded
        assert len(downloaded) < len(names) - 10, "the failure did not cancel the other downloads"

    # -- async twins -----------------------------------------------------------------

    def test_async_twins_run_off_the_event_loop(
        self, block: ObjectStorageBlock, tmp_path: Path
    ) -> None:
        source = _write_tree(tmp_path / "src", TREE)

        async def main() -> tuple[int, list[str], bytes]:
            await block.aupload_from_file_object(io.BytesIO(BINARY), "async/obj.bin")
            out = io.BytesIO()
            await block.adownload_object_to_file_object("async/obj.bin", out)
            await block.aupload_from_path(source / "top.txt", "async/top.txt")
            await block.adownload_object_to_path("async/top.txt", tmp_path / "top.txt")
            await block.aupload_from_folder(source, "async-tree", progress=False)
            await block.adownload_folder_to_path("async-tree", tmp_path / "back", progress=False)
            return threading.get_ident(), await block.alist_paths("async"), out.getvalue()

        with (
            record_threads(block, "list_paths") as listed,
            record_threads(block, "upload_from_file_object") as uploaded,
        ):
            loop_thread, paths, data = asyncio.run(main())
        assert data == BINARY
        assert paths == block.list_paths("async") == ["async/obj.bin", "async/top.txt"]
        assert (tmp_path / "top.txt").read_bytes() == b"top"
        assert _tree(tmp_path / "back") == TREE
        assert listed, "alist_paths did not call list_paths"
        assert uploaded, "aupload_from_file_object did not upload"
        assert loop_thread not in listed + uploaded
