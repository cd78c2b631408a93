"""The embedded SQL store (SQLite or PostgreSQL) behind :class:`Store`.

Buffered writes are a tuple put on the writer's queue (a few hundred
nanoseconds on the caller's thread; :class:`~headwater._store.buffered.BufferedWrites`). Reads first wait for this process's
pending writes, so a process always reads what it wrote, then query through a
separate connection. Direct writes (concurrency slots, deletes, crash
marking) run as retried transactions on that connection.

This module opens the database and holds the concurrency limits; each other
area is a mixin: runs, flows, states and logs (:mod:`headwater._store.runs`),
block documents, variables and artifacts.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from headwater._store import slots
from headwater._store.artifacts import ArtifactsMixin
from headwater._store.base import Store
from headwater._store.blocks import BlockDocumentsMixin
from headwater._store.buffered import BufferedWrites
from headwater._store.database import Database
from headwater._store.dialects import dialect_for_url
from headwater._store.migrations import migrate
from headwater._store.records import ConcurrencyLimitRecord
from headwater._store.runs import MIN_ID_PREFIX, SqlRunsMixin, order_clauses
from headwater._store.text import check_text
from headwater._store.variables import VariablesMixin
from headwater._store.writer import Writer
from headwater.errors import ObjectNotFound

__all__ = ["MIN_ID_PREFIX", "SqlStore"]


class SqlStore(
    BufferedWrites, SqlRunsMixin, BlockDocumentsMixin, VariablesMixin, ArtifactsMixin, Store
):
    """The :class:`Store` on a SQL database; one per process (see ``get_store``)."""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_seconds: float = 10.0,
        crash_after_seconds: float = 90.0,
        batch_size: int = 5000,
        batch_wait: float = 0.05,
    ) -> None:
        self.url = url
        self.pid = os.getpid()
        self.crash_after_seconds = crash_after_seconds
        self.dialect = dialect_for_url(url)
        self._db = Database(self.dialect)
        try:
            migrate(self._db)
            writer_db = Database(self.dialect)
        except BaseException:
            self._db.close()
            raise
        self._writer = Writer(
            writer_db,
            heartbeat_seconds=heartbeat_seconds,
            batch_size=batch_size,
            batch_wait=batch_wait,
        )
        self._put = self._writer.put
        self._closed = False
        self._last_crash_check = 0.0
        self._orders = order_clauses(self.dialect.row_order)

    def __repr__(self) -> str:
        return f"SqlStore({self.dialect.masked_url!r})"

    # -- BufferedWrites hooks ---------------------------------------------------
    def _describe(self) -> str:
        return f"the store at {self.dialect.masked_url}"

    def _close_connection(self) -> None:
        self._db.close()

    # -- concurrency limits ------------------------------------------------------
    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimitRecord:
        self._check_open()
        check_text("the concurrency limit tag", tag)
        slots.create_limit(self._db, tag, limit)
        return self.read_concurrency_limit(tag)

    def read_concurrency_limits(self) -> list[ConcurrencyLimitRecord]:
        self._check_open()
        return slots.read_limits(self._db)

    def read_concurrency_limit(self, tag: str) -> ConcurrencyLimitRecord:
        self._check_open()
        found = slots.read_limits(self._db, tag)
        if not found:
            raise ObjectNotFound(f"no concurrency limit for tag {tag!r}")
        return found[0]

    def delete_concurrency_limit(self, tag: str) -> None:
        self._check_open()
        slots.delete_limit(self._db, tag)

    def try_acquire_concurrency_slots(self, tags: Sequence[str], holder_id: str) -> bool:
        self._check_open()
        return slots.try_acquire_slots(self._db, tags, holder_id)

    def release_concurrency_slots(self, holder_id: str) -> None:
        self._check_open()
        slots.release_slots(self._db, holder_id)
