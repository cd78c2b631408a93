"""Bring a database to the schema this code knows, safely from many processes.

Runs in one write transaction that holds the database's write lock (SQLite
``BEGIN IMMEDIATE``) or a per-schema advisory lock (PostgreSQL), so processes
opening a fresh database at the same time apply each migration exactly once.
"""

from __future__ import annotations

import time

from headwater._store.database import Database
from headwater._store.schema import LATEST_VERSION, MIGRATIONS
from headwater.errors import SchemaVersionError, StoreError

__all__ = ["current_version", "migrate"]

_CREATE_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied {real} NOT NULL)"
)


def current_version(db: Database) -> int:
    """The highest applied migration (0 for an empty database)."""
    row = db.fetchone("SELECT MAX(version) FROM schema_migrations")
    return int(row[0] or 0)


def migrate(db: Database) -> list[int]:
    """Apply pending migrations; returns the versions applied (empty when up to date).

    Raises SchemaVersionError when the database is newer than this code.
    """

    def apply(tx: Database) -> list[int]:
        tx.dialect.lock_migrations(tx.conn)
        real = "REAL" if tx.dialect.name == "sqlite" else "DOUBLE PRECISION"
        tx.execute(_CREATE_VERSION_TABLE.format(real=real))
        row = tx.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        version = int(row[0] or 0)
        if version > LATEST_VERSION:
            raise SchemaVersionError(
                f"the database at {tx.dialect.masked_url} has schema version {version}, "
                f"but this Headwater only knows versions up to {LATEST_VERSION}; "
                "upgrade headwater (or point HEADWATER_DATABASE_URL at another database)"
            )
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= version:
                continue
            for statement in migration.statements(tx.dialect.name):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            applied.append(migration.version)
        return applied

    try:
        return db.transaction(apply)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(
            f"cannot migrate the database at {db.dialect.masked_url}: {db.dialect.describe(exc)}"
        ) from exc
