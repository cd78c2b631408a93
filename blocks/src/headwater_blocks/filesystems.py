"""``RemoteFileSystem``: a WritableFileSystem over any fsspec URL.

``basepath`` is an fsspec URL (``s3://bucket/prefix``, ``gcs://bucket``,
``memory://scratch``, ``file:///data``...) and ``settings`` are the keyword
arguments of that file system (credentials included, hence a secret). Paths
given to :meth:`RemoteFileSystem.read_path` and
:meth:`RemoteFileSystem.write_path` are relative to ``basepath`` and may not
climb out of it. Because it is a WritableFileSystem, a saved RemoteFileSystem
is usable as ``result_storage``.
"""

from __future__ import annotations

import posixpath
import threading
from typing import Any

import fsspec
from fsspec.spec import AbstractFileSystem
from pydantic import Field, PrivateAttr, field_validator

from headwater.blocks import CheckResult, SecretDict, WritableFileSystem

__all__ = ["RemoteFileSystem"]


class RemoteFileSystem(WritableFileSystem):
    """Read and write files under a base URL on any fsspec file system.

    ``settings`` are passed to the fsspec file system (for example
    ``{"key": ..., "secret": ...}`` for ``s3://``); they are stored as a
    secret and may be a reference such as ``env://S3_SETTINGS_JSON``.
    The protocol's fsspec implementation must be installed (``s3fs`` for
    ``s3://``, ``gcsfs`` for ``gcs://``...).

    Example:
        ```python
        from headwater_blocks import RemoteFileSystem

        fs = RemoteFileSystem.load("BLOCK_NAME")
        fs.write_path("2024/summary.txt", b"ok")
        data = fs.read_path("2024/summary.txt")
        ```
    """

    basepath: str = Field(description="fsspec URL of the base folder, e.g. s3://bucket/prefix.")
    settings: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Keyword arguments for the fsspec file system (secret).",
    )

    _fs: AbstractFileSystem | None = PrivateAttr(default=None)
    _root: str = PrivateAttr(default="")
    _fs_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @field_validator("basepath")
    @classmethod
    def _check_basepath(cls, value: str) -> str:
        scheme, sep, rest = value.partition("://")
        if not sep or not scheme or (not rest.strip("/") and scheme != "memory"):
            raise ValueError(
                "basepath must be an fsspec URL with a protocol and a path, "
                f"like s3://bucket/prefix or memory://folder (got {value!r})"
            )
        try:
            fsspec.get_filesystem_class(scheme.split("::")[0])
        except (ImportError, ValueError) as exc:
            raise ValueError(f"basepath protocol {scheme!r} is not available: {exc}") from None
        return value

    def __getstate__(self) -> dict[Any, Any]:
        # The fsspec instance and its lock are a cache: never pickle them.
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_fs=None, _root="", _fs_lock=None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._fs_lock = threading.Lock()

    @property
    def filesystem(self) -> AbstractFileSystem:
        """The fsspec file system for ``basepath`` (created on first use and reused)."""
        fs = self._fs
        if fs is None:
            with self._fs_lock:
                if self._fs is None:
                    options = self.settings.get_secret_value()
                    fs, root = fsspec.core.url_to_fs(self.basepath, **dict(options or {}))
                    self._root = root.rstrip("/")
                    self._fs = fs
                fs = self._fs
        assert fs is not None
        return fs

    def _full_path(self, path: str, *, folder: bool = False) -> str:
        """``path`` joined to ``basepath``; refuses absolute paths and ``..`` that escape it.

        ``folder=True`` also accepts ``""`` and ``"."`` for basepath itself.
        """
        _ = self.filesystem  # makes sure _root is known
        if folder and path in ("", "."):
            return self._root
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"{type(self).__name__}: path must be a non-empty string")
        if "://" in path or path.startswith("/"):
            raise ValueError(
                f"{type(self).__name__}: path {path!r} must be relative to basepath {self.basepath!r}"
            )
        relative = posixpath.normpath(path.replace("\\", "/"))
        if relative in ("..", ".") or relative.startswith("../"):
            raise ValueError(
                f"{type(self).__name__}: path {path!r} escapes basepath {self.basepath!r}"
            )
        return f"{self._root}/{relative}" if self._root else relative

    def check(self) -> CheckResult:
        """List basepath (what ``headwater block check`` runs); the reason when that fails."""
        try:
            self.filesystem.exists(self._root or "/")
        except Exception as exc:
            return CheckResult(False, f"cannot reach {self.basepath}: {type(exc).__name__}: {exc}")
        return CheckResult(True, f"reached {self.basepath}")

    def read_path(self, path: str) -> bytes:
        """The bytes at ``path`` under basepath; ``FileNotFoundError`` naming it when missing."""
        full = self._full_path(path)
        try:
            data = self.filesystem.cat_file(full)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path!r} not found under {self.basepath}") from None
        return bytes(data)

    def read_head(self, path: str, size: int) -> bytes:
        """The first ``size`` bytes at ``path`` (result metadata is read without the payload)."""
        full = self._full_path(path)
        try:
            return bytes(self.filesystem.cat_file(full, start=0, end=size))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path!r} not found under {self.basepath}") from None

    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` to ``path`` under basepath (parents created); returns the full URL."""
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError(
                f"{type(self).__name__}.write_path: content must be bytes, not {type(content).__name__}"
            )
        full = self._full_path(path)
        fs = self.filesystem
        parent = posixpath.dirname(full)
        if parent:
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(full, bytes(content))
        return str(fs.unstrip_protocol(full))

    def exists(self, path: str) -> bool:
        """Whether ``path`` exists under basepath."""
        return bool(self.filesystem.exists(self._full_path(path)))

    def delete_path(self, path: str) -> None:
        """Remove the file at ``path`` under basepath (missing files are ignored)."""
        full = self._full_path(path)
        try:
            self.filesystem.rm_file(full)
        except FileNotFoundError:
            pass

    def list_paths(self, folder: str = "") -> list[str]:
        """Every file below ``folder`` (recursively), as paths relative to basepath, sorted."""
        full = self._full_path(folder, folder=True)
        fs = self.filesystem
        if not fs.exists(full):
            return []
        prefix = self._root + "/" if self._root else ""
        out = []
        for found in fs.find(full):
            name = str(found)
            if name.startswith(prefix):
                name = name[len(prefix) :]
            out.append(name.lstrip("/"))
        return sorted(out)
