"""Columns to select and how a row becomes a record."""

from __future__ import annotations

import json
from typing import Any

from headwater._store.records import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord

__all__ = [
    "FLOW_RUN_COLUMNS",
    "LOG_COLUMNS",
    "STATE_COLUMNS",
    "TASK_RUN_COLUMNS",
    "flow_run_from_row",
    "log_from_row",
    "state_from_row",
    "task_run_from_row",
]

FLOW_RUN_COLUMNS = (
    "id, flow_name, name, created, parameters, tags, parent_flow_run_id, parent_task_run_id,"
    " state_type, state_name, state_message, start_time, end_time, run_count, entrypoint,"
    " flow_version, pid, hostname, heartbeat"
)
TASK_RUN_COLUMNS = (
    "id, flow_run_id, task_key, dynamic_key, name, created, tags, task_inputs, wait_for,"
    " state_type, state_name, state_message, start_time, end_time, run_count, cache_key,"
    " result_key"
)
STATE_COLUMNS = "id, run_id, run_kind, type, name, timestamp, message, result_key, cache_key"
LOG_COLUMNS = "flow_run_id, task_run_id, level, name, message, timestamp"


def _json(value: str | None, default: Any) -> Any:
    return default if value is None else json.loads(value)


def flow_run_from_row(row: Any) -> FlowRunRecord:
    return FlowRunRecord(
        id=row[0],
        flow_name=row[1],
        name=row[2],
        created=row[3],
        parameters=_json(row[4], {}),
        tags=_json(row[5], []),
        parent_flow_run_id=row[6],
        parent_task_run_id=row[7],
        state_type=row[8],
        state_name=row[9],
        state_message=row[10],
        start_time=row[11],
        end_time=row[12],
        run_count=row[13],
        entrypoint=row[14],
        flow_version=row[15],
        pid=row[16],
        hostname=row[17],
        heartbeat=row[18],
    )


def task_run_from_row(row: Any) -> TaskRunRecord:
    return TaskRunRecord(
        id=row[0],
        flow_run_id=row[1],
        task_key=row[2],
        dynamic_key=row[3],
        name=row[4],
        created=row[5],
        tags=_json(row[6], []),
        task_inputs=_json(row[7], {}),
        wait_for=_json(row[8], []),
        state_type=row[9],
        state_name=row[10],
        state_message=row[11],
        start_time=row[12],
        end_time=row[13],
        run_count=row[14],
        cache_key=row[15],
        result_key=row[16],
    )


def state_from_row(row: Any) -> StateRecord:
    return StateRecord(
        id=row[0],
        run_id=row[1],
        run_kind=row[2],
        type=row[3],
        name=row[4],
        timestamp=row[5],
        message=row[6],
        result_key=row[7],
        cache_key=row[8],
    )


def log_from_row(row: Any) -> LogRecord:
    return LogRecord(
        flow_run_id=row[0],
        task_run_id=row[1],
        level=row[2],
        name=row[3],
        message=row[4],
        timestamp=row[5],
    )
