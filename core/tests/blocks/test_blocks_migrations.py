"""Schema versions: in-memory migration on load, migrate_documents (dry run and real)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, BlockDocumentError, migrate_documents


def _define(version: int) -> type[Block]:
    """The same block type at schema ``version`` (same qualname: redefinition replaces it)."""
    if version == 1:

        class MigrationTestBlock(Block):
            """Version 1: host and port in one field."""

            address: str
            password: SecretStr

        return MigrationTestBlock

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        host, _, port = data.pop("address").partition(":")
        return {**data, "host": host, "port": int(port or 5432)}

    def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "sslmode": "require"}

    class MigrationTestBlock(Block):  # type: ignore[no-redef]
        """Version 3: host, port and sslmode."""

        _block_schema_version = 3
        _block_migrations = {1: v1_to_v2, 2: v2_to_v3}

        # Field order differs from the stored document on purpose: it never matters.
        sslmode: str
        port: int
        host: str
        password: SecretStr

    return MigrationTestBlock


def test_old_document_is_migrated_in_memory_and_by_migrate_documents(store_url: str) -> None:
    old = _define(1)
    old(address="db.example:6543", password="pw-migrate-1").save("legacy")
    old(address="other.example", password="pw-migrate-2").save("legacy-two")

    new = _define(3)
    loaded: Any = new.load("legacy")
    assert (loaded.host, loaded.port, loaded.sslmode) == ("db.example", 6543, "require")
    assert loaded.password.get_secret_value() == "pw-migrate-1"
    # Loading does not rewrite the document.
    assert {d.schema_version for d in new.list_documents()} == {1}

    dry = migrate_documents(dry_run=True)
    assert [(r.reference, r.from_version, r.to_version, r.applied) for r in dry] == [
        ("migration-test-block/legacy", 1, 3, False),
        ("migration-test-block/legacy-two", 1, 3, False),
    ]
    assert dry[0].changed_fields == ["address", "host", "port", "sslmode"]
    assert dry[0].error is None
    assert {d.schema_version for d in new.list_documents()} == {1}

    done = migrate_documents()
    assert [r.applied for r in done] == [True, True]
    assert {d.schema_version for d in new.list_documents()} == {3}
    two: Any = new.load("legacy-two")
    assert (two.host, two.port) == ("other.example", 5432)
    assert migrate_documents() == []  # nothing left to do


def test_document_newer_than_the_class_is_refused() -> None:
    _define(3)(host="h", port=1, sslmode="off", password="pw-newer-1").save("future")
    old = _define(1)
    with pytest.raises(
        BlockDocumentError, match="schema version 3, newer than MigrationTestBlock's version 1"
    ):
        old.load("future")
    [report] = migrate_documents()
    assert report.error is not None
    assert "newer" in report.error
    assert report.applied is False
    _define(3)


def test_failing_migration_names_the_block_and_version() -> None:
    _define(1)(address="x:notaport", password="pw-bad-1").save("bad")
    new = _define(3)
    with pytest.raises(
        BlockDocumentError,
        match=r"'migration-test-block/bad': the migration from schema version 1 failed: ValueError",
    ):
        new.load("bad")
    [report] = migrate_documents(dry_run=False)
    assert report.applied is False
    assert report.error
    assert [d.schema_version for d in new.list_documents()] == [1]  # left as it was


def test_bad_migration_declarations_are_refused() -> None:
    with pytest.raises(TypeError, match="_block_schema_version must be an integer >= 1"):

        class BadVersionBlock(Block):
            _block_schema_version = 0

    with pytest.raises(TypeError, match="_block_migrations has key 2"):

        class BadMigrationKeyBlock(Block):
            _block_schema_version = 2
            _block_migrations = {2: dict}
