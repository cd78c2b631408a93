"""LocalFileSystem keeps every path inside its base folder and writes atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headwater.blocks import LocalFileSystem, WritableFileSystem
from headwater.testing import WritableFileSystemSuite


@pytest.mark.parametrize("bad", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "", "."])
def test_paths_that_leave_the_base_folder_are_refused(tmp_path: Path, bad: str) -> None:
    fs = LocalFileSystem(basepath=str(tmp_path / "base"))
    with pytest.raises(ValueError, match="LocalFileSystem: path") as err:
        fs.write_path(bad, b"x")
    assert repr(bad) in str(err.value)
    with pytest.raises(ValueError, match="LocalFileSystem: path"):
        fs.read_path(bad)
    assert not (tmp_path / "escape.txt").exists()


def test_symlink_out_of_the_base_folder_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", base / "link")
    fs = LocalFileSystem(basepath=str(base))
    with pytest.raises(ValueError, match="outside the base folder"):
        fs.write_path("link/file.txt", b"x")


def test_round_trip_inside_the_base_folder_leaves_no_temp_files(tmp_path: Path) -> None:
    fs = LocalFileSystem(basepath=str(tmp_path / "base"))
    written = fs.write_path("reports/2026/today.csv", b"a,b\n1,2\n")
    assert Path(written) == (tmp_path / "base" / "reports" / "2026" / "today.csv").resolve()
    assert fs.read_path("reports/2026/today.csv") == b"a,b\n1,2\n"
    assert fs.read_path("reports/./2026/../2026/today.csv") == b"a,b\n1,2\n"
    assert [p.name for p in (tmp_path / "base" / "reports" / "2026").iterdir()] == ["today.csv"]


def test_saved_and_loaded_block_keeps_its_confinement(tmp_path: Path) -> None:
    LocalFileSystem(basepath=str(tmp_path / "base")).save("confined")
    fs = LocalFileSystem.load("confined")
    fs.write_path("ok.txt", b"fine")
    with pytest.raises(ValueError, match="outside the base folder"):
        fs.write_path("../nope.txt", b"x")


class TestLocalFileSystemConforms(WritableFileSystemSuite):
    @pytest.fixture
    def block(self, tmp_path: Path) -> WritableFileSystem:
        return LocalFileSystem(basepath=str(tmp_path / "base"))
