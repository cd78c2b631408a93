"""headwater.blocks.paths (relative-path rules) and headwater.blocks.transfers (the pool)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from headwater.blocks.paths import landing_path, object_path
from headwater.blocks.transfers import download_target, run_transfers


@pytest.mark.parametrize(
    ("path", "folder", "expected"),
    [
        ("a//b/./c.txt", False, "a/b/c.txt"),
        ("a/x/../c.txt", False, "a/c.txt"),
        ("", True, ""),
        (".", True, ""),
        ("sub/", True, "sub"),
    ],
)
def test_object_path_normalises(path: str, folder: bool, expected: str) -> None:
    assert object_path(path, folder=folder) == expected


@pytest.mark.parametrize(
    ("path", "folder", "why"),
    [
        ("/abs", False, "relative"),
        ("s3://b/k", True, "relative"),
        ("..", True, "climbs out"),
        ("a/../../b", False, "climbs out"),
        ("", False, "must name an object"),
        ("d/", False, "names a folder"),
        ("a/..", False, "names the folder itself"),
    ],
)
def test_object_path_refuses_naming_the_path(path: str, folder: bool, why: str) -> None:
    with pytest.raises(ValueError, match=why) as error:
        object_path(path, what="to_path", folder=folder)
    assert "to_path" in str(error.value)
    if path:
        assert repr(path) in str(error.value)


def test_landing_path_stays_inside_the_root(tmp_path: Path) -> None:
    assert landing_path(tmp_path, "f", "f/a/b.txt") == (tmp_path / "a" / "b.txt").resolve()
    assert landing_path(tmp_path, "", "a.txt") == (tmp_path / "a.txt").resolve()
    for bad in ("f/../../x", "f/../f2/../../x", "/etc/passwd"):
        with pytest.raises(ValueError, match="outside"):
            landing_path(tmp_path, "" if bad.startswith("/") else "f", bad)
    with pytest.raises(ValueError, match="not inside it"):
        landing_path(tmp_path, "f", "g/a.txt")


def test_every_failure_and_the_cancelled_count_are_reported() -> None:
    both_running = threading.Barrier(2, timeout=10)

    def fail(name: str) -> None:
        both_running.wait()  # the two failures run at the same time
        raise OSError(f"{name} broke")

    ran: list[int] = []
    jobs = [("a.bin", lambda: fail("a")), ("b.bin", lambda: fail("b"))]
    jobs += [(f"later-{i}", lambda: ran.append(1)) for i in range(50)]
    with pytest.raises(OSError, match="broke") as error:
        run_transfers(jobs, max_concurrency=2, description="test", progress=False)
    first = str(error.value)[0]  # "a" or "b": whichever failure was seen first
    other = "b" if first == "a" else "a"
    notes = error.value.__notes__
    assert notes[0] == f"while transferring {first}.bin"
    assert f"{other}.bin failed too: OSError: {other} broke" in notes
    cancelled = 50 - len(ran)  # every job either ran or was cancelled: none is lost
    assert cancelled > 0
    assert f"{cancelled} transfer(s) not started were cancelled" in notes


def test_nothing_starts_after_the_first_failure_however_slow_the_caller_is() -> None:
    """One worker, a failure at the second job: exactly the first job ran before it,
    and none after it, even though this thread is busy when the failure happens."""
    started: list[int] = []
    busy = threading.Event()

    def job(index: int) -> None:
        started.append(index)
        if index == 1:
            busy.wait(0.5)  # give the lone worker every chance to race ahead
            raise OSError("job 1 broke")

    jobs = [(f"job-{i}", lambda i=i: job(i)) for i in range(40)]
    with pytest.raises(OSError, match="job 1 broke") as error:
        run_transfers(jobs, max_concurrency=1, description="test", progress=False)
    assert started == [0, 1]
    assert error.value.__notes__ == [
        "while transferring job-1",
        "38 transfer(s) not started were cancelled",
    ]


def test_max_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_transfers([], max_concurrency=0, description="x")


def test_download_target_removes_only_the_folders_it_made(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError), download_target(tmp_path / "kept" / "new" / "deeper" / "f"):
        raise RuntimeError("download failed")
    assert (tmp_path / "kept").is_dir()
    assert not (tmp_path / "kept" / "new").exists()
    with pytest.raises(IsADirectoryError):
        download_target(tmp_path / "kept").__enter__()
