"""The store suite runs three times: on SQLite, on PostgreSQL, and over HTTP.

``store_url`` here overrides the core's fixture with a third parameter,
``http``: a SQLite database in the test's home served by a real uvicorn server
on a thread of this process (the server uses the embedded store), and
``HEADWATER_API_URL`` pointing at it, so ``get_store()`` returns the HTTP store
and subprocesses started by a test report over HTTP too.

A few tests are about the SQL implementation itself (schema, migrations, the
SQL writer's internals, SQLite files); they stay embedded-only, listed with the
reason in :data:`EMBEDDED_ONLY` and marked ``embedded_only``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater.settings import reset_settings

EMBEDDED_ONLY: dict[str, str] = {
    # test_store_schema.py: the database schema and migrations
    "test_fresh_database_gets_latest_version_and_all_tables": "reads the SQL schema",
    "test_reopening_is_a_no_op": "SQL migrations",
    "test_newer_database_raises_schema_version_error": "SQL migrations",
    "test_several_processes_opening_a_fresh_database_migrate_once": "SQL migrations",
    # test_store_writer.py: the SQL writer's internals
    "test_flush_timeout_raises": "holds the SQL writer's connection lock",
    "test_ten_thousand_task_runs_with_three_states_each": (
        "counts rows through the SQL connection (store._db); the same volume over "
        "HTTP is core/tests/server/test_http_store.py and tests/test_http_mode.py"
    ),
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "embedded_only: a test of the SQL implementation itself (not run over HTTP)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        name = getattr(item, "originalname", item.name)
        if name in EMBEDDED_ONLY:
            item.add_marker(pytest.mark.embedded_only)
        callspec = getattr(item, "callspec", None)
        on_http = callspec is not None and callspec.params.get("store_url") == "http"
        if on_http and item.get_closest_marker("embedded_only") is not None:
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def store_server_url() -> Iterator[str]:
    """A real uvicorn server on a thread, for the whole session (it reads the
    embedded store of whatever settings the current test set)."""
    import uvicorn

    from headwater.server import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="headwater-store-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the store test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _reset_store() -> None:
    from headwater._store import reset_store

    reset_store()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "http"],
)
def store_url(
    request: pytest.FixtureRequest, headwater_home: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run the test on SQLite, on PostgreSQL and over HTTP; HEADWATER_DATABASE_URL is set
    (and HEADWATER_API_URL for ``http``). Returns the database URL."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{headwater_home / 'headwater.db'}"
    monkeypatch.setenv("HEADWATER_DATABASE_URL", url)
    if request.param == "http":
        monkeypatch.setenv("HEADWATER_API_URL", request.getfixturevalue("store_server_url"))
    reset_settings()
    _reset_store()
    return url
