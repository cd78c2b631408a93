"""One database connection with the two things the store does with it: read,
and run a write transaction that is retried until the database lets it through.

"database is locked" (SQLite) and serialization failures or deadlocks
(PostgreSQL) are waited out with exponential backoff up to a long deadline,
so they never reach users. Anything else rolls back and propagates.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headwater._store.dialects import DBConnection, Dialect
from headwater.errors import HeadwaterError, StoreError

__all__ = ["SQLITE_CACHE_KIB", "TRANSIENT_DEADLINE_SECONDS", "Database"]

T = TypeVar("T")

SQLITE_CACHE_KIB = 32768
"""Page cache per SQLite connection (KiB; used only as pages are touched)."""

TRANSIENT_DEADLINE_SECONDS = 600.0
"""How long a write keeps retrying a locked database before it gives up."""


def _without_nul(params: Sequence[Any]) -> Sequence[Any]:
    """``params`` with NUL characters in strings replaced by U+FFFD.

    PostgreSQL refuses NUL in text; a task that prints binary data must not make the
    whole batch of records around it fail. SQLite stores them as they are.
    """
    if not any(type(v) is str and "\x00" in v for v in params):
        return params
    return [v.replace("\x00", "\ufffd") if type(v) is str else v for v in params]


class Database:
    """A connection that one thread at a time may use (guarded by ``lock``)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.conn: DBConnection = dialect.connect()
        if dialect.name == "sqlite":
            # A batch of thousands of runs dirties more pages than SQLite's default
            # 2 MiB cache holds; spilling them mid-transaction costs extra writes.
            self.conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        self.lock = threading.RLock()
        self._sql = dialect.sql
        self._strip_nul = dialect.name == "postgresql"

    # -- statements (call inside ``lock``) ---------------------------------------
    def execute(self, query: str, params: Sequence[Any] = ()) -> Any:
        if self._strip_nul:
            params = _without_nul(params)
        return self.conn.execute(self._sql(query), params)

    def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self._strip_nul:
            rows = [_without_nul(row) for row in rows]
        cur = self.conn.cursor()
        try:
            cur.executemany(self._sql(query), rows)
        finally:
            cur.close()

    # -- reads -----------------------------------------------------------------
    def fetchall(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._retrying(lambda: list(self.execute(query, params).fetchall()))

    def fetchone(self, query: str, params: Sequence[Any] = ()) -> Any:
        return self._retrying(lambda: self.execute(query, params).fetchone())

    def _retrying(self, fn: Callable[[], T]) -> T:
        delay, start = 0.005, time.monotonic()
        while True:
            with self.lock:
                try:
                    return fn()
                except HeadwaterError:
                    raise
                except Exception as exc:
                    if not self.dialect.is_transient(exc):
                        raise self._wrap(exc) from exc
                    if time.monotonic() - start > TRANSIENT_DEADLINE_SECONDS:
                        raise self._wrap(exc) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)

    # -- write transactions ----------------------------------------------------
    def transaction(self, fn: Callable[[Database], T], *, begin: str | None = None) -> T:
        """Run ``fn(self)`` in one write transaction, retried on lock contention.

        ``fn`` may run several times, so it must only touch the database (or be
        idempotent). Errors that are not transient roll back and propagate as
        they are; the caller decides how to report them.
        """
        delay, start = 0.005, time.monotonic()
        begin_sql = begin or self.dialect.begin_write
        while True:
            with self.lock:
                try:
                    self.conn.execute(begin_sql)
                    try:
                        result = fn(self)
                        self.conn.execute("COMMIT")
                        return result
                    except BaseException:
                        self._rollback()
                        raise
                except Exception as exc:
                    if not self.dialect.is_transient(exc):
                        raise
                    if time.monotonic() - start > TRANSIENT_DEADLINE_SECONDS:
                        raise StoreError(
                            f"the database at {self.dialect.masked_url} stayed locked for "
                            f"{TRANSIENT_DEADLINE_SECONDS:.0f} s"
                        ) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)

    def write(self, fn: Callable[[Database], T]) -> T:
        """:meth:`transaction` for direct writes: driver errors become StoreError."""
        try:
            return self.transaction(fn)
        except HeadwaterError:
            raise
        except Exception as exc:
            raise self._wrap(exc) from exc

    def _rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except Exception:
            pass  # nothing open (the failure ended it) or the connection is gone

    def _wrap(self, exc: BaseException) -> StoreError:
        return StoreError(
            f"the store at {self.dialect.masked_url} failed: {self.dialect.describe(exc)}"
        )

    def close(self) -> None:
        with self.lock:
            try:
                self.conn.close()
            except Exception:
                pass
