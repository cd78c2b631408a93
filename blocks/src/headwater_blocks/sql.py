"""``SqlAlchemyConnector``: a DatabaseBlock over any SQLAlchemy URL, and tasks that use it.

The URL is stored without its password; the password is a separate secret
field (or a reference such as ``env://PGPASSWORD``), put into the URL only
when the engine is created. One pooled engine is created per block instance on
first use and reused by every call, so a flow that runs a hundred queries opens
a handful of connections, not a hundred.

``fetch_one`` and ``fetch_many`` continue where the previous call with the same
statement and parameters stopped (as a cursor would); ``fetch_all`` and
``execute`` always run the statement afresh. :meth:`SqlAlchemyConnector.reset_cursors`
forgets the open cursors; :meth:`SqlAlchemyConnector.close` also disposes of the engine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import Field, PrivateAttr, SecretStr, field_validator
from sqlalchemy.engine import Connection, CursorResult, Engine, Row
from sqlalchemy.exc import ArgumentError

from headwater import task
from headwater.blocks import CheckResult, DatabaseBlock

__all__ = ["SqlAlchemyConnector", "sqlalchemy_execute", "sqlalchemy_query"]

Parameters = Mapping[str, Any] | None


def _cursor_key(operation: str, parameters: Parameters) -> str:
    return json.dumps([operation, dict(parameters or {})], sort_keys=True, default=repr)


class SqlAlchemyConnector(DatabaseBlock):
    """Run SQL on any database SQLAlchemy reaches, through one pooled engine.

    ``url`` is a SQLAlchemy URL *without* the password
    (``postgresql+psycopg://etl@db.internal:5432/warehouse``,
    ``sqlite:///local.db``); the password goes in ``password``, a secret that
    may also be a reference such as ``env://PGPASSWORD``. The database driver
    must be installed (``psycopg[binary]`` for ``postgresql+psycopg``).

    Example:
        ```python
        from headwater_blocks import SqlAlchemyConnector

        db = SqlAlchemyConnector.load("BLOCK_NAME")
        db.execute("CREATE TABLE t (x INTEGER)")
        db.execute_many("INSERT INTO t (x) VALUES (:x)", [{"x": 1}, {"x": 2}])
        print(db.fetch_all("SELECT x FROM t ORDER BY x"))
        ```
    """

    _block_type_slug: ClassVar[str] = "sqlalchemy-connector"

    url: str = Field(description="SQLAlchemy URL without the password.")
    password: SecretStr | None = Field(default=None, description="Database password (secret).")
    connect_args: dict[str, Any] = Field(
        default_factory=dict, description="Extra arguments for the DBAPI connect() call."
    )
    engine_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra arguments for sqlalchemy.create_engine (pool_size, echo...).",
    )
    fetch_size: int = Field(default=1, ge=1, description="Default number of rows for fetch_many.")

    _engine: Engine | None = PrivateAttr(default=None)
    _cursors: dict[str, tuple[Connection, CursorResult[Any]]] = PrivateAttr(default_factory=dict)
    _lock: threading.RLock = PrivateAttr(default_factory=threading.RLock)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        try:
            parsed = sa.make_url(value)
        except (ArgumentError, ValueError):
            # Not the parser's message: it may quote the value (a password pasted here).
            raise ValueError(
                "url is not a SQLAlchemy URL (dialect+driver://user@host:port/database)"
            ) from None
        if parsed.password is not None:
            raise ValueError(
                "url must not contain the password: put it in the 'password' field "
                "(a secret, or a reference such as env://PGPASSWORD)"
            )
        return value

    def __getstate__(self) -> dict[Any, Any]:
        # The engine, open cursors and lock belong to this process: never pickle them.
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_engine=None, _cursors={}, _lock=None)
        state["__pydantic_private__"] = private
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        self._lock = threading.RLock()

    # -- engine -------------------------------------------------------------------------
    def get_engine(self) -> Engine:
        """The block's pooled engine, created on first use and reused by every call."""
        engine = self._engine
        if engine is None:
            with self._lock:
                if self._engine is None:
                    url = sa.make_url(self.url)
                    if self.password is not None:
                        url = url.set(password=self.password.get_secret_value())
                    self._engine = sa.create_engine(
                        url,
                        connect_args=dict(self.connect_args),
                        pool_pre_ping=True,
                        **self.engine_kwargs,
                    )
                engine = self._engine
        assert engine is not None
        return engine

    def reset_cursors(self) -> None:
        """Close the cursors kept by ``fetch_one``/``fetch_many`` (the engine stays)."""
        with self._lock:
            cursors, self._cursors = self._cursors, {}
        for connection, result in cursors.values():
            result.close()
            connection.close()

    def close(self) -> None:
        """Close open cursors and dispose of the engine's connections (it is recreated on next use)."""
        self.reset_cursors()
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> SqlAlchemyConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self) -> CheckResult:
        """Open a connection (what ``headwater block check`` runs); the reason when that fails."""
        try:
            with self.get_engine().connect():
                pass
        except Exception as exc:
            return CheckResult(False, f"cannot connect: {type(exc).__name__}: {exc}")
        url = sa.make_url(self.url)
        return CheckResult(True, f"connected to {url.render_as_string(hide_password=True)}")

    # -- reading --------------------------------------------------------------------------
    def _cursor_fetch(
        self, operation: str, parameters: Parameters, size: int, options: dict[str, Any]
    ) -> list[Row[Any]]:
        key = _cursor_key(operation, parameters)
        with self._lock:
            entry = self._cursors.get(key)
            if entry is None:
                connection = self.get_engine().connect()
                try:
                    result = connection.execute(
                        sa.text(operation), dict(parameters or {}), execution_options=options
                    )
                except BaseException:
                    connection.close()
                    raise
                entry = (connection, result)
                self._cursors[key] = entry
            connection, result = entry
            rows = list(result.fetchmany(size))
            if len(rows) < size:
                del self._cursors[key]
                result.close()
                connection.close()
            return rows

    def fetch_one(
        self, operation: str, parameters: Parameters = None, **execution_options: Any
    ) -> Row[Any] | None:
        """The next row of ``operation`` (continuing a previous call with the same arguments), or ``None``.

        ``execution_options`` are SQLAlchemy's (``stream_results=True``...), as for every method here.
        """
        rows = self._cursor_fetch(operation, parameters, 1, execution_options)
        return rows[0] if rows else None

    def fetch_many(
        self,
        operation: str,
        parameters: Parameters = None,
        size: int | None = None,
        **execution_options: Any,
    ) -> list[Row[Any]]:
        """The next ``size`` rows (default ``fetch_size``) of ``operation``, continuing previous calls."""
        if size is not None and size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        return self._cursor_fetch(operation, parameters, size or self.fetch_size, execution_options)

    def fetch_all(
        self, operation: str, parameters: Parameters = None, **execution_options: Any
    ) -> list[Row[Any]]:
        """Every row of ``operation`` (always run afresh)."""
        with self.get_engine().connect() as connection:
            result = connection.execute(
                sa.text(operation), dict(parameters or {}), execution_options=execution_options
            )
            return list(result.fetchall())

    # -- writing --------------------------------------------------------------------------
    def execute(
        self, operation: str, parameters: Parameters = None, **execution_options: Any
    ) -> None:
        """Run ``operation`` in its own transaction, committed when it succeeds."""
        with self.get_engine().begin() as connection:
            connection.execute(
                sa.text(operation), dict(parameters or {}), execution_options=execution_options
            )

    def execute_many(
        self,
        operation: str,
        seq_of_parameters: Sequence[Mapping[str, Any]],
        **execution_options: Any,
    ) -> None:
        """Run ``operation`` once per parameter mapping, all in one transaction (all or nothing)."""
        params = [dict(p) for p in seq_of_parameters]
        if not params:
            return
        with self.get_engine().begin() as connection:
            connection.execute(sa.text(operation), params, execution_options=execution_options)


@task
def sqlalchemy_query(
    query: str,
    sqlalchemy_connector: SqlAlchemyConnector,
    parameters: dict[str, Any] | None = None,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """Run ``query`` and return its rows as tuples (at most ``limit`` when given)."""
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        with sqlalchemy_connector.get_engine().connect() as connection:
            result = connection.execute(sa.text(query), dict(parameters or {}))
            return [tuple(row) for row in result.fetchmany(limit)]
    return [tuple(row) for row in sqlalchemy_connector.fetch_all(query, parameters)]


@task
def sqlalchemy_execute(
    statement: str,
    sqlalchemy_connector: SqlAlchemyConnector,
    parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> None:
    """Run ``statement`` (once, or once per mapping when ``parameters`` is a list) and commit."""
    if isinstance(parameters, list):
        sqlalchemy_connector.execute_many(statement, parameters)
    else:
        sqlalchemy_connector.execute(statement, parameters)
