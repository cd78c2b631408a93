"""Drop every table of the store and build the schema again (``server database reset``).

Destructive by design: every flow run, task run, state, log, concurrency limit
and block document in the database is lost. The table names come from the
migrations themselves, so a table added by a later migration is dropped too.
Only the store's own tables are touched; other tables in the same database or
PostgreSQL schema are left alone.
"""

from __future__ import annotations

import re

from headwater._store import reset_store
from headwater._store.database import Database
from headwater._store.dialects import dialect_for_url
from headwater._store.migrations import current_version, migrate
from headwater._store.schema import MIGRATIONS
from headwater.errors import HeadwaterError, StoreError

__all__ = ["reset_database", "schema_version", "store_tables"]

_CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
_VERSION_TABLE = "schema_migrations"


def store_tables() -> list[str]:
    """The store's tables, newest first (so dependants are dropped before what they use)."""
    names: list[str] = []
    for migration in MIGRATIONS:
        for dialect_name in ("sqlite", "postgresql"):
            for statement in migration.statements(dialect_name):
                for name in _CREATE_TABLE.findall(statement):
                    if name not in names:
                        names.append(name)
    names.reverse()
    return [*names, _VERSION_TABLE]


def reset_database(url: str) -> int:
    """Drop the store's tables at ``url``, apply every migration; the new schema version.

    Closes this process's store first so none of its connections holds a lock.
    Other processes using the database must be stopped by the caller.
    """
    reset_store()
    dialect = dialect_for_url(url)
    db = Database(dialect)
    try:
        cascade = " CASCADE" if dialect.name != "sqlite" else ""

        def drop(tx: Database) -> None:
            for table in store_tables():
                tx.execute(f"DROP TABLE IF EXISTS {table}{cascade}")

        try:
            db.transaction(drop)
        except HeadwaterError:
            raise
        except Exception as exc:
            raise StoreError(
                f"cannot reset the database at {dialect.masked_url}: {dialect.describe(exc)}"
            ) from exc
        migrate(db)
        return current_version(db)
    finally:
        db.close()


def schema_version(url: str) -> int:
    """The schema version of the database at ``url`` (0 when it has no store yet)."""
    db = Database(dialect_for_url(url))
    try:
        has_table = db.dialect.name != "sqlite" or db.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_VERSION_TABLE,)
        )
        return current_version(db) if has_table else 0
    finally:
        db.close()
