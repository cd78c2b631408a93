"""``POST /api/ingest``: a client's buffered writes, applied in order, once per batch id.

This is where a process running with ``HEADWATER_API_URL`` sends its flow runs,
task runs, states, logs and heartbeats. The batch is applied in one transaction
before the answer, so a 200 means durable; an op that the database refuses is
reported in ``errors`` by name and its neighbours are kept (as the embedded
writer does). A retried batch (same ``batch_id``) is not applied twice:
see :mod:`headwater._store.remote`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Depends

from headwater._store.ops import (
    FLOW_RUN,
    HEARTBEAT,
    LOGS,
    STATE,
    TASK_BEGIN,
    TASK_END,
    TASK_RUN,
    Op,
)
from headwater._store.records import FlowRunRecord, LogRecord, StateRecord, TaskRunRecord
from headwater._store.remote import apply_batch
from headwater.server._security import require_admin
from headwater.server.api._store_calls import BAD_BODY, embedded_store, store_call
from headwater.server.schemas import (
    ErrorResponse,
    FlowRunOp,
    HeartbeatOp,
    IngestBatch,
    IngestOp,
    IngestResult,
    LogsOp,
    StateOp,
    TaskBeginOp,
    TaskEndOp,
    TaskRunOp,
)

__all__ = ["router"]

router = APIRouter(tags=["ingest"])

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # see ops._dumps


def _op(item: IngestOp, now: float) -> Op:
    """The store's op tuple for one typed op of the request."""
    if isinstance(item, TaskBeginOp):
        return (
            TASK_BEGIN,
            item.run_id,
            item.flow_run_id,
            item.task_key,
            item.dynamic_key,
            item.name,
            item.created,
            _dumps(item.tags) if item.tags else "[]",
            item.task_inputs,
            item.wait_for,
            item.pending_id,
            item.running_id,
            item.start_time,
        )
    if isinstance(item, TaskEndOp):
        return (
            TASK_END,
            item.run_id,
            item.state_id,
            item.state_type,
            item.state_name,
            item.timestamp,
            item.message,
            item.result_key,
            item.cache_key,
            item.run_count,
        )
    if isinstance(item, StateOp):
        state = StateRecord(**item.state.model_dump())
        return (
            STATE,
            item.run_kind,
            item.run_id,
            state,
            item.start_time,
            item.end_time,
            item.run_count,
        )
    if isinstance(item, TaskRunOp):
        return (TASK_RUN, TaskRunRecord(**item.run.model_dump()))
    if isinstance(item, FlowRunOp):
        return (FLOW_RUN, FlowRunRecord(**item.run.model_dump()))
    if isinstance(item, LogsOp):
        return (LOGS, [LogRecord(**line.model_dump()) for line in item.logs])
    assert isinstance(item, HeartbeatOp)
    # The server's clock: crash detection compares heartbeats with it.
    return (HEARTBEAT, list(item.flow_run_ids), now)


_RESPONSES: dict[int | str, dict[str, Any]] = {
    **BAD_BODY,
    503: {"model": ErrorResponse, "description": "The database could not take the batch; retry."},
}


@router.post(
    "/ingest",
    response_model=IngestResult,
    responses=_RESPONSES,
    dependencies=[Depends(require_admin)],
    summary="Apply a batch of buffered writes (runs, states, logs, heartbeats)",
)
def ingest(batch: IngestBatch) -> IngestResult:
    """Apply ``ops`` in order in one transaction; answer when they are durable.

    Send the same ``batch_id`` (with a higher ``attempt``) to retry a batch whose
    answer was lost: it is applied once.
    """
    now = time.time()
    ops = [_op(item, now) for item in batch.ops]
    store = embedded_store()
    outcome = store_call(
        lambda: apply_batch(
            store,
            batch.batch_id,
            ops,
            pid=batch.pid,
            hostname=batch.hostname,
            attempt=batch.attempt,
        )
    )
    return IngestResult(
        batch_id=batch.batch_id,
        applied=outcome.applied,
        duplicate=outcome.duplicate,
        errors=outcome.errors,
    )
