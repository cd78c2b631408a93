"""Block documents in the SQL store, as a mixin of :class:`SqlStore`.

Every method is a direct read or one write transaction: a document is either
saved whole or not at all. Records carry the document's plain JSON text; the
``data`` column holds it encrypted (Fernet, the key from
``HEADWATER_ENCRYPTION_KEY`` or the 0600 key file under ``HEADWATER_HOME``,
never from this database), exactly as the block layer wrote it before the
store took this over, so older databases read the same. The store never
interprets the JSON. A row that cannot be decrypted is read with ``error`` set
(see :class:`BlockDocumentRecord`); a bad or unreadable key raises
:class:`~headwater.errors.ConfigurationError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headwater._store.encryption import (
    DecryptionError,
    decrypt_document,
    encrypt_document,
    undecryptable_message,
)
from headwater._store.records import BlockDocumentRecord
from headwater._store.storable import check_block_document
from headwater.errors import ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from headwater._store.database import Database

__all__ = ["BlockDocumentsMixin"]

_COLUMNS = "id, block_type_slug, name, schema_version, data, created, updated"


def _record(row: Any) -> BlockDocumentRecord:
    """The record of ``row`` with its data decrypted (or ``error`` saying why it cannot be)."""
    record = BlockDocumentRecord(
        id=str(row[0]),
        block_type_slug=str(row[1]),
        name=str(row[2]),
        schema_version=int(row[3]),
        data="",
        created=float(row[5]),
        updated=float(row[6]),
    )
    try:
        record.data = decrypt_document(str(row[4]))
    except DecryptionError:
        record.error = undecryptable_message(f"{record.block_type_slug}/{record.name}")
    return record


class BlockDocumentsMixin:
    """Block document methods of the Store, for a class with ``_db`` and ``_check_open``."""

    _db: Database

    def _check_open(self) -> None:  # provided by SqlStore
        raise NotImplementedError

    def save_block_document(
        self, record: BlockDocumentRecord, *, overwrite: bool = False
    ) -> BlockDocumentRecord:
        self._check_open()
        check_block_document(record)
        label = f"{record.block_type_slug}/{record.name}"
        lock = self._db.dialect.for_update
        stored = encrypt_document(
            record.data
        )  # before the transaction: a key problem writes nothing

        def save(tx: Database) -> BlockDocumentRecord:
            row = tx.execute(
                f"SELECT id, created FROM block_documents "
                f"WHERE block_type_slug = ? AND name = ?{lock}",
                (record.block_type_slug, record.name),
            ).fetchone()
            if row is None:
                tx.execute(
                    f"INSERT INTO block_documents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.id,
                        record.block_type_slug,
                        record.name,
                        record.schema_version,
                        stored,
                        record.created,
                        record.updated,
                    ),
                )
                return BlockDocumentRecord(
                    record.id,
                    record.block_type_slug,
                    record.name,
                    record.schema_version,
                    record.data,
                    record.created,
                    record.updated,
                )
            if not overwrite:
                raise ObjectAlreadyExists(
                    f"a block document named {label!r} already exists; "
                    "pass overwrite=True to replace it"
                )
            existing_id = str(row[0])
            tx.execute(
                "UPDATE block_documents SET schema_version = ?, data = ?, updated = ? WHERE id = ?",
                (record.schema_version, stored, record.updated, existing_id),
            )
            return BlockDocumentRecord(
                existing_id,
                record.block_type_slug,
                record.name,
                record.schema_version,
                record.data,
                float(row[1]),
                record.updated,
            )

        try:
            return self._db.write(save)
        except ObjectAlreadyExists:
            raise
        except Exception as exc:
            # Two processes inserting the same new name at once: the loser sees the
            # unique constraint, which means exactly "name taken".
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            if self._db.dialect.is_integrity_error(cause):
                if overwrite:
                    return self.save_block_document(record, overwrite=True)
                raise ObjectAlreadyExists(
                    f"a block document named {label!r} already exists; "
                    "pass overwrite=True to replace it"
                ) from None
            raise

    def read_block_document(self, block_type_slug: str, name: str) -> BlockDocumentRecord:
        self._check_open()
        row = self._db.fetchone(
            f"SELECT {_COLUMNS} FROM block_documents WHERE block_type_slug = ? AND name = ?",
            (block_type_slug, name),
        )
        if row is None:
            raise ObjectNotFound(f"no block document named '{block_type_slug}/{name}'")
        return _record(row)

    def read_block_document_by_id(self, document_id: str) -> BlockDocumentRecord:
        self._check_open()
        row = self._db.fetchone(
            f"SELECT {_COLUMNS} FROM block_documents WHERE id = ?", (document_id,)
        )
        if row is None:
            raise ObjectNotFound(f"no block document with id {document_id!r}")
        return _record(row)

    def read_block_documents(self, block_type_slug: str | None = None) -> list[BlockDocumentRecord]:
        self._check_open()
        if block_type_slug is None:
            rows = self._db.fetchall(
                f"SELECT {_COLUMNS} FROM block_documents ORDER BY block_type_slug, name"
            )
        else:
            rows = self._db.fetchall(
                f"SELECT {_COLUMNS} FROM block_documents WHERE block_type_slug = ? ORDER BY name",
                (block_type_slug,),
            )
        return [_record(r) for r in rows]

    def delete_block_document(self, block_type_slug: str, name: str) -> None:
        self._check_open()

        def delete(tx: Database) -> int:
            return int(
                tx.execute(
                    "DELETE FROM block_documents WHERE block_type_slug = ? AND name = ?",
                    (block_type_slug, name),
                ).rowcount
            )

        if self._db.write(delete) == 0:
            raise ObjectNotFound(f"no block document named '{block_type_slug}/{name}'")
