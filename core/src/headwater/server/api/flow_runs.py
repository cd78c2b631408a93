"""Flow runs: list with filters (flow, state, tag, time range), sort and pages; count;
read one (by id or unique prefix), its states, task runs and logs; and propose a
state for it under the store's orchestration rules."""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator

from headwater._store.records import RunSort, StateRecord
from headwater.errors import ConfigurationError, ObjectNotFound
from headwater.server._errors import ApiError, not_found
from headwater.server._params import Limit, Offset, current_store
from headwater.server._security import require_admin
from headwater.server.api._run_query import (
    FlowRunSort,
    RunQuery,
    RunQueryValues,
    TaskRunSort,
)
from headwater.server.schemas import Count, ErrorResponse, FlowRun, LogLine, StateChange, TaskRun
from headwater.states import StateType

__all__ = ["StateProposal", "TransitionResult", "list_flow_runs_of", "router"]

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No flow run has this id or prefix."}
}

FlowName = Annotated[str | None, Query(description="Only runs of this flow.")]
ParentId = Annotated[str | None, Query(description="Only subflow runs of this flow run (full id).")]


def _flow_run_id(flow_run_id: str) -> str:
    """The full id of the flow run ``flow_run_id`` names (an id or unique prefix)."""
    try:
        return current_store().read_flow_run(flow_run_id).id
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None


def list_flow_runs_of(
    filters: RunQueryValues,
    *,
    flow_name: str | None,
    parent_flow_run_id: str | None,
    sort: RunSort,
    limit: int,
    offset: int,
) -> list[FlowRun]:
    """A page of flow runs from the query values (shared with ``/flows/{name}/flow_runs``)."""
    where = filters.where(
        flow_name=flow_name,
        parent_flow_run_id=parent_flow_run_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    runs = current_store().read_flow_runs(where)
    return [FlowRun.model_validate(r, from_attributes=True) for r in runs]


@router.get("", response_model=list[FlowRun], summary="List flow runs, newest first")
def list_flow_runs(
    filters: RunQuery,
    flow_name: FlowName = None,
    parent_flow_run_id: ParentId = None,
    sort: FlowRunSort = "created_desc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[FlowRun]:
    return list_flow_runs_of(
        filters,
        flow_name=flow_name,
        parent_flow_run_id=parent_flow_run_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )


@router.get("/count", response_model=Count, summary="Count flow runs matching the filters")
def count_flow_runs(
    filters: RunQuery,
    flow_name: FlowName = None,
    parent_flow_run_id: ParentId = None,
) -> Count:
    """How many runs ``GET /api/flow_runs`` pages through with the same filters."""
    where = filters.where(flow_name=flow_name, parent_flow_run_id=parent_flow_run_id)
    return Count(count=current_store().count_flow_runs(where))


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
    flow_run_id: str,
    filters: RunQuery,
    sort: TaskRunSort = "created_asc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[TaskRun]:
    where = filters.where(sort=sort, limit=limit, offset=offset)  # a bad value: 422 first
    full_id = _flow_run_id(flow_run_id)
    runs = current_store().read_task_runs(where, flow_run_id=full_id)
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


# -- state proposals -----------------------------------------------------------------
_STATE_TYPES = tuple(t.value for t in StateType)


class StateProposal(BaseModel):
    """A state proposed for a flow run; the server's orchestration rules accept or reject it."""

    type: str = Field(
        description="The state type: " + ", ".join(_STATE_TYPES) + " (any case).",
        examples=["RUNNING"],
    )
    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The state name, e.g. AwaitingRetry; the type in title case when absent.",
    )
    message: str | None = Field(None, max_length=10_000, description="Why the state changed.")
    transition_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Makes the proposal idempotent: a transition id this run already accepted "
        "returns that first outcome (duplicate: true) and writes nothing.",
    )
    force: bool = Field(False, description="Skip the rules (admins only; the replay check stays).")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        upper = value.strip().upper()
        if upper not in _STATE_TYPES:
            raise ValueError(f"not a state type; use one of {', '.join(_STATE_TYPES)}")
        return upper


class TransitionResult(BaseModel):
    """The store's decision about a proposed state."""

    status: Literal["ACCEPT", "REJECT"]
    state_type: str = Field(
        description="The run's state type after the call (a replay: the state first accepted)."
    )
    state_name: str
    state_id: str | None = Field(
        description="The accepted state's id; on REJECT the run's current state's id."
    )
    reason: str | None = Field(
        description="Why the proposal was rejected, naming the run and the states."
    )
    duplicate: bool = Field(
        description="True when the transition id had been accepted before: nothing was written."
    )


_BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."}
}


@router.post(
    "/{flow_run_id}/set_state",
    response_model=TransitionResult,
    responses={**_NOT_FOUND, **_BAD_BODY},
    dependencies=[Depends(require_admin)],
    summary="Propose a state for a flow run (orchestration rules apply)",
)
def set_flow_run_state(flow_run_id: str, proposal: StateProposal) -> TransitionResult:
    """Propose a state; 200 with ``status`` ACCEPT or REJECT (and why).

    A final run (Completed, Failed, Crashed, Cancelled) only accepts SCHEDULED
    (e.g. AwaitingRetry); RUNNING is accepted only from Scheduled, Pending or
    Paused, so of several clients racing to start a run exactly one gets ACCEPT;
    CANCELLING only from Running. ``transition_id`` makes a retried request safe.
    """
    full_id = _flow_run_id(flow_run_id)
    state = StateRecord(
        id=uuid.uuid4().hex,
        run_id=full_id,
        run_kind="flow",
        type=proposal.type,
        name=proposal.name or proposal.type.title(),
        timestamp=time.time(),
        message=proposal.message,
    )
    try:
        result = current_store().propose_flow_run_state(
            full_id, state, transition_id=proposal.transition_id, force=proposal.force
        )
    except ObjectNotFound as exc:  # deleted meanwhile
        raise not_found("flow run", flow_run_id, exc) from None
    except ConfigurationError as exc:
        raise ApiError(422, f"invalid request: body parameter 'type': {exc}") from None
    return TransitionResult(
        status=result.status,
        state_type=result.state_type,
        state_name=result.state_name,
        state_id=result.state_id,
        reason=result.reason,
        duplicate=result.duplicate,
    )
