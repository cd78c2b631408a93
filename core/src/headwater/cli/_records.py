"""Records as JSON objects: the stable machine-readable shapes of ``-o json``.

Every record's fields appear under their store names; times are POSIX seconds
(UTC floats) and computed values are added under names that say what they are.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from headwater.cli._format import run_duration

if TYPE_CHECKING:
    from headwater._store import (
        ConcurrencyLimitRecord,
        FlowRunRecord,
        LogRecord,
        StateRecord,
        TaskRunRecord,
    )


def flow_run_json(run: FlowRunRecord) -> dict[str, Any]:
    data = asdict(run)
    data["duration_seconds"] = run_duration(run.start_time, run.end_time)
    return data


def upstream_ids(run: TaskRunRecord) -> list[str]:
    """Ids of the task runs this one depended on (through inputs or ``wait_for``)."""
    seen: dict[str, None] = {}
    for ids in run.task_inputs.values():
        for upstream in ids:
            seen.setdefault(upstream, None)
    for upstream in run.wait_for:
        seen.setdefault(upstream, None)
    return list(seen)


def task_run_json(run: TaskRunRecord) -> dict[str, Any]:
    data = asdict(run)
    data["duration_seconds"] = run_duration(run.start_time, run.end_time)
    data["upstream_count"] = len(upstream_ids(run))
    return data


def state_json(state: StateRecord) -> dict[str, Any]:
    return asdict(state)


def log_json(log: LogRecord, *, level_name: str, run_name: str | None) -> dict[str, Any]:
    data = asdict(log)
    data["level_name"] = level_name
    data["run_name"] = run_name
    return data


def concurrency_limit_json(limit: ConcurrencyLimitRecord) -> dict[str, Any]:
    data = asdict(limit)
    data["active_count"] = len(limit.active_slots)
    return data
