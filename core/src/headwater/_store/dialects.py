"""What differs between SQLite and PostgreSQL: connecting, placeholders,
locking, and which errors are worth retrying.

Every query in the store is written once with ``?`` placeholders and
unqualified table names; a :class:`Dialect` turns it into what its driver
wants. psycopg is imported only when a ``postgresql://`` URL is opened, so
``import headwater`` never pays for it.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Protocol

from headwater._files import create_private_file
from headwater.errors import ConfigurationError, StoreError
from headwater.settings import mask_url_password

__all__ = [
    "DBConnection",
    "Dialect",
    "PostgresDialect",
    "SqliteDialect",
    "dialect_for_url",
]

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long one SQLite statement waits for a lock before the retry loop takes over."""


class DBConnection(Protocol):
    """The slice of a DB-API connection the store uses."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def cursor(self) -> Any: ...

    def close(self) -> None: ...


class Dialect:
    """One database engine, bound to one URL."""

    name: str = ""
    begin_write: str = "BEGIN"
    """Starts a transaction that will write (SQLite takes the write lock at once)."""
    row_order: str = "seq"
    """Column giving insertion order of flow_runs/task_runs rows."""
    for_update: str = ""
    """Suffix that locks selected rows until the transaction ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.masked_url = mask_url_password(url)
        self._sql_cache: dict[str, str] = {}

    def connect(self) -> DBConnection:
        raise NotImplementedError

    def sql(self, query: str) -> str:
        """``query`` with this driver's placeholders."""
        return query

    def is_transient(self, exc: BaseException) -> bool:
        """True when retrying the whole transaction may succeed (locks, deadlocks)."""
        return False

    def is_integrity_error(self, exc: BaseException) -> bool:
        return False

    def lock_migrations(self, conn: DBConnection) -> None:
        """Serialise schema migrations across processes (inside the open transaction)."""

    def json_list_has(self, column: str, value: str) -> tuple[str, Any]:
        """A condition true when the JSON list of strings in ``column`` holds ``value``,
        with its one ``?`` parameter."""
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)", value

    def describe(self, exc: BaseException) -> str:
        """A one-line description of a driver error, with the URL's password masked."""
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text.replace(self.url, self.masked_url)


class SqliteDialect(Dialect):
    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    row_order = "rowid"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        path = url.split("://", 1)[1]
        if not path.startswith("/") or path == "/":
            raise ConfigurationError(
                f"HEADWATER_DATABASE_URL={self.masked_url!r} has no database file path; "
                "use sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        self.path = Path(path[1:])
        if str(self.path) in (":memory:", ""):
            raise ConfigurationError(
                f"HEADWATER_DATABASE_URL={self.masked_url!r}: in-memory SQLite is not supported "
                "(the store's writer thread and other processes need a file)"
            )

    def connect(self) -> DBConnection:
        try:
            # A new database (and its -wal/-shm files, which SQLite gives the database's
            # mode) is private: 0600 in a 0700 folder.
            create_private_file(self.path.expanduser())
            conn = sqlite3.connect(
                self.path.expanduser(),
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the SQLite database at {self.masked_url}: {self.describe(exc)}"
            ) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            _retry_pragma(conn, "PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = OFF")
        except sqlite3.Error as exc:
            conn.close()
            raise StoreError(
                f"cannot use the SQLite database at {self.masked_url}: {self.describe(exc)}"
            ) from exc
        return conn

    def is_transient(self, exc: BaseException) -> bool:
        if not isinstance(exc, sqlite3.OperationalError):
            return False
        text = str(exc).lower()
        return "locked" in text or "busy" in text

    def is_integrity_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)


def _retry_pragma(conn: sqlite3.Connection, pragma: str) -> None:
    """Switching to WAL needs a lock: a fresh file opened by several processes
    at once can see "database is locked" here, which we wait out."""
    import time

    delay, deadline = 0.005, time.monotonic() + 300
    while True:
        try:
            conn.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class PostgresDialect(Dialect):
    name = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        if url.startswith("postgresql+psycopg://"):
            url = "postgresql://" + url.split("://", 1)[1]
        self.conninfo = url

    def _psycopg(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise ConfigurationError(
                f"HEADWATER_DATABASE_URL={self.masked_url!r} needs the PostgreSQL driver: "
                'pip install "headwater[postgres]"'
            ) from exc
        return psycopg

    def connect(self) -> DBConnection:
        psycopg = self._psycopg()
        try:
            conn: DBConnection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at {self.masked_url}: {self.describe(exc)}"
            ) from exc
        return conn

    def sql(self, query: str) -> str:
        out = self._sql_cache.get(query)
        if out is None:
            out = self._sql_cache[query] = query.replace("?", "%s")
        return out

    def is_transient(self, exc: BaseException) -> bool:
        errors = self._psycopg().errors
        return isinstance(
            exc, errors.SerializationFailure | errors.DeadlockDetected | errors.LockNotAvailable
        )

    def is_integrity_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg().IntegrityError)

    def json_list_has(self, column: str, value: str) -> tuple[str, Any]:
        return f"({column})::jsonb @> ?::jsonb", json.dumps([value])

    def lock_migrations(self, conn: DBConnection) -> None:
        # One lock per schema, so stores in different search_path schemas don't wait on each other.
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('headwater-migrations:' || coalesce(current_schema(), '')))"
        )


def dialect_for_url(url: str) -> Dialect:
    """The dialect for ``url``; ConfigurationError (password masked) for anything else."""
    if url.startswith("sqlite://"):
        return SqliteDialect(url)
    if url.startswith(_PG_SCHEMES):
        return PostgresDialect(url)
    raise ConfigurationError(
        f"HEADWATER_DATABASE_URL={mask_url_password(url)!r} is not a sqlite:// or postgresql:// URL"
    )
