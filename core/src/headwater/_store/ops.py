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
from collections.abc import Sequence
from typing import Any

from headwater._store.database import Database
from headwater._store.processes import HOSTNAME
from headwater._store.records import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord

__all__ = [
    "FINAL_STATE_TYPES",
    "FLOW_RUN",
    "FLUSH",
    "HEARTBEAT",
    "LOGS",
    "STATE",
    "STOP",
    "TASK_RUN",
    "Op",
    "apply_ops",
    "text",
]

# Op kinds: the first item of every op tuple.
FLOW_RUN = 0  # (FLOW_RUN, FlowRunRecord)
TASK_RUN = 1  # (TASK_RUN, TaskRunRecord)
STATE = 2  # (STATE, run_kind, run_id, StateRecord, start_time, end_time, run_count)
LOGS = 3  # (LOGS, Sequence[LogRecord])
HEARTBEAT = 4  # (HEARTBEAT, Sequence[str], timestamp)
FLUSH = 5  # (FLUSH, threading.Event)  -- handled by the writer, never applied
STOP = 6  # (STOP, threading.Event)

Op = tuple[Any, ...]

FINAL_STATE_TYPES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})

_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode


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


def _task_runs(db: Database, ops: Sequence[Op]) -> None:
    rows = []
    for op in ops:
        r: TaskRunRecord = op[1]
        rows.append(
            (
                r.id,
                r.flow_run_id,
                r.task_key,
                r.dynamic_key,
                r.name,
                r.created,
                _dumps(list(r.tags or ())),
                _dumps(r.task_inputs or {}),
                _dumps(list(r.wait_for or ())),
                text(r.state_type),
                r.state_name,
                r.state_message,
                r.start_time,
                r.end_time,
                r.run_count,
                r.cache_key,
                r.result_key,
            )
        )
    db.executemany(_INSERT_TASK_RUN, rows)


def _states(db: Database, ops: Sequence[Op], flow_changes: list[tuple[str, str]]) -> None:
    states, flows, tasks = [], [], []
    pid, now = os.getpid(), time.time()
    for _, run_kind, run_id, s, start, end, run_count in ops:
        st: StateRecord = s
        type_ = text(st.type)
        states.append(
            (
                st.id,
                run_id,
                text(run_kind),
                type_,
                st.name,
                st.timestamp,
                st.message,
                st.result_key,
                st.cache_key,
            )
        )
        if run_kind == "flow":
            running = type_ == "RUNNING"
            flows.append(
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
        else:
            tasks.append(
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
    db.executemany(_INSERT_STATE, states)
    db.executemany(_UPDATE_FLOW_RUN_STATE, flows)
    db.executemany(_UPDATE_TASK_RUN_STATE, tasks)


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
    """Apply ``ops`` inside the caller's transaction, one ``executemany`` per statement.

    Ops are bucketed by kind and applied creates first (flow runs, then task
    runs), then states, logs and heartbeats, each bucket in the order the ops
    were made. That keeps every order that matters: a run exists before its
    states are applied, and the states of one run land in the order they were
    set (so the last one made is current). The engine interleaves creates and
    states of many task runs, so grouping only *consecutive* ops of a kind
    would degrade into one statement per op.

    Returns ``(flow_run_id, state_type)`` for every flow state applied, so the
    writer knows which flow runs this process is running (for heartbeats).
    """
    buckets: tuple[list[Op], ...] = ([], [], [], [], [])
    for op in ops:
        buckets[op[0]].append(op)
    flow_runs, task_runs, states, logs, heartbeats = buckets
    flow_changes: list[tuple[str, str]] = []
    if flow_runs:
        _flow_runs(db, flow_runs)
    if task_runs:
        _task_runs(db, task_runs)
    if states:
        _states(db, states, flow_changes)
    if logs:
        _logs(db, logs)
    if heartbeats:
        _heartbeats(db, heartbeats)
    return flow_changes
