"""The a-prefixed async twins of the block interfaces, and the Database and Secret suites.

The storage twins are exercised by the storage suites (LocalFileSystem, the
in-memory object store); here a small sqlite3 DatabaseBlock runs the
DatabaseSuite, the core's Secret runs the SecretSuite, and a notification
block shows ``anotify`` runs ``notify`` in a worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import PrivateAttr

from headwater.blocks import DatabaseBlock, NotificationBlock, Secret, SecretBlock
from headwater.blocks.errors import BlockSecretResolutionError
from headwater.testing import DatabaseSuite, SecretSuite


class SqliteDatabase(DatabaseBlock):
    """A DatabaseBlock over the standard library's sqlite3 (one shared connection)."""

    _block_type_slug: ClassVar[str] = "test-sqlite-database"
    path: str
    _connection: sqlite3.Connection | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, check_same_thread=False)
        return self._connection

    def _run(self, operation: str, parameters: dict[str, Any] | None) -> list[Any]:
        with self._lock, self._db() as db:
            return db.execute(operation, parameters or {}).fetchall()

    def fetch_one(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> Any:
        rows = self._run(operation, parameters)
        return rows[0] if rows else None

    def fetch_many(
        self,
        operation: str,
        parameters: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        return self._run(operation, parameters)[: size or 1]

    def fetch_all(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[Any]:
        return self._run(operation, parameters)

    def execute(
        self, operation: str, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        self._run(operation, parameters)

    def execute_many(
        self, operation: str, seq_of_parameters: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        with self._lock, self._db() as db:
            db.executemany(operation, seq_of_parameters)


class TestSqliteDatabaseConforms(DatabaseSuite):
    @pytest.fixture
    def block(self, tmp_path: Path) -> Iterator[DatabaseBlock]:
        db = SqliteDatabase(path=str(tmp_path / "suite.db"))
        yield db
        if db._connection is not None:
            db._connection.close()


class TestSecretConforms(SecretSuite):
    missing_errors = (BlockSecretResolutionError,)

    @pytest.fixture
    def block(self) -> SecretBlock:
        return Secret(value="initial")

    @pytest.fixture
    def missing_block(self, monkeypatch: pytest.MonkeyPatch) -> SecretBlock:
        monkeypatch.delenv("HW_SUITE_NEVER_SET", raising=False)
        return Secret(value="env://HW_SUITE_NEVER_SET")


class Recorder(NotificationBlock):
    _block_type_slug: ClassVar[str] = "test-recording-notification"
    _sent: list[tuple[str, str | None, int]] = PrivateAttr(default_factory=list)

    def notify(self, body: str, subject: str | None = None) -> None:
        self._sent.append((body, subject, threading.get_ident()))


def test_anotify_runs_notify_off_the_event_loop() -> None:
    block = Recorder()

    async def main() -> int:
        await block.anotify("body", "subject")
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    ((body, subject, thread),) = block._sent
    assert (body, subject) == ("body", "subject")
    assert thread != loop_thread


def test_a_natively_async_twin_overrides_the_default() -> None:
    class NativeRecorder(Recorder):
        _block_type_slug: ClassVar[str] = "test-native-notification"

        async def anotify(self, body: str, subject: str | None = None) -> None:
            self._sent.append((body, subject, threading.get_ident()))

    block = NativeRecorder()

    async def main() -> int:
        await block.anotify("hi")
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert block._sent == [("hi", None, loop_thread)]
