"""SqlAlchemyConnector and its tasks, on SQLite and on PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from headwater import flow
from headwater.blocks import DatabaseBlock
from headwater.testing import DatabaseSuite
from headwater_blocks import SqlAlchemyConnector, sqlalchemy_execute, sqlalchemy_query


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def connector(
    request: pytest.FixtureRequest, tmp_path: Path, table_name: str
) -> Iterator[SqlAlchemyConnector]:
    """A connector on SQLite (a file) or PostgreSQL, with an empty table ``table_name``."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    block = SqlAlchemyConnector(url=url)
    block.execute(f"CREATE TABLE {table_name} (id INTEGER PRIMARY KEY, name VARCHAR(50))")
    try:
        yield block
    finally:
        block.reset_cursors()
        block.execute(f"DROP TABLE IF EXISTS {table_name}")
        block.close()


def _fill(block: SqlAlchemyConnector, table: str, n: int = 5) -> None:
    rows = [{"id": i, "name": f"n{i}"} for i in range(1, n + 1)]
    block.execute_many(f"INSERT INTO {table} (id, name) VALUES (:id, :name)", rows)


class TestSqlAlchemyConnectorConforms(DatabaseSuite):
    """Parameters, fetches, execute_many, bad statements and async twins: the core's suite."""

    @pytest.fixture
    def block(self, connector: SqlAlchemyConnector) -> DatabaseBlock:
        return connector

    def release(self, block: DatabaseBlock) -> None:
        assert isinstance(block, SqlAlchemyConnector)
        block.reset_cursors()  # an open cursor would block DROP TABLE on PostgreSQL


def test_rows_have_named_columns(connector: SqlAlchemyConnector, table_name: str) -> None:
    _fill(connector, table_name)
    rows = connector.fetch_all(
        f"SELECT id, name FROM {table_name} WHERE id > :min ORDER BY id", {"min": 3}
    )
    assert rows[0].name == "n4"


def test_fetch_one_and_many_continue_like_a_cursor(
    connector: SqlAlchemyConnector, table_name: str
) -> None:
    _fill(connector, table_name)
    query = f"SELECT id FROM {table_name} ORDER BY id"
    assert connector.fetch_one(query) == (1,)
    assert connector.fetch_one(query) == (2,)
    assert [tuple(r) for r in connector.fetch_many(query, size=2)] == [(3,), (4,)]  # same cursor
    assert [tuple(r) for r in connector.fetch_many(query, size=2)] == [(5,)]  # exhausted: closed
    assert [tuple(r) for r in connector.fetch_many(query, size=2)] == [(1,), (2,)]  # starts over
    other = f"SELECT id FROM {table_name} WHERE id > :k ORDER BY id"
    assert connector.fetch_one(other, {"k": 3}) == (4,)  # other parameters: its own cursor
    assert connector.fetch_many(query) == [(3,)]  # default size is fetch_size (1)
    connector.reset_cursors()
    assert connector.fetch_one(query) == (1,)
    with pytest.raises(ValueError, match="size"):
        connector.fetch_many(query, size=0)


def test_execute_many_is_one_transaction(connector: SqlAlchemyConnector, table_name: str) -> None:
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        connector.execute_many(
            f"INSERT INTO {table_name} (id, name) VALUES (:id, :name)",
            [{"id": 1, "name": "a"}, {"id": 1, "name": "dup"}],
        )
    assert connector.fetch_all(f"SELECT * FROM {table_name}") == []
    connector.execute_many(f"INSERT INTO {table_name} (id) VALUES (:id)", [])


def test_the_engine_and_its_connection_are_reused(
    connector: SqlAlchemyConnector, table_name: str
) -> None:
    engine = connector.get_engine()
    for _ in range(5):
        connector.fetch_all(f"SELECT * FROM {table_name}")
        connector.execute(f"DELETE FROM {table_name} WHERE id < 0")
    assert connector.get_engine() is engine
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1  # one pooled connection served every call


def test_postgres_reuses_the_same_server_connection(postgres_url: str) -> None:
    with SqlAlchemyConnector(url=postgres_url) as db:
        pids = {db.fetch_all("SELECT pg_backend_pid()")[0][0] for _ in range(3)}
        assert len(pids) == 1


def test_saved_connector_round_trips_with_password_as_secret(
    postgres_url: str, table_name: str
) -> None:
    SqlAlchemyConnector(url=postgres_url, password="pg-pass-123", fetch_size=2).save("warehouse")
    loaded = SqlAlchemyConnector.load("warehouse")
    assert loaded.fetch_size == 2
    assert "pg-pass-123" not in repr(loaded)
    assert "pg-pass-123" not in json.dumps(loaded.model_dump(mode="json"))
    engine = loaded.get_engine()
    assert engine.url.password == "pg-pass-123"  # trust auth accepts any password
    assert "pg-pass-123" not in str(engine.url)
    assert loaded.fetch_all("SELECT 1") == [(1,)]
    loaded.close()


def test_password_may_be_an_env_reference(
    monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setenv("HW_TEST_DB_PASSWORD", "from-env-999")
    block = SqlAlchemyConnector(url=postgres_url, password="env://HW_TEST_DB_PASSWORD")
    block.save("ref")
    assert SqlAlchemyConnector.load("ref").get_engine().url.password == "from-env-999"


def test_url_with_a_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="password"):
        SqlAlchemyConnector(url="postgresql+psycopg://u:hunter22@db/x")


def test_bad_url_is_refused() -> None:
    with pytest.raises(ValidationError, match="url"):
        SqlAlchemyConnector(url="not a url")


def test_tasks_in_a_flow(connector: SqlAlchemyConnector, table_name: str) -> None:
    @flow
    def pipeline() -> list[tuple[object, ...]]:
        sqlalchemy_execute(
            f"INSERT INTO {table_name} (id, name) VALUES (:id, :name)",
            connector,
            [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        )
        sqlalchemy_execute(f"UPDATE {table_name} SET name = :n WHERE id = 2", connector, {"n": "B"})
        return sqlalchemy_query(f"SELECT id, name FROM {table_name} ORDER BY id", connector)

    assert pipeline() == [(1, "a"), (2, "B")]
    assert sqlalchemy_query.fn(f"SELECT id FROM {table_name} ORDER BY id", connector, limit=1) == [
        (1,)
    ]


def test_connector_pickles_without_its_engine(tmp_path: Path) -> None:
    import pickle

    block = SqlAlchemyConnector(url=f"sqlite:///{tmp_path / 'p.db'}")
    block.fetch_all("SELECT 1")
    copy = pickle.loads(pickle.dumps(block))
    assert copy.url == block.url
    assert copy.get_engine() is not block.get_engine()
    assert copy.fetch_all("SELECT 2") == [(2,)]
    block.close()
    copy.close()


def test_check_connects_or_says_why(postgres_url: str) -> None:
    ok = SqlAlchemyConnector(url=postgres_url).check()
    assert ok.ok, ok.message
    assert "127.0.0.1" in ok.message
    bad = SqlAlchemyConnector(
        url="postgresql+psycopg://postgres@127.0.0.1:1/test",
        password="pw-never-shown",
        connect_args={"connect_timeout": 5},
    ).check()
    assert not bad.ok
    assert "cannot connect" in bad.message
    assert "pw-never-shown" not in bad.message
