"""Buffered writes as plain tuples, and how a batch of them becomes SQL.

The engine's thread only builds a tuple and puts it on a queue; everything
else (JSON encoding, SQL, grouping) happens here, on the writer thread.
A batch becomes one ``executemany`` per statement (see :func:`apply_ops`
for why that keeps the order that matters).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

from headwater._store.database import Database
from headwater._store.processes import HOSTNAME
from headwater._store.records import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord
from headwater._store.text import escape_deep, is_encoding_error

__all__ = [
    "FINAL_STATE_TYPES",
    "FLOW_RUN",
    "FLUSH",
    "HEARTBEAT",
    "LOGS",
    "STATE",
    "STOP",
    "TASK_BEGIN",
    "TASK_END",
    "TASK_RUN",
    "Op",
    "apply_op_escaping",
    "apply_ops",
    "text",
]

# Op kinds: the first item of every op tuple.
FLOW_RUN = 0  # (FLOW_RUN, FlowRunRecord)
TASK_RUN = 1  # (TASK_RUN, TaskRunRecord)
STATE = 2  # (STATE, run_kind, run_id, StateRecord, start_time, end_time, run_count)
LOGS = 3  # (LOGS, Sequence[LogRecord])
HEARTBEAT = 4  # (HEARTBEAT, Sequence[str], timestamp)
# (TASK_BEGIN, run_id, flow_run_id, task_key, dynamic_key, name, created, tags_json,
#  task_inputs | None, wait_for | None, pending_state_id, running_state_id | None, start_time)
# creates a task run with its Pending state (timestamp ``created``) and, when
# ``running_state_id`` is given, its Running state (timestamp ``start_time``, run_count 1).
TASK_BEGIN = 5
# (TASK_END, run_id, state_id, type, name, timestamp, message, result_key, cache_key, run_count)
# sets a task run's final state; ``timestamp`` is also its end time.
TASK_END = 6
FLUSH = 7  # (FLUSH, threading.Event)  -- handled by the writer, never applied
STOP = 8  # (STOP, threading.Event); control kinds are the highest numbers

Op = tuple[Any, ...]

FINAL_STATE_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})

# ensure_ascii=False: a lone surrogate then fails at the database (and the op is
# replayed escaped, see headwater._store.text) instead of being stored as a
# "\\ud800" JSON escape that decodes back to a string no reader can send.
_dumps = json.JSONEncoder(
    separators=(",", ":"), default=str, ensure_ascii=False, allow_nan=False
).encode


def text(value: Any) -> Any:
    """A str enum member (``StateType.RUNNING``) as its plain value; other values unchanged."""
    if value is None or type(value) is str:
        return value
    return getattr(value, "value", value)


_INSERT_FLOW = (
    "INSERT INTO flows (name, id, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING"
)
_INSERT_FLOW_RUN = (
    "INSERT INTO flow_runs (id, flow_name, name, created, parameters, tags, parent_flow_run_id,"
    " parent_task_run_id, state_type, state_name, state_message, start_time, end_time, run_count,"
    " entrypoint, flow_version, pid, hostname, heartbeat)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TAG = "INSERT INTO flow_run_tags (flow_run_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING"
_INSERT_TASK_RUN = (
    "INSERT INTO task_runs (id, flow_run_id, task_key, dynamic_key, name, created, tags,"
    " task_inputs, wait_for, state_type, state_name, state_message, start_time, end_time,"
    " run_count, cache_key, result_key)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TASK_RUN_SHORT = (
    "INSERT INTO task_runs (id, flow_run_id, task_key, dynamic_key, name, created, state_type,"
    " state_name, start_time, end_time, run_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_STATES = (
    "INSERT INTO states (id, run_id, run_kind, type, name, timestamp, message, result_key,"
    " cache_key) VALUES "
)
_PENDING_ROW = "(?, ?, 'task', 'PENDING', 'Pending', ?, NULL, NULL, NULL)"
_RUNNING_ROW = "(?, ?, 'task', 'RUNNING', 'Running', ?, NULL, NULL, NULL)"
_INSERT_STATES_PR = f"{_INSERT_STATES}{_PENDING_ROW}, {_RUNNING_ROW}"
_INSERT_STATES_PRC = (
    f"{_INSERT_STATES_PR}, (?, ?, 'task', 'COMPLETED', 'Completed', ?, NULL, NULL, NULL)"
)
_INSERT_STATES_PR_FINAL = f"{_INSERT_STATES_PR}, (?, ?, 'task', ?, ?, ?, ?, ?, ?)"
_INSERT_STATE = (
    "INSERT INTO states (id, run_id, run_kind, type, name, timestamp, message, result_key,"
    " cache_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_FLOW_RUN_STATE = (
    "UPDATE flow_runs SET state_type = ?, state_name = ?, state_message = ?,"
    " start_time = COALESCE(?, start_time), end_time = COALESCE(?, end_time),"
    " run_count = COALESCE(?, run_count), pid = COALESCE(?, pid),"
    " hostname = COALESCE(?, hostname), heartbeat = COALESCE(?, heartbeat) WHERE id = ?"
)
_UPDATE_TASK_RUN_STATE = (
    "UPDATE task_runs SET state_type = ?, state_name = ?, state_message = ?,"
    " start_time = COALESCE(?, start_time), end_time = COALESCE(?, end_time),"
    " run_count = COALESCE(?, run_count), cache_key = COALESCE(?, cache_key),"
    " result_key = COALESCE(?, result_key) WHERE id = ?"
)
_INSERT_LOG = (
    "INSERT INTO logs (flow_run_id, task_run_id, level, name, message, timestamp)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_UPDATE_HEARTBEAT = "UPDATE flow_runs SET heartbeat = ? WHERE id = ?"


def _flow_runs(db: Database, ops: Sequence[Op]) -> None:
    flows: dict[str, tuple[str, str, float]] = {}
    runs: list[tuple[Any, ...]] = []
    tags: list[tuple[str, str]] = []
    for op in ops:
        r: FlowRunRecord = op[1]
        flows.setdefault(r.flow_name, (r.flow_name, uuid.uuid4().hex, r.created))
        runs.append(
            (
                r.id,
                r.flow_name,
                r.name,
                r.created,
                _dumps(r.parameters or {}),
                _dumps(list(r.tags or ())),
                r.parent_flow_run_id,
                r.parent_task_run_id,
                text(r.state_type),
                r.state_name,
                r.state_message,
                r.start_time,
                r.end_time,
                r.run_count,
                r.entrypoint,
                r.flow_version,
                r.pid,
                r.hostname,
                r.heartbeat,
            )
        )
        tags.extend((r.id, tag) for tag in dict.fromkeys(r.tags or ()))
    db.executemany(_INSERT_FLOW, list(flows.values()))
    db.executemany(_INSERT_FLOW_RUN, runs)
    db.executemany(_INSERT_TAG, tags)


# Positions in a task-run row (see _INSERT_TASK_RUN) that a state change sets.
_T_STATE_TYPE, _T_MESSAGE, _T_START, _T_END, _T_RUN_COUNT, _T_CACHE_KEY, _T_RESULT_KEY = (
    9,
    11,
    12,
    13,
    14,
    15,
    16,
)
# A row whose optional columns hold their defaults goes through the short INSERT.
_optional_columns = itemgetter(6, 7, 8, _T_MESSAGE, _T_CACHE_KEY, _T_RESULT_KEY)
_DEFAULT_OPTIONALS = ("[]", "{}", "[]", None, None, None)
_short_row = itemgetter(0, 1, 2, 3, 4, 5, 9, 10, _T_START, _T_END, _T_RUN_COUNT)


def _task_run_row(r: TaskRunRecord) -> list[Any]:
    """Row values of a task run created by a TASK_RUN op (mutable: states fold in)."""
    return [
        r.id,
        r.flow_run_id,
        r.task_key,
        r.dynamic_key,
        r.name,
        r.created,
        _dumps(list(r.tags)) if r.tags else "[]",
        _dumps(r.task_inputs) if r.task_inputs else "{}",
        _dumps(list(r.wait_for)) if r.wait_for else "[]",
        text(r.state_type),
        r.state_name,
        r.state_message,
        r.start_time,
        r.end_time,
        r.run_count,
        r.cache_key,
        r.result_key,
    ]


def _insert_task_runs(db: Database, rows: Iterable[list[Any]]) -> None:
    short, full = [], []
    for row in rows:
        if _optional_columns(row) == _DEFAULT_OPTIONALS:
            short.append(_short_row(row))
        else:
            full.append(row)
    db.executemany(_INSERT_TASK_RUN_SHORT, short)
    db.executemany(_INSERT_TASK_RUN, full)


def _state_row(op: Op) -> tuple[Any, ...]:
    """The states row of a STATE op."""
    st: StateRecord = op[3]
    return (
        st.id,
        op[2],
        text(op[1]),
        text(st.type),
        st.name,
        st.timestamp,
        st.message,
        st.result_key,
        st.cache_key,
    )


def _logs(db: Database, ops: Sequence[Op]) -> None:
    rows = []
    for op in ops:
        log: LogRecord
        for log in op[1]:
            rows.append(
                (log.flow_run_id, log.task_run_id, log.level, log.name, log.message, log.timestamp)
            )
    db.executemany(_INSERT_LOG, rows)


def _heartbeats(db: Database, ops: Sequence[Op]) -> None:
    db.executemany(_UPDATE_HEARTBEAT, [(op[2], run_id) for op in ops for run_id in op[1]])


def apply_ops(db: Database, ops: Sequence[Op]) -> list[tuple[str, str]]:
    """Apply ``ops`` inside the caller's transaction, a few ``executemany`` per batch.

    One pass sorts the ops into rows per statement; the statements then run
    creates first (flow runs, then task runs), then state rows, state updates,
    logs and heartbeats. That keeps every order that matters: a run exists
    before its states are applied, and the states of one run land in the order
    they were set (so the last one made is current). The engine interleaves
    the ops of many task runs, so grouping only *consecutive* ops of a kind
    would degrade into one statement per op.

    Task runs created in this batch take their states in memory, before their
    row is inserted (most start and finish within one batch, which saves
    UPDATEs), and a run begun and finished here with nothing in between has
    its Pending, Running and final rows inserted by one three-row statement.
    Binding parameters is most of SQLite's cost per row, so the common rows
    bind only the values that vary.

    Returns ``(flow_run_id, state_type)`` for every flow state applied, so the
    writer knows which flow runs this process is running (for heartbeats).
    """
    flow_runs: list[Op] = []
    new_rows: dict[str, list[Any]] = {}
    begun: dict[str, tuple[str, float, str, float]] = {}
    """Runs begun in this batch whose Pending and Running rows are not placed yet."""
    triples: list[tuple[Any, ...]] = []
    general_triples: list[tuple[Any, ...]] = []
    pairs: list[tuple[Any, ...]] = []
    singles: list[tuple[Any, ...]] = []
    flow_updates: list[tuple[Any, ...]] = []
    task_updates: list[tuple[Any, ...]] = []
    flow_changes: list[tuple[str, str]] = []
    log_ops: list[Op] = []
    heartbeats: list[Op] = []
    pid, now = os.getpid(), time.time()
    for op in ops:
        kind = op[0]
        if kind == TASK_END:
            _, run_id, state_id, type_, name, ts, message, result_key, cache_key, run_count = op
            first = begun.pop(run_id, None)
            if first is None:
                singles.append(
                    (state_id, run_id, "task", type_, name, ts, message, result_key, cache_key)
                )
            elif (
                type_ == "COMPLETED"
                and message is None
                and result_key is None
                and cache_key is None
            ):
                triples.append(
                    (first[0], run_id, first[1], first[2], run_id, first[3], state_id, run_id, ts)
                )
            else:
                general_triples.append(
                    (
                        *(first[0], run_id, first[1], first[2], run_id, first[3]),
                        *(state_id, run_id, type_, name, ts, message, result_key, cache_key),
                    )
                )
            row = new_rows.get(run_id)
            if row is None:
                task_updates.append(
                    (type_, name, message, None, ts, run_count, cache_key, result_key, run_id)
                )
            else:
                row[_T_STATE_TYPE : _T_MESSAGE + 1] = (type_, name, message)
                row[_T_END] = ts
                row[_T_RUN_COUNT] = run_count
                if cache_key is not None:
                    row[_T_CACHE_KEY] = cache_key
                if result_key is not None:
                    row[_T_RESULT_KEY] = result_key
        elif kind == TASK_BEGIN:
            (
                _,
                run_id,
                flow_run_id,
                task_key,
                dynamic_key,
                name,
                created,
                tags_json,
                inputs,
                wait_for,
                pending_id,
                running_id,
                start,
            ) = op
            row = [
                run_id,
                flow_run_id,
                task_key,
                dynamic_key,
                name,
                created,
                tags_json,
                _dumps(inputs) if inputs else "{}",
                _dumps(wait_for) if wait_for else "[]",
                "PENDING",
                "Pending",
                None,
                None,
                None,
                0,
                None,
                None,
            ]
            if running_id is None:
                singles.append(
                    (pending_id, run_id, "task", "PENDING", "Pending", created, None, None, None)
                )
            else:
                row[_T_STATE_TYPE : _T_STATE_TYPE + 2] = ("RUNNING", "Running")
                row[_T_START] = start
                row[_T_RUN_COUNT] = 1
                begun[run_id] = (pending_id, created, running_id, start)
            new_rows[run_id] = row
        elif kind == STATE:
            _, run_kind, run_id, st, start, end, run_count = op
            if begun and run_id in begun:
                _place_pair(pairs, run_id, begun.pop(run_id))
            singles.append(_state_row(op))
            type_ = text(st.type)
            if run_kind == "flow":
                running = type_ == "RUNNING"
                flow_updates.append(
                    (
                        type_,
                        st.name,
                        st.message,
                        start,
                        end,
                        run_count,
                        pid if running else None,
                        HOSTNAME if running else None,
                        now if running else None,
                        run_id,
                    )
                )
                flow_changes.append((run_id, type_))
            elif (row := new_rows.get(run_id)) is not None:
                row[_T_STATE_TYPE : _T_MESSAGE + 1] = (type_, st.name, st.message)
                if start is not None:
                    row[_T_START] = start
                if end is not None:
                    row[_T_END] = end
                if run_count is not None:
                    row[_T_RUN_COUNT] = run_count
                if st.cache_key is not None:
                    row[_T_CACHE_KEY] = st.cache_key
                if st.result_key is not None:
                    row[_T_RESULT_KEY] = st.result_key
            else:
                task_updates.append(
                    (
                        type_,
                        st.name,
                        st.message,
                        start,
                        end,
                        run_count,
                        st.cache_key,
                        st.result_key,
                        run_id,
                    )
                )
        elif kind == TASK_RUN:
            new_rows[op[1].id] = _task_run_row(op[1])
        elif kind == FLOW_RUN:
            flow_runs.append(op)
        elif kind == LOGS:
            log_ops.append(op)
        elif kind == HEARTBEAT:
            heartbeats.append(op)
    for run_id, first in begun.items():
        _place_pair(pairs, run_id, first)
    if flow_runs:
        _flow_runs(db, flow_runs)
    if new_rows:
        _insert_task_runs(db, new_rows.values())
    db.executemany(_INSERT_STATES_PRC, triples)
    db.executemany(_INSERT_STATES_PR_FINAL, general_triples)
    db.executemany(_INSERT_STATES_PR, pairs)
    db.executemany(_INSERT_STATE, singles)
    db.executemany(_UPDATE_FLOW_RUN_STATE, flow_updates)
    db.executemany(_UPDATE_TASK_RUN_STATE, task_updates)
    if log_ops:
        _logs(db, log_ops)
    if heartbeats:
        _heartbeats(db, heartbeats)
    return flow_changes


def _place_pair(
    pairs: list[tuple[Any, ...]], run_id: str, first: tuple[str, float, str, float]
) -> None:
    pairs.append((first[0], run_id, first[1], first[2], run_id, first[3]))


def apply_op_escaping(db: Database, op: Op) -> list[tuple[str, str]]:
    """Apply one ``op`` under a savepoint the caller has set; if the database refuses
    its text (a lone surrogate UTF-8 cannot encode), roll back to ``hw_op`` and apply
    it again with every lone surrogate stored as its backslash escape.

    A run's logs, state messages, names and parameters are recorded this way
    rather than refused: writing a log line must never crash a run
    (:mod:`headwater._store.text`). Other errors propagate.
    """
    try:
        return apply_ops(db, [op])
    except Exception as exc:
        if not is_encoding_error(exc) or db.dialect.is_transient(exc):
            raise
    db.execute("ROLLBACK TO SAVEPOINT hw_op")
    return apply_ops(db, [_escaped(op)])


def _escaped(op: Op) -> Op:
    """``op`` with lone surrogates escaped, in its values and in its JSON text fields."""
    if op[0] == TASK_BEGIN and op[7]:
        # tags_json is JSON text: escape the decoded strings, not the text (a backslash
        # escape inside JSON text would decode back to the surrogate).
        tags = escape_deep(json.loads(op[7]))
        op = (*op[:7], _dumps(tags), *op[8:])
    escaped: Op = escape_deep(op)
    return escaped
