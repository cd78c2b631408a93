"""Storage interfaces: ``WritableFileSystem`` (bytes at paths) and ``ObjectStorageBlock``.

An object store implements three primitives (``upload_from_file_object``,
``download_object_to_file_object``, ``list_paths``) and gets from this class
everything else: files, folders on a bounded thread pool with first-failure
cancellation and a progress bar (:mod:`headwater.blocks.transfers`), the
relative-path rules (:mod:`headwater.blocks.paths`) and ``a``-prefixed async
twins. S3 today and other stores tomorrow inherit them instead of rewriting them.
"""

from __future__ import annotations

import asyncio
import io
import os
from abc import abstractmethod
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from headwater.blocks.core import Block
from headwater.blocks.paths import landing_path, object_path
from headwater.blocks.transfers import download_target, run_transfers

__all__ = ["DEFAULT_MAX_CONCURRENCY", "ObjectStorageBlock", "WritableFileSystem"]

DEFAULT_MAX_CONCURRENCY = 10


class WritableFileSystem(Block):
    """Bytes at relative paths: ``read_path`` and ``write_path``. Usable as result storage.

    ``aread_path`` and ``awrite_path`` run them in a worker thread; a block with a
    natively async SDK may override them.
    """

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"read-path", "write-path"})

    @abstractmethod
    def read_path(self, path: str) -> bytes:
        """The bytes at ``path``; FileNotFoundError when there are none."""

    @abstractmethod
    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` at ``path``; returns where it went (a path or URL)."""

    async def aread_path(self, path: str) -> bytes:
        """:meth:`read_path`, off the event loop."""
        return await asyncio.to_thread(self.read_path, path)

    async def awrite_path(self, path: str, content: bytes) -> str:
        """:meth:`write_path`, off the event loop."""
        return await asyncio.to_thread(self.write_path, path, content)

    @property
    def storage_url(self) -> str | None:
        """How result keys name this storage so any process can open it:
        ``block://slug/name`` once saved, else ``None`` (this process only)."""
        name = self.block_document_name
        return f"block://{type(self).get_block_type_slug()}/{name}" if name else None


class ObjectStorageBlock(Block):
    """Object storage (buckets, containers): upload and download files, file objects and folders.

    Implement ``upload_from_file_object``, ``download_object_to_file_object`` and
    ``list_paths``, checking paths with :meth:`object_path`; files and folders
    are derived from them. Vendor blocks add their own ``list_objects`` returning
    what users of that vendor expect (S3's object dictionaries, GCS blobs...).

    Folder transfers run ``max_concurrency`` files at a time (a per-call argument;
    by default the block's ``max_concurrency`` field when it declares one, else
    10: see :meth:`folder_concurrency`); the first failure
    cancels what has not started, waits for what is running and is raised
    naming its file or object. Every method has an async twin (``a`` prefix)
    that runs it in a worker thread.
    """

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"object-storage"})

    # -- primitives ------------------------------------------------------------------

    @abstractmethod
    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload the rest of ``from_file_object`` to ``to_path``; returns the object's path."""

    @abstractmethod
    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        """Write the object at ``from_path`` into ``to_file_object``; returns it.
        FileNotFoundError (or a subclass) when there is no such object."""

    def list_paths(self, folder: str = "") -> list[str]:
        """Paths of the objects under ``folder``, sorted, in the form
        ``download_object_to_path`` accepts (each starts with ``folder/``)."""
        raise NotImplementedError(f"{type(self).__qualname__} does not implement list_paths")

    # -- hooks -----------------------------------------------------------------------

    def object_path(self, path: str, *, what: str = "path", folder: bool = False) -> str:
        """``path`` checked and normalised by the relative-path rules
        (:func:`headwater.blocks.paths.object_path`); implementations call it."""
        return object_path(path, what=what, folder=folder)

    def check_upload_kwargs(self, upload_kwargs: dict[str, Any]) -> None:
        """Refuse bad upload arguments before a folder upload starts (default: accept all)."""

    def check_download_kwargs(self, download_kwargs: dict[str, Any]) -> None:
        """Refuse bad download arguments before a folder download starts (default: accept all)."""

    def folder_concurrency(self, requested: int | None = None) -> int:
        """How many files a folder transfer moves at once: ``requested`` when given, else
        the block's ``max_concurrency`` field when it declares one, else
        :data:`DEFAULT_MAX_CONCURRENCY` (10)."""
        if requested is not None:
            return requested
        configured = getattr(self, "max_concurrency", None)
        return configured if isinstance(configured, int) else DEFAULT_MAX_CONCURRENCY

    def folder_location(self, folder: str) -> str:
        """What ``upload_from_folder`` returns for the normalised ``folder`` (default: itself)."""
        return folder

    # -- files -----------------------------------------------------------------------

    def upload_from_path(
        self, from_path: str | os.PathLike[str], to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        """Upload the file ``from_path`` to ``to_path`` (default: the file's name)."""
        source = Path(from_path)
        if not source.is_file():
            raise FileNotFoundError(f"{source} is not a file")
        target = self.object_path(source.name if to_path is None else to_path, what="to_path")
        with source.open("rb") as fh:
            return self.upload_from_file_object(fh, target, **upload_kwargs)

    def download_object_to_path(
        self, from_path: str, to_path: str | os.PathLike[str], **download_kwargs: Any
    ) -> Path:
        """Download the object at ``from_path`` to the file ``to_path`` (parent folders are
        created). The file appears only once complete: a failed download leaves nothing."""
        source = self.object_path(from_path, what="from_path")
        with download_target(to_path) as target:
            buffer = io.BytesIO()
            self.download_object_to_file_object(source, buffer, **download_kwargs)
            partial_file = target.with_name(f".{target.name}.part")
            try:
                partial_file.write_bytes(buffer.getvalue())
                partial_file.replace(target)
            except BaseException:
                partial_file.unlink(missing_ok=True)
                raise
        return target

    # -- folders ---------------------------------------------------------------------

    def upload_from_folder(
        self,
        from_folder: str | os.PathLike[str],
        to_folder: str | None = None,
        *,
        progress: bool | None = None,
        max_concurrency: int | None = None,
        **upload_kwargs: Any,
    ) -> str:
        """Upload every file under ``from_folder`` to ``to_folder`` (keeping relative paths),
        ``max_concurrency`` files at a time (default: :meth:`folder_concurrency`); returns
        the folder (``folder_location``).

        A progress bar is shown on a terminal; ``progress=False`` hides it,
        ``True`` forces it.
        """
        root = Path(from_folder)
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder")
        folder = self.object_path(to_folder or "", folder=True, what="to_folder")
        self.check_upload_kwargs(upload_kwargs)
        jobs = []
        for source in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = source.relative_to(root).as_posix()
            target = f"{folder}/{rel}" if folder else rel
            jobs.append(
                (str(source), partial(self.upload_from_path, source, target, **upload_kwargs))
            )
        run_transfers(
            jobs,
            max_concurrency=self.folder_concurrency(max_concurrency),
            description=f"uploading {root}",
            progress=progress,
        )
        return self.folder_location(folder)

    def download_folder_to_path(
        self,
        from_folder: str,
        to_folder: str | os.PathLike[str],
        *,
        progress: bool | None = None,
        max_concurrency: int | None = None,
        **download_kwargs: Any,
    ) -> Path:
        """Download every object under ``from_folder`` into ``to_folder`` (keeping relative
        paths), ``max_concurrency`` objects at a time (default: :meth:`folder_concurrency`).
        An object that would land outside ``to_folder`` is refused (a ValueError naming
        it) before anything is downloaded.

        A progress bar is shown on a terminal; ``progress=False`` hides it.
        """
        root = Path(to_folder)
        folder = self.object_path(from_folder, folder=True, what="from_folder")
        self.check_download_kwargs(download_kwargs)
        jobs = []
        for path in self.list_paths(folder):
            target = landing_path(root, folder, path)
            jobs.append(
                (path, partial(self.download_object_to_path, path, target, **download_kwargs))
            )
        root.mkdir(parents=True, exist_ok=True)
        run_transfers(
            jobs,
            max_concurrency=self.folder_concurrency(max_concurrency),
            description=f"downloading {folder or '/'}",
            progress=progress,
        )
        return root

    # -- async twins -----------------------------------------------------------------

    async def aupload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        """:meth:`upload_from_file_object`, off the event loop."""
        return await asyncio.to_thread(
            self.upload_from_file_object, from_file_object, to_path, **upload_kwargs
        )

    async def adownload_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        """:meth:`download_object_to_file_object`, off the event loop."""
        return await asyncio.to_thread(
            self.download_object_to_file_object, from_path, to_file_object, **download_kwargs
        )

    async def alist_paths(self, folder: str = "") -> list[str]:
        """:meth:`list_paths`, off the event loop."""
        return await asyncio.to_thread(self.list_paths, folder)

    async def aupload_from_path(
        self, from_path: str | os.PathLike[str], to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        """:meth:`upload_from_path`, off the event loop."""
        return await asyncio.to_thread(self.upload_from_path, from_path, to_path, **upload_kwargs)

    async def adownload_object_to_path(
        self, from_path: str, to_path: str | os.PathLike[str], **download_kwargs: Any
    ) -> Path:
        """:meth:`download_object_to_path`, off the event loop."""
        return await asyncio.to_thread(
            self.download_object_to_path, from_path, to_path, **download_kwargs
        )

    async def aupload_from_folder(
        self,
        from_folder: str | os.PathLike[str],
        to_folder: str | None = None,
        *,
        progress: bool | None = None,
        max_concurrency: int | None = None,
        **upload_kwargs: Any,
    ) -> str:
        """:meth:`upload_from_folder`, off the event loop."""
        return await asyncio.to_thread(
            self.upload_from_folder,
            from_folder,
            to_folder,
            progress=progress,
            max_concurrency=max_concurrency,
            **upload_kwargs,
        )

    async def adownload_folder_to_path(
        self,
        from_folder: str,
        to_folder: str | os.PathLike[str],
        *,
        progress: bool | None = None,
        max_concurrency: int | None = None,
        **download_kwargs: Any,
    ) -> Path:
        """:meth:`download_folder_to_path`, off the event loop."""
        return await asyncio.to_thread(
            self.download_folder_to_path,
            from_folder,
            to_folder,
            progress=progress,
            max_concurrency=max_concurrency,
            **download_kwargs,
        )
