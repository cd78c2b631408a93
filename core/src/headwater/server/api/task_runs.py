"""Task runs: list them across flow runs with filters (flow run, state, tag, time range),
sort and pages; count; read one and its state history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import Limit, Offset, current_store
from headwater.server.api._run_query import RunQuery, TaskRunSort
from headwater.server.schemas import Count, ErrorResponse, StateChange, TaskRun

__all__ = ["router"]

router = APIRouter(prefix="/task_runs", tags=["task runs"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No task run has this id."}
}

FlowRunId = Annotated[str | None, Query(description="Only task runs of this flow run (full id).")]


@router.get("", response_model=list[TaskRun], summary="List task runs, oldest first")
def list_task_runs(
    filters: RunQuery,
    flow_run_id: FlowRunId = None,
    sort: TaskRunSort = "created_asc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[TaskRun]:
    where = filters.where(flow_run_id=flow_run_id, sort=sort, limit=limit, offset=offset)
    runs = current_store().read_task_runs(where)
    return [TaskRun.model_validate(r, from_attributes=True) for r in runs]


@router.get("/count", response_model=Count, summary="Count task runs matching the filters")
def count_task_runs(filters: RunQuery, flow_run_id: FlowRunId = None) -> Count:
    """How many task runs ``GET /api/task_runs`` pages through with the same filters."""
    where = filters.where(flow_run_id=flow_run_id)
    return Count(count=current_store().count_task_runs(where))


@router.get(
    "/{task_run_id}", response_model=TaskRun, responses=_NOT_FOUND, summary="Read a task run"
)
def read_task_run(task_run_id: str) -> TaskRun:
    try:
        run = current_store().read_task_run(task_run_id)
    except ObjectNotFound as exc:
        raise not_found("task run", task_run_id, exc) from None
    return TaskRun.model_validate(run, from_attributes=True)


@router.get(
    "/{task_run_id}/states",
    response_model=list[StateChange],
    responses=_NOT_FOUND,
    summary="A task run's state history, oldest first",
)
def read_task_run_states(task_run_id: str) -> list[StateChange]:
    store = current_store()
    try:
        run = store.read_task_run(task_run_id)
    except ObjectNotFound as exc:
        raise not_found("task run", task_run_id, exc) from None
    return [StateChange.model_validate(s, from_attributes=True) for s in store.read_states(run.id)]
