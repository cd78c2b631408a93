"""Schema migrations, connection settings and configuration errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from headwater._store import get_store, reset_store
from headwater._store.schema import LATEST_VERSION, MIGRATIONS
from headwater.errors import ConfigurationError, SchemaVersionError, StoreError
from headwater.settings import reset_settings

EXPECTED_TABLES = {
    "concurrency_limits",
    "concurrency_slots",
    "flow_run_tags",
    "flow_runs",
    "flows",
    "logs",
    "schema_migrations",
    "states",
    "task_runs",
}


def _tables(store: object) -> set[str]:
    db = store._db  # type: ignore[attr-defined]
    if db.dialect.name == "sqlite":
        rows = db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = db.fetchall(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {r[0] for r in rows}


def test_fresh_database_gets_latest_version_and_all_tables(store_url: str) -> None:
    store = get_store()
    assert _tables(store) >= EXPECTED_TABLES
    rows = store._db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    assert rows[-1][0] == LATEST_VERSION


def test_reopening_is_a_no_op(store_url: str) -> None:
    store = get_store()
    query = "SELECT version, applied FROM schema_migrations ORDER BY version"
    before = store._db.fetchall(query)  # type: ignore[attr-defined]
    reset_store()
    store = get_store()
    assert store._db.fetchall(query) == before  # type: ignore[attr-defined]


def test_newer_database_raises_schema_version_error(store_url: str) -> None:
    store = get_store()
    future = LATEST_VERSION + 5
    store._db.write(  # type: ignore[attr-defined]
        lambda tx: tx.execute(
            "INSERT INTO schema_migrations (version, name, applied) VALUES (?, 'from the future', 0)",
            (future,),
        )
    )
    reset_store()
    with pytest.raises(SchemaVersionError, match=f"version {future}.*up to {LATEST_VERSION}"):
        get_store()


def test_sqlite_connection_uses_wal_normal_sync_and_busy_timeout() -> None:
    store = get_store()
    for db in (store._db, store._writer.db):  # type: ignore[attr-defined]
        assert db.fetchone("PRAGMA journal_mode")[0] == "wal"
        assert db.fetchone("PRAGMA synchronous")[0] == 1  # NORMAL
        assert db.fetchone("PRAGMA busy_timeout")[0] >= 1000


def test_default_url_creates_the_database_under_home(headwater_home: Path) -> None:
    store = get_store()
    assert (headwater_home / "headwater.db").is_file()
    assert store.url == f"sqlite:///{headwater_home / 'headwater.db'}"  # type: ignore[attr-defined]


def test_sqlite_creates_parent_folders(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = headwater_home / "deep" / "er" / "x.db"
    monkeypatch.setenv("HEADWATER_DATABASE_URL", f"sqlite:///{target}")
    reset_settings()
    get_store()
    assert target.is_file()


def test_unopenable_sqlite_path_names_the_url(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = headwater_home / "a-directory.db"
    folder.mkdir()
    monkeypatch.setenv("HEADWATER_DATABASE_URL", f"sqlite:///{folder}")
    reset_settings()
    with pytest.raises(StoreError, match=r"a-directory\.db"):
        get_store()


def test_sqlite_url_without_path_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_DATABASE_URL", "sqlite://")
    reset_settings()
    with pytest.raises(ConfigurationError, match="sqlite://"):
        get_store()


def test_unreachable_postgres_masks_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_DATABASE_URL", "postgresql://bob:hunter2@127.0.0.1:1/nowhere")
    reset_settings()
    with pytest.raises(StoreError) as info:
        get_store()
    text = str(info.value)
    assert "postgresql://bob:********@127.0.0.1:1/nowhere" in text
    assert "hunter2" not in text


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # makes `import psycopg` fail
    monkeypatch.setenv("HEADWATER_DATABASE_URL", "postgresql://bob:hunter2@127.0.0.1/x")
    reset_settings()
    with pytest.raises(ConfigurationError, match=r'pip install "headwater\[postgres\]"') as info:
        get_store()
    assert "hunter2" not in str(info.value)


def test_get_store_follows_the_url_setting(
    headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_store()
    assert get_store() is first
    monkeypatch.setenv("HEADWATER_DATABASE_URL", f"sqlite:///{headwater_home / 'other.db'}")
    reset_settings()
    second = get_store()
    assert second is not first
    assert second.url.endswith("other.db")  # type: ignore[attr-defined]


_OPEN = """
import sys
from headwater._store import get_store
sys.stdin.readline()
print(get_store().count_flow_runs(), flush=True)
"""


def test_several_processes_opening_a_fresh_database_migrate_once(store_url: str) -> None:
    from store_factories import start_python

    procs = [start_python(_OPEN) for _ in range(3)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip() == "0"
    rows = get_store()._db.fetchall("SELECT version FROM schema_migrations")  # type: ignore[attr-defined]
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
