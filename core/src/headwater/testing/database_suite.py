"""``DatabaseSuite``: the behavioural conformance suite of a DatabaseBlock.

An implementation's test class inherits it and provides a ``block`` fixture
returning (or yielding) a block connected to a database where the suite may
create and drop tables::

    class TestMyDatabase(DatabaseSuite):
        @pytest.fixture
        def block(self, tmp_path):
            return MyDatabase(url=f"sqlite:///{tmp_path / 'db.sqlite'}")

Each test creates its own uniquely named table and drops it afterwards. The SQL
is portable (``INTEGER``, ``VARCHAR``); parameters are written ``:name``:
override :meth:`DatabaseSuite.placeholder` for another style, and
:meth:`DatabaseSuite.release` to close cursors that ``fetch_one``/``fetch_many``
keep open before the table is dropped. Rows are compared as tuples.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from headwater.blocks.interfaces import DatabaseBlock
from headwater.testing._spy import record_threads

__all__ = ["DatabaseSuite"]

ROWS = [{"id": i, "name": f"name-{i}"} for i in range(1, 6)]


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in rows]


class DatabaseSuite:
    """Behaviour every :class:`~headwater.blocks.DatabaseBlock` must have."""

    @pytest.fixture
    def block(self) -> DatabaseBlock:
        raise NotImplementedError("a DatabaseSuite subclass provides the block fixture")

    @staticmethod
    def placeholder(name: str) -> str:
        """How a statement refers to the parameter ``name`` (default ``:name``)."""
        return f":{name}"

    def release(self, block: DatabaseBlock) -> None:
        """Called before the suite drops its table: close what ``fetch_one``/``fetch_many``
        left open (cursors holding locks). Default: nothing."""

    @pytest.fixture
    def table(self, block: DatabaseBlock) -> Iterator[str]:
        """A fresh table ``(id INTEGER PRIMARY KEY, name VARCHAR(50))``; its name."""
        name = f"hw_suite_{uuid.uuid4().hex[:12]}"
        block.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(50))")
        try:
            yield name
        finally:
            self.release(block)
            block.execute(f"DROP TABLE {name}")

    def _insert(self, table: str) -> str:
        p = self.placeholder
        return f"INSERT INTO {table} (id, name) VALUES ({p('id')}, {p('name')})"

    def test_execute_with_parameters_then_fetch_all(self, block: DatabaseBlock, table: str) -> None:
        for row in ROWS[:3]:
            block.execute(self._insert(table), row)
        rows = block.fetch_all(
            f"SELECT id, name FROM {table} WHERE id >= {self.placeholder('low')} ORDER BY id",
            {"low": 2},
        )
        assert _rows(rows) == [(2, "name-2"), (3, "name-3")]
        block.execute(
            f"UPDATE {table} SET name = {self.placeholder('name')} WHERE id = {self.placeholder('id')}",
            {"name": "renamed", "id": 3},
        )
        assert _rows(block.fetch_all(f"SELECT name FROM {table} WHERE id = 3")) == [("renamed",)]

    def test_execute_many_inserts_every_row(self, block: DatabaseBlock, table: str) -> None:
        block.execute_many(self._insert(table), ROWS)
        block.execute_many(self._insert(table), [])
        assert _rows(block.fetch_all(f"SELECT id, name FROM {table} ORDER BY id")) == [
            (r["id"], r["name"]) for r in ROWS
        ]

    def test_fetch_one_and_fetch_many(self, block: DatabaseBlock, table: str) -> None:
        block.execute_many(self._insert(table), ROWS)
        one = block.fetch_one(
            f"SELECT id, name FROM {table} WHERE id = {self.placeholder('id')}", {"id": 4}
        )
        assert one is not None
        assert tuple(one) == (4, "name-4")
        none = block.fetch_one(
            f"SELECT id, name FROM {table} WHERE id = {self.placeholder('id')}", {"id": 99}
        )
        assert none is None
        many = block.fetch_many(f"SELECT id FROM {table} ORDER BY id", size=2)
        assert _rows(many) == [(1,), (2,)]

    def test_a_bad_statement_is_a_clear_error_and_the_block_still_works(
        self, block: DatabaseBlock, table: str
    ) -> None:
        # Each driver raises its own class: the message is what must be clear.
        with pytest.raises(Exception) as error:
            block.fetch_all("SELECT * FROM hw_suite_no_such_table")
        assert "hw_suite_no_such_table" in str(error.value)
        with pytest.raises(Exception) as error:
            block.execute("SELEC broken statement")
        message = str(error.value).lower()
        assert "selec" in message or "syntax" in message, message
        block.execute(self._insert(table), ROWS[0])
        assert _rows(block.fetch_all(f"SELECT id FROM {table}")) == [(1,)]

    def test_async_twins_run_off_the_event_loop(self, block: DatabaseBlock, table: str) -> None:
        async def main() -> tuple[int, list[Any], Any, list[Any]]:
            await block.aexecute_many(self._insert(table), ROWS[:2])
            await block.aexecute(self._insert(table), ROWS[2])
            every = await block.afetch_all(f"SELECT id FROM {table} ORDER BY id")
            one = await block.afetch_one(f"SELECT id FROM {table} WHERE id = 2")
            many = await block.afetch_many(f"SELECT id FROM {table} ORDER BY id DESC", size=2)
            return threading.get_ident(), every, one, many

        with (
            record_threads(block, "execute") as executed,
            record_threads(block, "fetch_all") as fetched,
        ):
            loop_thread, every, one, many = asyncio.run(main())
        assert _rows(every) == [(1,), (2,), (3,)]
        assert tuple(one) == (2,)
        assert _rows(many) == [(3,), (2,)]
        assert _rows(every) == _rows(block.fetch_all(f"SELECT id FROM {table} ORDER BY id"))
        assert executed, "aexecute did not call execute"
        assert fetched, "afetch_all did not call fetch_all"
        assert loop_thread not in executed + fetched
