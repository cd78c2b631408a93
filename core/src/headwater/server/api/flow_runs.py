"""Flow runs: list with filters, read one (by id or unique prefix), its states,
task runs and logs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import (
    Limit,
    Offset,
    StateValues,
    current_store,
    parse_state_filter,
)
from headwater.server.schemas import ErrorResponse, FlowRun, LogLine, StateChange, TaskRun

__all__ = ["router"]

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No flow run has this id or prefix."}
}


def _flow_run_id(flow_run_id: str) -> str:
    """The full id of the flow run ``flow_run_id`` names (an id or unique prefix)."""
    try:
        return current_store().read_flow_run(flow_run_id).id
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None


@router.get("", response_model=list[FlowRun], summary="List flow runs, newest first")
def list_flow_runs(
    flow_name: Annotated[str | None, Query(description="Only runs of this flow.")] = None,
    state: StateValues = None,
    tag: Annotated[
        list[str] | None, Query(description="Only runs with this tag; repeat for all of several.")
    ] = None,
    parent_flow_run_id: Annotated[
        str | None, Query(description="Only subflow runs of this flow run (full id).")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[FlowRun]:
    states = parse_state_filter(state)
    store = current_store()
    common = {"flow_name": flow_name, "tags": tag or None, "parent_flow_run_id": parent_flow_run_id}
    if states.types and states.names:
        # The store ANDs types and names; "any of" needs a filter here.
        runs = store.read_flow_runs(state_types=states.covering_types(), limit=None, **common)  # type: ignore[arg-type]
        runs = [r for r in runs if states.matches(r.state_type, r.state_name)]
        runs = runs[offset : offset + limit]
    else:
        runs = store.read_flow_runs(
            state_types=list(states.types) or None,
            state_names=list(states.names) or None,
            limit=limit,
            offset=offset,
            **common,  # type: ignore[arg-type]
        )
    return [FlowRun.model_validate(r, from_attributes=True) for r in runs]


@router.get(
    "/{flow_run_id}", response_model=FlowRun, responses=_NOT_FOUND, summary="Read a flow run"
)
def read_flow_run(flow_run_id: str) -> FlowRun:
    """The flow run with this id, or with this unique id prefix (6+ characters)."""
    try:
        run = current_store().read_flow_run(flow_run_id)
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None
    return FlowRun.model_validate(run, from_attributes=True)


@router.get(
    "/{flow_run_id}/states",
    response_model=list[StateChange],
    responses=_NOT_FOUND,
    summary="A flow run's state history, oldest first",
)
def read_flow_run_states(flow_run_id: str) -> list[StateChange]:
    full_id = _flow_run_id(flow_run_id)
    states = current_store().read_states(full_id)
    return [StateChange.model_validate(s, from_attributes=True) for s in states]


@router.get(
    "/{flow_run_id}/task_runs",
    response_model=list[TaskRun],
    responses=_NOT_FOUND,
    summary="A flow run's task runs, in creation order",
)
def read_flow_run_task_runs(
    flow_run_id: str, state: StateValues = None, limit: Limit = 100, offset: Offset = 0
) -> list[TaskRun]:
    states = parse_state_filter(state)
    full_id = _flow_run_id(flow_run_id)
    store = current_store()
    if states.names:
        runs = store.read_task_runs(flow_run_id=full_id, state_types=states.covering_types())
        runs = [r for r in runs if states.matches(r.state_type, r.state_name)]
        runs = runs[offset : offset + limit]
    else:
        runs = store.read_task_runs(
            flow_run_id=full_id,
            state_types=list(states.types) or None,
            limit=limit,
            offset=offset,
        )
    return [TaskRun.model_validate(r, from_attributes=True) for r in runs]


_LEVEL_NAMES = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


@router.get(
    "/{flow_run_id}/logs",
    response_model=list[LogLine],
    responses=_NOT_FOUND,
    summary="A flow run's logs (with its task runs' logs), oldest first",
)
def read_flow_run_logs(
    flow_run_id: str,
    min_level: Annotated[
        int, Query(ge=0, le=100, description="Only lines at this logging level or above (0..100).")
    ] = 0,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[LogLine]:
    full_id = _flow_run_id(flow_run_id)
    logs = current_store().read_logs(
        flow_run_id=full_id, min_level=min_level, limit=limit, offset=offset
    )
    return [LogLine.model_validate(line, from_attributes=True) for line in logs]
