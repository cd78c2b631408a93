"""Rewriting stored block documents to their classes' current schema versions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from headwater._store import get_store
from headwater.blocks import documents
from headwater.blocks.errors import BlockDocumentError, UnknownBlockType
from headwater.blocks.registry import get_block_class

__all__ = ["MigrationReport", "migrate_documents"]


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What migrating one document did (or would do, in a dry run)."""

    block_type_slug: str
    name: str
    from_version: int
    to_version: int
    changed_fields: list[str] = field(default_factory=list)
    """Top-level fields added, removed or changed by the migration."""
    applied: bool = False
    """True when the document was rewritten (never in a dry run)."""
    error: str | None = None
    """Why the document could not be migrated (it is left as it was)."""

    @property
    def reference(self) -> str:
        return f"{self.block_type_slug}/{self.name}"


def migrate_documents(*, dry_run: bool = False) -> list[MigrationReport]:
    """Migrate every stored document older than its class's schema version.

    Each document is migrated in memory, validated, and (unless ``dry_run``)
    rewritten in one atomic save; a document that fails is reported with its
    error and left untouched. Documents already current are not reported.
    """
    store = get_store()
    reports: list[MigrationReport] = []
    for record in store.read_block_documents():
        try:
            cls = get_block_class(record.block_type_slug)
        except UnknownBlockType as exc:
            reports.append(
                MigrationReport(
                    record.block_type_slug,
                    record.name,
                    record.schema_version,
                    record.schema_version,
                    error=str(exc),
                )
            )
            continue
        target = cls._block_schema_version
        if record.schema_version == target:
            continue
        try:
            before = documents.read_data(record)
            block = documents.decode_record(cls, record)
            after = documents.encode_data(block)
        except (BlockDocumentError, UnknownBlockType, ValueError) as exc:
            reports.append(
                MigrationReport(
                    record.block_type_slug,
                    record.name,
                    record.schema_version,
                    target,
                    error=str(exc),
                )
            )
            continue
        changed = sorted(
            key
            for key in set(before) | set(after)
            if json.dumps(before.get(key), sort_keys=True)
            != json.dumps(after.get(key), sort_keys=True)
            or (key in before) != (key in after)
        )
        applied = False
        if not dry_run:
            documents.save_document(block, record.name, overwrite=True)
            applied = True
        reports.append(
            MigrationReport(
                record.block_type_slug,
                record.name,
                record.schema_version,
                target,
                changed_fields=changed,
                applied=applied,
            )
        )
    return reports
