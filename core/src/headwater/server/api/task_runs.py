"""Task runs: read one and its state history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import current_store
from headwater.server.schemas import ErrorResponse, StateChange, TaskRun

__all__ = ["router"]

router = APIRouter(prefix="/task_runs", tags=["task runs"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No task run has this id."}
}


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
