"""Local-file helpers shared by result storage and the LocalFileSystem block.

Both confine every path to a base folder and write files atomically; this is
the one place that does it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "confined_path"]


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
    never leaves a half-written file; returns the path written."""
    target.parent.mkdir(parents=True, exist_ok=True)
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
