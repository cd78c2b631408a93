"""Records and buffered-write ops as JSON, both ways, for the HTTP store.

Records cross the wire field for field (their dataclass fields are the JSON
keys), so a record read over HTTP compares equal to the one that was written.
Ops are the same tuples the embedded store queues (:mod:`headwater._store.ops`);
:func:`op_json` turns one into the typed object ``POST /api/ingest`` takes.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, TypeVar

from headwater._store.ops import (
    FLOW_RUN,
    HEARTBEAT,
    LOGS,
    STATE,
    TASK_BEGIN,
    TASK_END,
    TASK_RUN,
    Op,
    text,
)
from headwater._store.records import FlowRunRecord, LogRecord, TaskRunRecord

__all__ = ["op_json", "record_from_json", "record_json"]

R = TypeVar("R")

_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def _names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


def record_json(record: Any) -> dict[str, Any]:
    """A record's fields as a JSON-ready dict (str enum members as their values)."""
    out = {name: getattr(record, name) for name in _names(type(record))}
    for key in ("state_type", "type"):
        if key in out:
            out[key] = text(out[key])
    return out


def record_from_json(cls: type[R], data: dict[str, Any]) -> R:
    """The record ``cls`` from a server's JSON object (extra keys are ignored)."""
    return cls(**{name: data[name] for name in _names(cls) if name in data})


def _log(log: LogRecord) -> dict[str, Any]:
    return {
        "flow_run_id": log.flow_run_id,
        "task_run_id": log.task_run_id,
        "level": log.level,
        "name": log.name,
        "message": log.message,
        "timestamp": log.timestamp,
    }


def op_json(op: Op) -> dict[str, Any]:
    """One queued op as the ingest endpoint's typed object."""
    kind = op[0]
    if kind == TASK_BEGIN:
        (_, run_id, flow_run_id, task_key, dynamic_key, name, created, tags_json, inputs) = op[:9]
        wait_for, pending_id, running_id, start = op[9:]
        return {
            "op": "task_begin",
            "run_id": run_id,
            "flow_run_id": flow_run_id,
            "task_key": task_key,
            "dynamic_key": dynamic_key,
            "name": name,
            "created": created,
            "tags": json.loads(tags_json) if tags_json and tags_json != "[]" else [],
            "task_inputs": inputs,
            "wait_for": wait_for,
            "pending_id": pending_id,
            "running_id": running_id,
            "start_time": start,
        }
    if kind == TASK_END:
        _, run_id, state_id, type_, name, ts, message, result_key, cache_key, run_count = op
        return {
            "op": "task_end",
            "run_id": run_id,
            "state_id": state_id,
            "state_type": text(type_),
            "state_name": name,
            "timestamp": ts,
            "message": message,
            "result_key": result_key,
            "cache_key": cache_key,
            "run_count": run_count,
        }
    if kind == STATE:
        _, run_kind, run_id, state, start, end, run_count = op
        return {
            "op": "state",
            "run_kind": text(run_kind),
            "run_id": run_id,
            "state": record_json(state),
            "start_time": start,
            "end_time": end,
            "run_count": run_count,
        }
    if kind == TASK_RUN:
        run: TaskRunRecord = op[1]
        return {"op": "task_run", "run": record_json(run)}
    if kind == FLOW_RUN:
        flow_run: FlowRunRecord = op[1]
        return {"op": "flow_run", "run": record_json(flow_run)}
    if kind == LOGS:
        return {"op": "logs", "logs": [_log(line) for line in op[1]]}
    if kind == HEARTBEAT:
        return {"op": "heartbeat", "flow_run_ids": list(op[1])}
    raise ValueError(f"unknown buffered-write op kind {kind!r}")
