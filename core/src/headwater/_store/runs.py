"""Flow runs, task runs, flows, states and logs in the SQL store, as a mixin of
:class:`~headwater._store.sql.SqlStore` (as :mod:`headwater._store.http.runs` is
for the HTTP store).

Run listings get a complete, checked :class:`~headwater._store.filters.RunFilter`
from :class:`~headwater._store.base.Store` and turn it into one ``WHERE`` clause;
cancelling, crash marking and state proposals are delegated to
:mod:`~headwater._store.cancellation`, :mod:`~headwater._store.crashes` and
:mod:`~headwater._store.orchestration`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from headwater._store import cancellation, crashes, orchestration
from headwater._store.database import Database
from headwater._store.filters import RunFilter
from headwater._store.records import (
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    StateRecord,
    TaskRunRecord,
    TransitionResult,
)
from headwater._store.rows import (
    FLOW_RUN_COLUMNS,
    LOG_COLUMNS,
    STATE_COLUMNS,
    TASK_RUN_COLUMNS,
    flow_run_from_row,
    log_from_row,
    state_from_row,
    task_run_from_row,
)
from headwater._store.text import escape_deep
from headwater.errors import ObjectNotFound

if TYPE_CHECKING:
    from headwater._store.dialects import Dialect

__all__ = ["CRASH_CHECK_INTERVAL", "MIN_ID_PREFIX", "SqlRunsMixin", "order_clauses"]

MIN_ID_PREFIX = 6
"""Shortest id prefix that :meth:`SqlStore.read_flow_run` resolves."""

CRASH_CHECK_INTERVAL = 2.0
"""read_flow_runs looks for crashed runs at most this often (seconds) per store."""

_NO_LIMIT = 2**62


_EFFECTIVE_START = "COALESCE(start_time, created)"
"""A run's start time, or its creation time while it has not started (indexed for flow runs)."""


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def order_clauses(row_order: str) -> dict[str, str]:
    """``ORDER BY`` per :data:`RUN_SORTS` value; insertion order breaks ties."""
    return {
        "created_desc": f"ORDER BY created DESC, {row_order} DESC",
        "created_asc": f"ORDER BY created, {row_order}",
        "start_time_desc": f"ORDER BY {_EFFECTIVE_START} DESC, {row_order} DESC",
        "start_time_asc": f"ORDER BY {_EFFECTIVE_START}, {row_order}",
        "name_asc": f"ORDER BY name, created, {row_order}",
    }


def _common_filters(where: list[str], params: list[Any], f: RunFilter) -> None:
    """Append the state and time-range conditions flow runs and task runs share."""
    states: list[str] = []
    if f.state_types:
        states.append(f"state_type IN ({_marks(f.state_types)})")
        params.extend(f.state_types)
    if f.state_names:
        states.append(f"state_name IN ({_marks(f.state_names)})")
        params.extend(f.state_names)
    if states:
        where.append(states[0] if len(states) == 1 else f"({' OR '.join(states)})")
    for value, condition in (
        (f.start_after, f"{_EFFECTIVE_START} >= ?"),
        (f.start_before, f"{_EFFECTIVE_START} <= ?"),
        (f.created_after, "created >= ?"),
        (f.created_before, "created <= ?"),
    ):
        if value is not None:
            where.append(condition)
            params.append(value)


class SqlRunsMixin:
    """The run-related :class:`~headwater._store.base.Store` methods on SQL, for a class
    with ``_db``, ``dialect``, ``crash_after_seconds``, ``_orders`` (:func:`order_clauses`),
    ``_last_crash_check``, ``_sync`` and ``_check_open``."""

    _db: Database
    dialect: Dialect
    crash_after_seconds: float
    _orders: dict[str, str]
    _last_crash_check: float

    def _sync(self) -> None:  # provided by BufferedWrites
        raise NotImplementedError

    def _check_open(self) -> None:  # provided by BufferedWrites
        raise NotImplementedError

    # -- flow runs ---------------------------------------------------------------
    def _resolve_flow_run_id(self, flow_run_id: str) -> str:
        row = self._db.fetchone("SELECT id FROM flow_runs WHERE id = ?", (flow_run_id,))
        if row is not None:
            return str(row[0])
        if len(flow_run_id) >= MIN_ID_PREFIX:
            rows = self._db.fetchall(
                "SELECT id FROM flow_runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 2",
                (len(flow_run_id), flow_run_id),
            )
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise ObjectNotFound(
                    f"flow run id prefix {flow_run_id!r} is ambiguous: it matches several flow "
                    f"runs (e.g. {rows[0][0]} and {rows[1][0]}); give more characters"
                )
        hint = (
            ""
            if len(flow_run_id) >= MIN_ID_PREFIX
            else (f" (an id prefix needs at least {MIN_ID_PREFIX} characters)")
        )
        raise ObjectNotFound(f"no flow run with id {flow_run_id!r}{hint}")

    def _fetch_flow_run(self, run_id: str) -> FlowRunRecord:
        row = self._db.fetchone(f"SELECT {FLOW_RUN_COLUMNS} FROM flow_runs WHERE id = ?", (run_id,))
        if row is None:
            raise ObjectNotFound(f"no flow run with id {run_id!r}")
        return flow_run_from_row(row)

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        self._sync()
        run_id = self._resolve_flow_run_id(flow_run_id)
        run = self._fetch_flow_run(run_id)
        if run.state_type == "RUNNING" and crashes.mark_crashed(
            self._db, self.crash_after_seconds, run_id=run_id
        ):
            run = self._fetch_flow_run(run_id)
        return run

    def _flow_run_where(self, f: RunFilter) -> tuple[str, list[Any]]:
        """The ``WHERE`` clause (or "") and its parameters for flow-run filters."""
        where: list[str] = []
        params: list[Any] = []
        if f.flow_name is not None:
            where.append("flow_name = ?")
            params.append(f.flow_name)
        _common_filters(where, params, f)
        if f.tags:
            wanted = list(dict.fromkeys(f.tags))
            where.append(
                f"id IN (SELECT flow_run_id FROM flow_run_tags WHERE tag IN ({_marks(wanted)})"
                " GROUP BY flow_run_id HAVING COUNT(*) = ?)"
            )
            params.extend([*wanted, len(wanted)])
        if f.parent_flow_run_id is not None:
            where.append("parent_flow_run_id = ?")
            params.append(f.parent_flow_run_id)
        return (f"WHERE {' AND '.join(where)}" if where else ""), params

    def _page(self, f: RunFilter) -> tuple[str, list[Any]]:
        """``ORDER BY ... LIMIT ? OFFSET ?`` and its parameters for a checked filter."""
        assert f.sort is not None  # set by Store.read_*_runs
        return f"{self._orders[f.sort]} LIMIT ? OFFSET ?", [
            _NO_LIMIT if f.limit is None else f.limit,
            f.offset,
        ]

    def _check_crashes(self) -> None:
        """Look for crashed runs, at most every CRASH_CHECK_INTERVAL seconds."""
        now = time.monotonic()
        if now - self._last_crash_check >= CRASH_CHECK_INTERVAL:
            self._last_crash_check = now
            crashes.mark_crashed(self._db, self.crash_after_seconds)

    def _select_flow_runs(self, where: RunFilter) -> list[FlowRunRecord]:
        self._sync()
        self._check_crashes()
        clause, params = self._flow_run_where(where)
        page, page_params = self._page(where)
        rows = self._db.fetchall(
            f"SELECT {FLOW_RUN_COLUMNS} FROM flow_runs {clause} {page}", [*params, *page_params]
        )
        return [flow_run_from_row(r) for r in rows]

    def _count_flow_runs(self, where: RunFilter) -> int:
        self._sync()
        clause, params = self._flow_run_where(where)
        self._check_crashes()  # count what read_flow_runs would list
        return int(self._db.fetchone(f"SELECT COUNT(*) FROM flow_runs {clause}", params)[0])

    def delete_flow_run(self, flow_run_id: str) -> None:
        self._sync()
        run_id = self._resolve_flow_run_id(flow_run_id)
        tasks_of_run = "SELECT id FROM task_runs WHERE flow_run_id = ?"

        def delete(tx: Database) -> int:
            tx.execute(
                f"DELETE FROM states WHERE run_id = ? OR run_id IN ({tasks_of_run})",
                (run_id, run_id),
            )
            tx.execute(
                f"DELETE FROM logs WHERE flow_run_id = ? OR task_run_id IN ({tasks_of_run})",
                (run_id, run_id),
            )
            tx.execute("DELETE FROM task_runs WHERE flow_run_id = ?", (run_id,))
            tx.execute("DELETE FROM flow_run_tags WHERE flow_run_id = ?", (run_id,))
            return int(tx.execute("DELETE FROM flow_runs WHERE id = ?", (run_id,)).rowcount)

        if self._db.write(delete) == 0:
            raise ObjectNotFound(f"no flow run with id {flow_run_id!r}")

    def mark_crashed_runs(self) -> list[str]:
        self._sync()
        self._last_crash_check = time.monotonic()
        return crashes.mark_crashed(self._db, self.crash_after_seconds)

    # -- cancellation --------------------------------------------------------------
    def cancel_flow_run(self, flow_run_id: str) -> str:
        self._sync()
        run_id = self._resolve_flow_run_id(flow_run_id)
        return cancellation.cancel_flow_run(self._db, run_id, crash_after=self.crash_after_seconds)

    def read_flow_run_state_type(self, flow_run_id: str) -> str:
        self._check_open()
        row = self._db.fetchone("SELECT state_type FROM flow_runs WHERE id = ?", (flow_run_id,))
        if row is None:
            raise ObjectNotFound(f"no flow run with id {flow_run_id!r}")
        return str(row[0])

    # -- orchestration rules -------------------------------------------------------
    def propose_flow_run_state(
        self,
        flow_run_id: str,
        state: StateRecord,
        *,
        transition_id: str | None = None,
        force: bool = False,
    ) -> TransitionResult:
        self._sync()  # see this process's earlier buffered writes (a run it just created)
        # A state message or name is stored with lone surrogates escaped, as buffered
        # writes store them (headwater._store.text): a proposal is never refused for it.
        return orchestration.apply_proposal(
            self._db,
            flow_run_id,
            escape_deep(state),
            transition_id=escape_deep(transition_id),
            force=force,
        )

    def claim_flow_run_process(self, flow_run_id: str) -> bool:
        """Record this process (pid, host, a heartbeat now) as the one running the flow
        run ``flow_run_id``, if it is Running; whether it was.

        An accepted RUNNING proposal forgets who ran the run before (the store
        cannot tell who proposed it); the process that then runs it in place
        calls this, so a crash of it is noticed by pid as for the engine's own runs.
        """
        self._check_open()
        from headwater._store.processes import HOSTNAME

        def claim(tx: Database) -> int:
            return int(
                tx.execute(
                    "UPDATE flow_runs SET pid = ?, hostname = ?, heartbeat = ?"
                    " WHERE id = ? AND state_type = 'RUNNING'",
                    (os.getpid(), HOSTNAME, time.time(), flow_run_id),
                ).rowcount
            )

        return self._db.write(claim) == 1

    # -- flows -----------------------------------------------------------------------
    def read_flows(self) -> list[FlowRecord]:
        self._sync()
        rows = self._db.fetchall("SELECT id, name, created FROM flows ORDER BY name")
        return [FlowRecord(id=r[0], name=r[1], created=r[2]) for r in rows]

    def read_flow(self, name: str) -> FlowRecord:
        self._sync()
        row = self._db.fetchone("SELECT id, name, created FROM flows WHERE name = ?", (name,))
        if row is None:
            raise ObjectNotFound(f"no flow named {name!r}")
        return FlowRecord(id=row[0], name=row[1], created=row[2])

    # -- task runs, states, logs -----------------------------------------------
    def _task_run_where(self, f: RunFilter) -> tuple[str, list[Any]]:
        """The ``WHERE`` clause (or "") and its parameters for task-run filters."""
        where: list[str] = []
        params: list[Any] = []
        if f.flow_run_id is not None:
            where.append("flow_run_id = ?")
            params.append(f.flow_run_id)
        _common_filters(where, params, f)
        for tag in dict.fromkeys(f.tags):
            condition, value = self.dialect.json_list_has("tags", tag)
            where.append(condition)
            params.append(value)
        return (f"WHERE {' AND '.join(where)}" if where else ""), params

    def _select_task_runs(self, where: RunFilter) -> list[TaskRunRecord]:
        self._sync()
        clause, params = self._task_run_where(where)
        page, page_params = self._page(where)
        rows = self._db.fetchall(
            f"SELECT {TASK_RUN_COLUMNS} FROM task_runs {clause} {page}", [*params, *page_params]
        )
        return [task_run_from_row(r) for r in rows]

    def read_task_run(self, task_run_id: str) -> TaskRunRecord:
        self._sync()
        row = self._db.fetchone(
            f"SELECT {TASK_RUN_COLUMNS} FROM task_runs WHERE id = ?", (task_run_id,)
        )
        if row is None:
            raise ObjectNotFound(f"no task run with id {task_run_id!r}")
        return task_run_from_row(row)

    def _count_task_runs(self, where: RunFilter) -> int:
        self._sync()
        clause, params = self._task_run_where(where)
        return int(self._db.fetchone(f"SELECT COUNT(*) FROM task_runs {clause}", params)[0])

    def read_states(self, run_id: str) -> list[StateRecord]:
        self._sync()
        rows = self._db.fetchall(
            f"SELECT {STATE_COLUMNS} FROM states WHERE run_id = ? ORDER BY timestamp, seq",
            (run_id,),
        )
        return [state_from_row(r) for r in rows]

    def read_logs(
        self,
        *,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        min_level: int = 0,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[LogRecord]:
        self._sync()
        where = ["level >= ?"]
        params: list[Any] = [min_level]
        if flow_run_id is not None:
            where.append(
                "(flow_run_id = ? OR task_run_id IN (SELECT id FROM task_runs WHERE flow_run_id = ?))"
            )
            params.extend([flow_run_id, flow_run_id])
        if task_run_id is not None:
            where.append("task_run_id = ?")
            params.append(task_run_id)
        params.extend([_NO_LIMIT if limit is None else limit, offset])
        rows = self._db.fetchall(
            f"SELECT {LOG_COLUMNS} FROM logs WHERE {' AND '.join(where)}"
            " ORDER BY timestamp, seq LIMIT ? OFFSET ?",
            params,
        )
        return [log_from_row(r) for r in rows]
