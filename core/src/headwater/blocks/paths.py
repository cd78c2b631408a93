"""The relative-path rules of object storage, shared by every ObjectStorageBlock.

A path given to an object store is always *relative* to the store (its bucket,
container or folder). :func:`object_path` normalises it like a POSIX path
(``a//b`` and ``a/./b`` are ``a/b``, ``a/../b`` is ``b``) and refuses, with a
ValueError naming the path:

- a leading ``/`` or a URL (``s3://...``): paths are relative, never absolute;
- a ``..`` that climbs out of the store;
- ``""`` (or ``.``) where an object is meant (for a folder it means the root);
- a trailing ``/`` where an object is meant.

:func:`landing_path` is the rule of folder downloads: an object must land
inside the target folder.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

__all__ = ["landing_path", "object_path"]


def object_path(path: str, *, what: str = "path", folder: bool = False) -> str:
    """``path`` as a clean relative POSIX path (``""`` for the root, folders only).

    ``what`` names the argument in errors; ``folder=True`` accepts the root and a
    trailing ``/``.
    """
    if not isinstance(path, str):
        raise TypeError(f"{what} must be a string, not {type(path).__name__}")
    if "://" in path or path.startswith("/"):
        raise ValueError(f"{what} {path!r} must be a relative path (no leading '/', no URL)")
    if path in ("", "."):
        if folder:
            return ""
        raise ValueError(f"{what} must name an object; '' is only allowed for folders")
    if not folder and path.endswith("/"):
        raise ValueError(f"{what} {path!r} names a folder (trailing '/'), not an object")
    clean = posixpath.normpath(path)
    if clean == ".." or clean.startswith("../"):
        raise ValueError(f"{what} {path!r} climbs out of its folder with '..'")
    if clean == ".":
        if folder:
            return ""
        raise ValueError(f"{what} {path!r} names the folder itself, not an object")
    return clean


def landing_path(root: Path, folder: str, path: str) -> Path:
    """Where the object ``path``, listed under ``folder``, lands in the local folder ``root``
    (resolved); a ValueError naming ``path`` when it would land outside ``root`` (or on it)."""
    if folder and not path.startswith(folder + "/"):
        raise ValueError(f"object {path!r} was listed under {folder!r} but is not inside it")
    relative = path[len(folder) + 1 :] if folder else path
    resolved_root = root.resolve()
    target = (resolved_root / relative).resolve()
    if target == resolved_root or not target.is_relative_to(resolved_root):
        raise ValueError(f"object {path!r} would be written outside {root}")
    return target
