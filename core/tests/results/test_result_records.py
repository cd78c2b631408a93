"""Result records: persistence, expiry, corruption, path confinement, cross-process reads."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from headwater.errors import ConfigurationError, ResultNotFound
from headwater.results import (
    LocalResultStorage,
    ResultStore,
    read_result_record,
    register_storage_scheme,
    resolve_result_store,
)
from headwater.serializers import JSONSerializer, SerializationError
from headwater.settings import get_settings


def test_persist_and_read_back(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    result_key = store.persist("abc", {"rows": [1, 2, 3]})
    assert result_key == f"file://{tmp_path.resolve().as_posix()}#abc"
    assert store.read("abc") == {"rows": [1, 2, 3]}
    assert store.read(result_key) == {"rows": [1, 2, 3]}
    assert store.exists("abc")
    assert (tmp_path / "abc").is_file()


def test_record_header_names_serializer_and_version(tmp_path: Path) -> None:
    store = ResultStore(tmp_path, "json")
    store.persist("k", [1, 2])
    meta = store.read_metadata("k")
    assert meta.serializer == "json"
    assert meta.expiration is None
    assert meta.headwater_version
    assert abs(meta.created - time.time()) < 60
    # The record says its serializer, so a pickle-configured store reads it too.
    assert ResultStore(tmp_path).read("k") == [1, 2]


def test_default_storage_is_local_storage_path(headwater_home: Path) -> None:
    store = resolve_result_store(None, None)
    key = store.persist("default-key", 5)
    assert (get_settings().local_storage_path / "default-key").is_file()
    assert key.startswith("file://")
    assert str(headwater_home.resolve()) in key


def test_missing_record_names_key_and_location(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    with pytest.raises(ResultNotFound, match=r"'nope'.*" + str(tmp_path.resolve().name)):
        store.read("nope")
    assert not store.exists("nope")
    assert store.try_read("nope") is None


def test_expired_record_does_not_exist_but_can_still_be_read(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.persist("old", 1, expiration=time.time() - 1)
    store.persist("fresh", 2, expiration=dt.timedelta(hours=1))
    store.persist("forever", 3)
    assert not store.exists("old")
    assert store.try_read("old") is None
    assert store.read("old") == 1
    assert store.exists("fresh")
    record = store.try_read("fresh")
    assert record is not None
    assert record.value == 2
    assert store.exists("forever")


def test_expiration_forms(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    now = time.time()
    store.persist("ts", 1, expiration=now + 100)
    store.persist("secs", 1, expiration=100.0)
    store.persist("dt", 1, expiration=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=100))
    for k in ("ts", "secs", "dt"):
        exp = store.read_metadata(k).expiration
        assert exp is not None, k
        assert now + 90 < exp < now + 110, k
    with pytest.raises(ConfigurationError, match="expiration"):
        store.persist("bad", 1, expiration="soon")  # type: ignore[arg-type]


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.persist("k", "first")

    class Boom:
        def __reduce__(self) -> Any:
            raise RuntimeError("cannot pickle me")

    with pytest.raises(SerializationError, match="Boom"):
        store.persist("k", Boom())
    assert store.read("k") == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k"]


def test_failed_write_keeps_old_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = LocalResultStorage(tmp_path)
    storage.write_path("rec", b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        storage.write_path("rec", b"new content")
    monkeypatch.undo()
    assert storage.read_path("rec") == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda b: b"garbage" + b, "does not start with a result header"),
        (lambda b: b[:25], "header is incomplete"),
        (lambda b: b[:-3], "payload has"),
        (lambda b: b.replace(b'"length"', b'"lenxth"'), "header is unreadable"),
    ],
    ids=["magic", "header-cut", "truncated", "bad-header"],
)
def test_corrupted_record_is_reported_naming_the_file(
    tmp_path: Path, mangle: Any, message: str
) -> None:
    store = ResultStore(tmp_path)
    store.persist("rec", list(range(100)))
    path = tmp_path / "rec"
    path.write_bytes(mangle(path.read_bytes()))
    with pytest.raises(ResultNotFound, match=message) as info:
        store.read("rec")
    assert str(path.resolve()) in str(info.value)
    assert not store.exists("rec") or message == "payload has"
    assert store.try_read("rec") is None


def test_unreadable_payload_is_result_not_found(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    store.persist("rec", "hello")
    path = tmp_path / "rec"
    blob = path.read_bytes()
    path.write_bytes(blob[: -len(b"hello") - 5] + b"\xff" * (len(b"hello") + 5))
    with pytest.raises(ResultNotFound, match="cannot be read"):
        store.read("rec")


@pytest.mark.parametrize("bad", ["../escape", "a/../../escape", "/etc/passwd", "", "."])
def test_paths_are_confined_to_the_base_folder(tmp_path: Path, bad: str) -> None:
    storage = LocalResultStorage(tmp_path / "base")
    with pytest.raises(ValueError, match=repr(bad).strip("'") or "''"):
        storage.write_path(bad, b"x")
    with pytest.raises(ValueError):
        storage.read_path(bad)
    assert not (tmp_path / "escape").exists()


def test_confined_paths_inside_base_are_allowed(tmp_path: Path) -> None:
    storage = LocalResultStorage(tmp_path)
    storage.write_path("sub/dir/rec", b"1")
    storage.write_path(str(tmp_path / "abs-inside"), b"2")
    assert storage.read_path("sub/dir/rec") == b"1"
    assert storage.exists("abs-inside")
    assert storage.read_path("sub/../abs-inside") == b"2"


def test_symlink_escaping_base_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (base / "link").symlink_to(outside)
    with pytest.raises(ValueError, match="outside"):
        LocalResultStorage(base).write_path("link/rec", b"x")


def test_result_key_reads_in_another_store_instance(tmp_path: Path) -> None:
    key = ResultStore(tmp_path / "odd #folder", "json").persist(
        "sub/k#1", {"v": dt.date(2024, 1, 2)}
    )
    assert read_result_record(key) == {"v": dt.date(2024, 1, 2)}


def test_result_key_reads_in_another_process(tmp_path: Path) -> None:
    key = ResultStore(tmp_path).persist("xproc", {"answer": 42})
    code = f"from headwater.results import read_result_record; print(read_result_record({key!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'answer': 42}"


def test_read_result_record_rejects_malformed_keys() -> None:
    with pytest.raises(ResultNotFound, match="not a result key"):
        read_result_record("just-a-key")
    with pytest.raises(ResultNotFound, match="no result storage is registered for s9://"):
        read_result_record("s9://bucket#key")


class MemoryFS:
    """A WritableFileSystem-shaped object: read_path/write_path only."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def read_path(self, path: str) -> bytes:
        try:
            return self.files[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    def write_path(self, path: str, content: bytes) -> None:
        self.files[path] = content


def test_block_like_storage_object(tmp_path: Path) -> None:
    fs = MemoryFS()
    store = resolve_result_store(fs, JSONSerializer())
    key = store.persist("k", [1, 2])
    assert list(fs.files) == ["k"]
    assert store.read("k") == [1, 2]
    assert store.exists("k")
    assert not store.exists("other")
    assert read_result_record(key) == [1, 2]  # same process: found through the registry
    with pytest.raises(ResultNotFound, match="no result record 'other'"):
        store.read("other")


def test_registered_scheme_opens_storage() -> None:
    fs = MemoryFS()
    fs.storage_url = "memtest://bucket"  # type: ignore[attr-defined]
    register_storage_scheme("memtest", lambda location: fs)
    key = ResultStore(fs).persist("k", "v")
    assert key == "memtest://bucket#k"
    assert read_result_record(key) == "v"


def test_resolve_result_store_rejects_bad_storage() -> None:
    with pytest.raises(ConfigurationError, match="result_storage"):
        resolve_result_store(42, None)  # type: ignore[arg-type]


def test_resolve_result_store_reuses_default_store_and_follows_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_result_store(None, None) is resolve_result_store(None, None)
    assert resolve_result_store(None, "json").serializer.type == "json"
    monkeypatch.setenv("HEADWATER_LOCAL_STORAGE_PATH", str(tmp_path / "elsewhere"))
    from headwater.settings import reset_settings

    reset_settings()
    store = resolve_result_store(None, None)
    assert store.storage.basepath == (tmp_path / "elsewhere").resolve()


def test_concurrent_writers_of_the_same_key_leave_a_whole_record(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    values = [list(range(i, i + 2000)) for i in range(8)]

    def write(v: list[int]) -> None:
        for _ in range(5):
            store.persist("shared", v)

    threads = [threading.Thread(target=write, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert store.read("shared") in values
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared"]


def test_compressed_record_reads_back_through_its_header(tmp_path: Path) -> None:
    key = ResultStore(tmp_path, "compressed/json").persist("c", {"a": [1, 2, 3] * 100})
    assert ResultStore(tmp_path).read_metadata("c").serializer == "compressed/json"
    assert read_result_record(key) == {"a": [1, 2, 3] * 100}
