"""Fixtures shared by the core's tests.

Every test runs with a fresh temporary ``HEADWATER_HOME`` (so a fresh SQLite
store), no leaked ``HEADWATER_*`` settings, and the process-wide store closed
afterwards. ``store_url`` parametrises a test over SQLite and PostgreSQL;
PostgreSQL tests fail loudly (never skip) when the server is not reachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.settings import reset_settings

PG_BASE_URL = os.environ.get(
    "HEADWATER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _reset_store() -> None:
    from headwater._store import reset_store

    try:
        reset_store()
    except NotImplementedError:  # pragma: no cover - only before the store exists
        pass


@pytest.fixture(autouse=True)
def headwater_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh HEADWATER_HOME for every test, with settings and store reset around it."""
    home = tmp_path_factory.mktemp("hw-home")
    for name in list(os.environ):
        if name.startswith("HEADWATER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    monkeypatch.setenv("HEADWATER_PROGRESS", "false")
    reset_settings()
    _reset_store()
    yield home
    _reset_store()
    reset_settings()


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # fail loudly: CI must not silently skip
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_BASE_URL}: {exc}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.",
            pytrace=False,
        )


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    schema = f"hw_test_{uuid.uuid4().hex[:12]}"
    with _pg_connect(PG_BASE_URL) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_BASE_URL else "?"
    yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    _reset_store()
    with _pg_connect(PG_BASE_URL) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(
    request: pytest.FixtureRequest, headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run the test once on SQLite and once on PostgreSQL; HEADWATER_DATABASE_URL is set."""
    if request.param == "sqlite":
        url = f"sqlite:///{headwater_home / 'headwater.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("HEADWATER_DATABASE_URL", url)
    reset_settings()
    _reset_store()
    return url
