"""The store's block document methods (schema v2) on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from headwater._store import BlockDocumentRecord, get_store, reset_store
from headwater._store.schema import LATEST_VERSION
from headwater.errors import ObjectAlreadyExists, ObjectNotFound


def _record(
    name: str, data: str = "opaque", *, slug: str = "secret", doc_id: str | None = None
) -> BlockDocumentRecord:
    now = time.time()
    return BlockDocumentRecord(
        id=doc_id or f"id-{slug}-{name}",
        block_type_slug=slug,
        name=name,
        schema_version=1,
        data=data,
        created=now,
        updated=now,
    )


def test_block_document_methods(store_url: str) -> None:
    store = get_store()
    saved = store.save_block_document(_record("a", "one"))
    assert saved.id == "id-secret-a"
    assert store.read_block_document("secret", "a").data == "one"
    assert store.read_block_document_by_id("id-secret-a").name == "a"

    with pytest.raises(ObjectAlreadyExists, match="'secret/a' already exists"):
        store.save_block_document(_record("a", "two", doc_id="other-id"))
    assert store.read_block_document("secret", "a").data == "one"

    replaced = store.save_block_document(_record("a", "two", doc_id="other-id"), overwrite=True)
    assert (replaced.id, replaced.data) == ("id-secret-a", "two")

    store.save_block_document(_record("b", slug="local-file-system"))
    store.save_block_document(_record("c"))
    assert [(r.block_type_slug, r.name) for r in store.read_block_documents()] == [
        ("local-file-system", "b"),
        ("secret", "a"),
        ("secret", "c"),
    ]
    assert [r.name for r in store.read_block_documents("secret")] == ["a", "c"]

    store.delete_block_document("secret", "a")
    with pytest.raises(ObjectNotFound, match="'secret/a'"):
        store.read_block_document("secret", "a")
    with pytest.raises(ObjectNotFound, match="'secret/a'"):
        store.delete_block_document("secret", "a")
    with pytest.raises(ObjectNotFound):
        store.read_block_document_by_id("id-secret-a")


def test_racing_creates_of_one_name_save_exactly_one(store_url: str) -> None:
    store = get_store()
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def create(i: int) -> None:
        barrier.wait()
        try:
            store.save_block_document(_record("race", f"v{i}", doc_id=f"race-{i}"))
            outcomes.append("saved")
        except ObjectAlreadyExists:
            outcomes.append("taken")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["saved", "taken", "taken", "taken"]
    assert len(store.read_block_documents("secret")) == 1


def test_a_version_1_database_gains_the_block_table(headwater_home: object) -> None:
    store = get_store()
    db = store._db  # type: ignore[attr-defined]
    assert LATEST_VERSION >= 2
    # Roll the database back to version 1: undo everything later migrations add.
    for statement in (
        "DROP TABLE block_documents",
        "DROP TABLE variables",
        "DROP TABLE artifacts",
        "DROP INDEX ux_states_transition_id",
        "DROP INDEX ix_flow_runs_start",
        "ALTER TABLE states DROP COLUMN transition_id",
    ):
        db.write(lambda tx, statement=statement: tx.execute(statement))
    db.write(lambda tx: tx.execute("DELETE FROM schema_migrations WHERE version >= 2"))
    reset_store()

    store = get_store()
    store.save_block_document(_record("after-upgrade"))
    assert [r.name for r in store.read_block_documents()] == ["after-upgrade"]
    versions = store._db.fetchall("SELECT version FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    assert [v[0] for v in versions] == list(range(1, LATEST_VERSION + 1))
