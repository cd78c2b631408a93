"""Interfaces a block can implement, and that the rest of Headwater relies on.

Each is an abstract Block subclass with a small set of required methods and a
capability string (``get_block_capabilities()``). Where possible the rest is
derived from the primitives (folder uploads from file uploads), fsspec-style.
``CredentialsBlock`` (:mod:`headwater.blocks.credentials`) and ``JobBlock`` /
``JobRun`` (:mod:`headwater.blocks.jobs`) live in modules of their own and are
re-exported here.
"""

from __future__ import annotations

import io
import os
from abc import abstractmethod
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from headwater.blocks.core import Block
from headwater.blocks.credentials import CheckResult, CredentialsBlock
from headwater.blocks.jobs import JobBlock, JobRun
from headwater.blocks.progress import transfer_progress

__all__ = [
    "CheckResult",
    "CredentialsBlock",
    "DatabaseBlock",
    "JobBlock",
    "JobRun",
    "NotificationBlock",
    "ObjectStorageBlock",
    "SecretBlock",
    "WritableFileSystem",
]


class WritableFileSystem(Block):
    """Bytes at relative paths: ``read_path`` and ``write_path``. Usable as result storage."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"read-path", "write-path"})

    @abstractmethod
    def read_path(self, path: str) -> bytes:
        """The bytes at ``path``; FileNotFoundError when there are none."""

    @abstractmethod
    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` at ``path``; returns where it went (a path or URL)."""

    @property
    def storage_url(self) -> str | None:
        """How result keys name this storage so any process can open it:
        ``block://slug/name`` once saved, else ``None`` (this process only)."""
        name = self.block_document_name
        return f"block://{type(self).get_block_type_slug()}/{name}" if name else None


class ObjectStorageBlock(Block):
    """Object storage (buckets, containers): upload and download files, file objects and folders.

    Implement ``upload_from_file_object``, ``download_object_to_file_object`` and
    ``list_paths``; paths and folders are derived from them. Vendor blocks add
    their own ``list_objects`` returning what users of that vendor expect
    (S3's object dictionaries, GCS blobs...).
    """

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"object-storage"})

    @abstractmethod
    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload the rest of ``from_file_object`` to ``to_path``; returns the object's path."""

    @abstractmethod
    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        """Write the object at ``from_path`` into ``to_file_object``; returns it."""

    def list_paths(self, folder: str = "") -> list[str]:
        """Paths of the objects under ``folder``, in the form ``download_object_to_path``
        accepts (needed by ``download_folder_to_path``)."""
        raise NotImplementedError(f"{type(self).__qualname__} does not implement list_paths")

    def upload_from_path(
        self, from_path: str | os.PathLike[str], to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        source = Path(from_path)
        with source.open("rb") as fh:
            return self.upload_from_file_object(fh, to_path or source.name, **upload_kwargs)

    def upload_from_folder(
        self,
        from_folder: str | os.PathLike[str],
        to_folder: str | None = None,
        *,
        progress: bool | None = None,
        **upload_kwargs: Any,
    ) -> str:
        """Upload every file under ``from_folder`` to ``to_folder`` (keeping relative paths).

        A progress bar is shown on a terminal; ``progress=False`` hides it,
        ``True`` forces it.
        """
        root = Path(from_folder)
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        prefix = (to_folder or "").strip("/")
        files = sorted(p for p in root.rglob("*") if p.is_file())
        with transfer_progress(len(files), f"uploading {root}", enabled=progress) as advance:
            for path in files:
                rel = path.relative_to(root).as_posix()
                self.upload_from_path(path, f"{prefix}/{rel}" if prefix else rel, **upload_kwargs)
                advance(1)
        return prefix

    def download_object_to_path(
        self, from_path: str, to_path: str | os.PathLike[str], **download_kwargs: Any
    ) -> Path:
        target = Path(to_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        self.download_object_to_file_object(from_path, buffer, **download_kwargs)
        target.write_bytes(buffer.getvalue())
        return target

    def download_folder_to_path(
        self,
        from_folder: str,
        to_folder: str | os.PathLike[str],
        *,
        progress: bool | None = None,
        **download_kwargs: Any,
    ) -> Path:
        """Download every object under ``from_folder`` into ``to_folder`` (keeping relative
        paths; an object that would land outside ``to_folder`` is refused).

        A progress bar is shown on a terminal; ``progress=False`` hides it.
        """
        root = Path(to_folder)
        prefix = from_folder.strip("/")
        keys = self.list_paths(prefix)
        with transfer_progress(
            len(keys), f"downloading {prefix or '/'}", enabled=progress
        ) as advance:
            for key in keys:
                rel = key[len(prefix) :].lstrip("/") if prefix and key.startswith(prefix) else key
                target = (root / rel).resolve()
                if not target.is_relative_to(root.resolve()):
                    raise ValueError(f"object {key!r} would be written outside {root}")
                self.download_object_to_path(key, target, **download_kwargs)
                advance(1)
        return root


class DatabaseBlock(Block):
    """A database: fetch rows and execute statements."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"database"})

    @abstractmethod
    def fetch_one(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any: ...

    @abstractmethod
    def fetch_many(
        self,
        operation: str,
        parameters: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> list[Any]: ...

    @abstractmethod
    def fetch_all(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]: ...

    @abstractmethod
    def execute(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> None: ...

    @abstractmethod
    def execute_many(
        self, operation: str, seq_of_parameters: list[dict[str, Any]], **kwargs: Any
    ) -> None: ...


class NotificationBlock(Block):
    """Sends a notification."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"notify"})

    @abstractmethod
    def notify(self, body: str, subject: str | None = None) -> None: ...


class SecretBlock(Block):
    """A secret kept in a secret store."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"secret"})

    @abstractmethod
    def read_secret(self) -> bytes: ...

    @abstractmethod
    def write_secret(self, secret_data: bytes) -> str:
        """Store ``secret_data``; returns where (a name, path or version id)."""
