"""Artifacts in the SQL store, as a mixin of :class:`SqlStore`.

Creating a keyed artifact reads the key's latest version and inserts the next
one in the same write transaction; the unique index on ``(key, version)``
turns a race between two databases' writers into a retry, never a duplicate.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from headwater._store.records import ArtifactRecord
from headwater._store.storable import check_artifact
from headwater.errors import ObjectNotFound, StoreError

if TYPE_CHECKING:
    from headwater._store.database import Database

__all__ = ["ArtifactsMixin"]

_COLUMNS = "id, key, version, type, data, description, flow_run_id, task_run_id, created"
_RACE_RETRIES = 20


def _record(row: Any) -> ArtifactRecord:
    return ArtifactRecord(
        id=str(row[0]),
        key=None if row[1] is None else str(row[1]),
        version=int(row[2]),
        type=row[3],
        data=json.loads(row[4]),
        description=row[5],
        flow_run_id=row[6],
        task_run_id=row[7],
        created=float(row[8]),
    )


class ArtifactsMixin:
    """Artifact methods of the Store, for a class with ``_db`` and ``_check_open``."""

    _db: Database

    def _check_open(self) -> None:  # provided by SqlStore
        raise NotImplementedError

    def create_artifact(self, record: ArtifactRecord) -> ArtifactRecord:
        self._check_open()
        check_artifact(record)
        data = json.dumps(record.data, allow_nan=False)

        def insert(tx: Database) -> int:
            version = 1
            if record.key is not None:
                row = tx.execute(
                    "SELECT MAX(version) FROM artifacts WHERE key = ?", (record.key,)
                ).fetchone()
                version = 1 if row is None or row[0] is None else int(row[0]) + 1
            tx.execute(
                f"INSERT INTO artifacts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.key,
                    version,
                    record.type,
                    data,
                    record.description,
                    record.flow_run_id,
                    record.task_run_id,
                    record.created,
                ),
            )
            return version

        for _ in range(_RACE_RETRIES):
            try:
                version = self._db.write(insert)
            except StoreError as exc:
                cause = exc.__cause__ if exc.__cause__ is not None else exc
                if record.key is not None and self._db.dialect.is_integrity_error(cause):
                    continue  # another writer took this version first: take the next
                raise
            return ArtifactRecord(
                record.id,
                record.key,
                version,
                record.type,
                record.data,
                record.description,
                record.flow_run_id,
                record.task_run_id,
                record.created,
            )
        raise StoreError(f"could not pick a version for artifact key {record.key!r}")

    def read_artifact(self, artifact_id: str) -> ArtifactRecord:
        self._check_open()
        row = self._db.fetchone(f"SELECT {_COLUMNS} FROM artifacts WHERE id = ?", (artifact_id,))
        if row is None:
            raise ObjectNotFound(f"no artifact with id {artifact_id!r}")
        return _record(row)

    def read_latest_artifact(self, key: str) -> ArtifactRecord:
        self._check_open()
        row = self._db.fetchone(
            f"SELECT {_COLUMNS} FROM artifacts WHERE key = ? ORDER BY version DESC LIMIT 1",
            (key,),
        )
        if row is None:
            raise ObjectNotFound(f"no artifact with key {key!r}")
        return _record(row)

    def read_artifacts(
        self, *, key: str | None = None, flow_run_id: str | None = None, limit: int | None = None
    ) -> list[ArtifactRecord]:
        self._check_open()
        where: list[str] = []
        params: list[Any] = []
        if key is not None:
            where.append("key = ?")
            params.append(key)
        if flow_run_id is not None:
            where.append("flow_run_id = ?")
            params.append(flow_run_id)
        query = f"SELECT {_COLUMNS} FROM artifacts"
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY created DESC, version DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return [_record(r) for r in self._db.fetchall(query, params)]
