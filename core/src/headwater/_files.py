"""Local-file helpers shared by result storage, the LocalFileSystem block and the store.

Both confine every path to a base folder and write files atomically; this is
the one place that does it. Whatever Headwater creates is private to the user:
folders 0700 (:func:`make_private_dir`), files 0600 (:func:`atomic_write`,
:func:`create_private_file`); folders and files that already exist keep their mode.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "confined_path", "create_private_file", "make_private_dir"]


def make_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (existing folders are left
    as they are); returns ``path``."""
    missing = []
    current = path
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder is made private)."""
    make_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def confined_path(base: Path, path: str | os.PathLike[str], *, owner: str) -> Path:
    """``base / path`` resolved, refusing anything that leaves ``base`` (``..``, absolute
    paths, symlinks out) or names ``base`` itself. ``owner`` names the storage in errors."""
    raw = os.fspath(path)
    if not raw or raw in {".", "/"}:
        raise ValueError(f"{owner}: path {raw!r} does not name a file inside {base}")
    full = (base / raw).resolve()
    if full == base or not full.is_relative_to(base):
        raise ValueError(f"{owner}: path {raw!r} is outside the base folder {base}")
    return full


def atomic_write(target: Path, content: bytes) -> str:
    """Write ``content`` to ``target`` through a temp file, fsync and rename, so a crash
    never leaves a half-written file; returns the path written. A new file has mode 0600
    (``mkstemp``'s), new folders 0700."""
    make_private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)
