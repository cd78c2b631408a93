"""Variables in the SQL store, as a mixin of :class:`SqlStore`.

Each method is a direct read or one write transaction. Values and tags are
stored as JSON text; a value holding a lone surrogate, ``NaN`` or ``Infinity``
is refused with :class:`~headwater.errors.InvalidRequest` naming the field
(:mod:`headwater._store.text`), so what is stored can always be served.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from headwater._store.records import VariableRecord
from headwater._store.storable import check_variable
from headwater.errors import ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from headwater._store.database import Database

__all__ = ["VariablesMixin"]

_COLUMNS = "name, value, tags, created, updated"


def _record(row: Any) -> VariableRecord:
    return VariableRecord(
        name=str(row[0]),
        value=json.loads(row[1]),
        tags=list(json.loads(row[2])),
        created=float(row[3]),
        updated=float(row[4]),
    )


def _exists(name: str) -> ObjectAlreadyExists:
    return ObjectAlreadyExists(
        f"a variable named {name!r} already exists; pass overwrite=True to replace it"
    )


class VariablesMixin:
    """Variable methods of the Store, for a class with ``_db`` and ``_check_open``."""

    _db: Database

    def _check_open(self) -> None:  # provided by SqlStore
        raise NotImplementedError

    def save_variable(self, record: VariableRecord, *, overwrite: bool = False) -> VariableRecord:
        self._check_open()
        check_variable(record)
        value = json.dumps(record.value, allow_nan=False)
        tags = json.dumps(list(record.tags))
        lock = self._db.dialect.for_update

        def save(tx: Database) -> VariableRecord:
            row = tx.execute(
                f"SELECT {_COLUMNS} FROM variables WHERE name = ?{lock}", (record.name,)
            ).fetchone()
            if row is None:
                tx.execute(
                    f"INSERT INTO variables ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (record.name, value, tags, record.created, record.updated),
                )
                return VariableRecord(
                    record.name, record.value, list(record.tags), record.created, record.updated
                )
            if not overwrite:
                raise _exists(record.name)
            existing = _record(row)
            tx.execute(
                "UPDATE variables SET value = ?, tags = ?, updated = ? WHERE name = ?",
                (value, tags, record.updated, record.name),
            )
            return VariableRecord(
                record.name, record.value, list(record.tags), existing.created, record.updated
            )

        try:
            return self._db.write(save)
        except ObjectAlreadyExists:
            raise
        except Exception as exc:
            # Two writers inserting the same new name at once: the loser hits the key.
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            if self._db.dialect.is_integrity_error(cause):
                if overwrite:
                    return self.save_variable(record, overwrite=True)
                raise _exists(record.name) from None
            raise

    def read_variable(self, name: str) -> VariableRecord:
        self._check_open()
        row = self._db.fetchone(f"SELECT {_COLUMNS} FROM variables WHERE name = ?", (name,))
        if row is None:
            raise ObjectNotFound(f"no variable named {name!r}")
        return _record(row)

    def read_variables(self) -> list[VariableRecord]:
        self._check_open()
        rows = self._db.fetchall(f"SELECT {_COLUMNS} FROM variables ORDER BY name")
        return [_record(r) for r in rows]

    def delete_variable(self, name: str) -> None:
        self._check_open()

        def delete(tx: Database) -> int:
            return int(tx.execute("DELETE FROM variables WHERE name = ?", (name,)).rowcount)

        if self._db.write(delete) == 0:
            raise ObjectNotFound(f"no variable named {name!r}")
