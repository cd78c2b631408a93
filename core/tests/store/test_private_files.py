"""What Headwater creates on disk is private: HEADWATER_HOME and its folders 0700, the
SQLite database (with its -wal/-shm files), the key file, result files and
LocalFileSystem files 0600 (issue 11, item 17).

A real run in a fresh process with the common umask 022 (which would give 0755/0644)
creates a new HEADWATER_HOME; the modes are then read from disk.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from headwater._files import atomic_write, create_private_file, make_private_dir
from headwater.blocks.system import LocalFileSystem

SCRIPT = """
import os
os.umask(0o022)
from headwater import flow, task
from headwater.blocks.system import Secret

@task(persist_result=True)
def double(x: int) -> int:
    return 2 * x

@flow
def private() -> int:
    return double(21)

assert private() == 42
Secret(value="hunter2").save("pw")
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_and_everything_in_it_is_private(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update(HEADWATER_HOME=str(home), HEADWATER_PROGRESS="false")
    script = tmp_path / "run_private.py"
    script.write_text(textwrap.dedent(SCRIPT))
    subprocess.run(
        [sys.executable, str(script)], env=env, check=True, capture_output=True, timeout=120
    )
    assert _mode(home) == 0o700
    assert _mode(tmp_path / "new") == 0o700  # created by Headwater too
    databases = list(home.glob("headwater.db*"))
    assert home / "headwater.db" in databases
    for path in databases:  # the database and its -wal/-shm files
        assert _mode(path) == 0o600, path
    folders = [p for p in home.rglob("*") if p.is_dir()]
    files = [p for p in home.rglob("*") if p.is_file()]
    assert home / "storage" in folders
    assert any(p.parent == home / "storage" for p in files)  # a result was written
    for folder in folders:
        assert _mode(folder) == 0o700, folder
    for path in files:
        assert _mode(path) == 0o600, path


def test_existing_folders_and_files_keep_their_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    make_private_dir(shared / "a" / "b")
    assert _mode(shared) == 0o755
    assert _mode(shared / "a") == 0o700
    assert _mode(shared / "a" / "b") == 0o700
    db = shared / "existing.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    create_private_file(db)
    assert _mode(db) == 0o644
    create_private_file(shared / "new.db")
    assert _mode(shared / "new.db") == 0o600


def test_result_and_local_file_system_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = Path(atomic_write(tmp_path / "r" / "result.bin", b"x"))
        fs = LocalFileSystem(basepath=str(tmp_path / "lfs"))
        fs.write_path("sub/file.txt", b"data")
    finally:
        os.umask(old)
    assert _mode(written) == 0o600
    assert _mode(written.parent) == 0o700
    assert _mode(tmp_path / "lfs" / "sub" / "file.txt") == 0o600
    assert _mode(tmp_path / "lfs" / "sub") == 0o700
