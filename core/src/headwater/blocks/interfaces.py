"""Interfaces a block can implement, and that the rest of Headwater relies on.

Each is an abstract Block subclass with a small set of required methods and a
capability string (``get_block_capabilities()``). Where possible the rest is
derived from the primitives (folder uploads from file uploads), fsspec-style.
``CredentialsBlock`` (:mod:`headwater.blocks.credentials`), ``JobBlock`` /
``JobRun`` (:mod:`headwater.blocks.jobs`) and the storage interfaces
(:mod:`headwater.blocks.storage`) live in modules of their own and are
re-exported here. Each blocking method has an ``a``-prefixed async twin whose
default runs it in a worker thread (``asyncio.to_thread``); a block whose SDK is
natively async overrides the twin.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Any, ClassVar

from headwater.blocks.core import Block
from headwater.blocks.credentials import CheckResult, CredentialsBlock
from headwater.blocks.jobs import JobBlock, JobRun
from headwater.blocks.storage import ObjectStorageBlock, WritableFileSystem

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

    async def afetch_one(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        """:meth:`fetch_one`, off the event loop."""
        return await asyncio.to_thread(self.fetch_one, operation, parameters, **kwargs)

    async def afetch_many(
        self,
        operation: str,
        parameters: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        """:meth:`fetch_many`, off the event loop."""
        return await asyncio.to_thread(self.fetch_many, operation, parameters, size, **kwargs)

    async def afetch_all(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        """:meth:`fetch_all`, off the event loop."""
        return await asyncio.to_thread(self.fetch_all, operation, parameters, **kwargs)

    async def aexecute(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """:meth:`execute`, off the event loop."""
        await asyncio.to_thread(self.execute, operation, parameters, **kwargs)

    async def aexecute_many(
        self, operation: str, seq_of_parameters: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """:meth:`execute_many`, off the event loop."""
        await asyncio.to_thread(self.execute_many, operation, seq_of_parameters, **kwargs)


class NotificationBlock(Block):
    """Sends a notification."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"notify"})

    @abstractmethod
    def notify(self, body: str, subject: str | None = None) -> None: ...

    async def anotify(self, body: str, subject: str | None = None) -> None:
        """:meth:`notify`, off the event loop."""
        await asyncio.to_thread(self.notify, body, subject)


class SecretBlock(Block):
    """A secret kept in a secret store."""

    _block_capabilities: ClassVar[frozenset[str]] = frozenset({"secret"})

    @abstractmethod
    def read_secret(self) -> bytes: ...

    @abstractmethod
    def write_secret(self, secret_data: bytes) -> str:
        """Store ``secret_data``; returns where (a name, path or version id)."""

    async def aread_secret(self) -> bytes:
        """:meth:`read_secret`, off the event loop."""
        return await asyncio.to_thread(self.read_secret)

    async def awrite_secret(self, secret_data: bytes) -> str:
        """:meth:`write_secret`, off the event loop."""
        return await asyncio.to_thread(self.write_secret, secret_data)
