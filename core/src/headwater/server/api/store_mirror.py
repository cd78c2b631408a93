"""``/api/store/...``: the Store interface one to one, for the HTTP client.

The resource routes (``/api/flow_runs`` ...) are shaped for people and the UI:
pages of at most 1000, state filters that accept types or names, not-found
messages in their own words. A process running with ``HEADWATER_API_URL``
needs the embedded store's exact behaviour instead, so these routes mirror
:class:`headwater._store.base.Store` one to one: every filter with the same
meaning, no limit unless asked, every record field (pid, result keys, ...), and
the store's own error messages (an ambiguous or too-short id prefix says so).
The reads need only a read token; the one write here, a state proposal with
the client's own state record (id and time), needs the admin role.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from headwater._store.records import StateRecord
from headwater.server._security import require_admin
from headwater.server.api._store_calls import BAD_BODY, embedded_store, store_call
from headwater.server.schemas import (
    Count,
    ErrorResponse,
    FlowRun,
    LogLine,
    ProposalOutcome,
    StateChange,
    StateProposal,
    TaskRun,
)

__all__ = ["router"]

router = APIRouter(prefix="/store", tags=["store"])

_MAX = 2**62

Limit = Annotated[
    int | None, Query(ge=0, le=_MAX, description="At most this many items; all when absent.")
]
Offset = Annotated[int, Query(ge=0, le=_MAX, description="Skip this many items first.")]
Types = Annotated[list[str] | None, Query(description="Any of these state types (repeat).")]
Names = Annotated[list[str] | None, Query(description="Any of these state names (repeat).")]
Tags = Annotated[list[str] | None, Query(description="All of these tags (repeat).")]
Time = Annotated[
    str | None, Query(description="POSIX seconds (the store names a value it cannot use).")
]
Sort = Annotated[
    str | None,
    Query(description="created_desc, created_asc, start_time_desc, start_time_asc or name_asc."),
]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such run (the store's own message)."}
}


def _number(value: str | None) -> Any:
    """A number when ``value`` is one; otherwise the text, for the store to refuse by name."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return value


def _time_filters(
    start_after: str | None,
    start_before: str | None,
    created_after: str | None,
    created_before: str | None,
) -> dict[str, Any]:
    given = {
        "start_after": _number(start_after),
        "start_before": _number(start_before),
        "created_after": _number(created_after),
        "created_before": _number(created_before),
    }
    return {k: v for k, v in given.items() if v is not None}


def _sort(sort: str | None) -> dict[str, Any]:
    """``sort`` for the store when given (the store names it if it is not one it knows)."""
    return {} if sort is None else {"sort": sort}


@router.get("/flow_runs", response_model=list[FlowRun], summary="Flow runs (Store.read_flow_runs)")
def read_flow_runs(
    flow_name: str | None = None,
    state_type: Types = None,
    state_name: Names = None,
    tag: Tags = None,
    parent_flow_run_id: str | None = None,
    start_after: Time = None,
    start_before: Time = None,
    created_after: Time = None,
    created_before: Time = None,
    sort: Sort = None,
    limit: Limit = None,
    offset: Offset = 0,
) -> list[FlowRun]:
    runs = store_call(
        lambda: embedded_store().read_flow_runs(
            flow_name=flow_name,
            state_types=state_type or None,
            state_names=state_name or None,
            tags=tag or None,
            parent_flow_run_id=parent_flow_run_id,
            limit=limit,
            offset=offset,
            **_time_filters(start_after, start_before, created_after, created_before),
            **_sort(sort),
        )
    )
    return [FlowRun.model_validate(r, from_attributes=True) for r in runs]


@router.get("/flow_runs/count", response_model=Count, summary="Store.count_flow_runs")
def count_flow_runs(
    flow_name: str | None = None,
    state_type: Types = None,
    state_name: Names = None,
    tag: Tags = None,
    parent_flow_run_id: str | None = None,
    start_after: Time = None,
    start_before: Time = None,
    created_after: Time = None,
    created_before: Time = None,
) -> Count:
    filters: dict[str, Any] = {
        "flow_name": flow_name,
        "state_types": state_type or None,
        "state_names": state_name or None,
        "tags": tag or None,
        "parent_flow_run_id": parent_flow_run_id,
        **_time_filters(start_after, start_before, created_after, created_before),
    }
    given = {k: v for k, v in filters.items() if v is not None}
    return Count(count=store_call(lambda: embedded_store().count_flow_runs(**given)))


@router.get(
    "/flow_runs/{flow_run_id}",
    response_model=FlowRun,
    responses=_NOT_FOUND,
    summary="One flow run by id or unique prefix (Store.read_flow_run)",
)
def read_flow_run(flow_run_id: str) -> FlowRun:
    run = store_call(lambda: embedded_store().read_flow_run(flow_run_id))
    return FlowRun.model_validate(run, from_attributes=True)


@router.get("/task_runs", response_model=list[TaskRun], summary="Task runs (Store.read_task_runs)")
def read_task_runs(
    flow_run_id: str | None = None,
    state_type: Types = None,
    state_name: Names = None,
    tag: Tags = None,
    start_after: Time = None,
    start_before: Time = None,
    created_after: Time = None,
    created_before: Time = None,
    sort: Sort = None,
    limit: Limit = None,
    offset: Offset = 0,
) -> list[TaskRun]:
    extra: dict[str, Any] = {
        **_time_filters(start_after, start_before, created_after, created_before),
        **_sort(sort),
    }
    if state_name:
        extra["state_names"] = state_name
    if tag:
        extra["tags"] = tag
    runs = store_call(
        lambda: embedded_store().read_task_runs(
            flow_run_id=flow_run_id,
            state_types=state_type or None,
            limit=limit,
            offset=offset,
            **extra,
        )
    )
    return [TaskRun.model_validate(r, from_attributes=True) for r in runs]


@router.get("/task_runs/count", response_model=Count, summary="Store.count_task_runs")
def count_task_runs(
    flow_run_id: str | None = None,
    state_type: Types = None,
    state_name: Names = None,
    tag: Tags = None,
    start_after: Time = None,
    start_before: Time = None,
    created_after: Time = None,
    created_before: Time = None,
) -> Count:
    filters: dict[str, Any] = {
        "flow_run_id": flow_run_id,
        "state_types": state_type or None,
        "state_names": state_name or None,
        "tags": tag or None,
        **_time_filters(start_after, start_before, created_after, created_before),
    }
    given = {k: v for k, v in filters.items() if v is not None}
    return Count(count=store_call(lambda: embedded_store().count_task_runs(**given)))


@router.get(
    "/task_runs/{task_run_id}",
    response_model=TaskRun,
    responses=_NOT_FOUND,
    summary="One task run (Store.read_task_run)",
)
def read_task_run(task_run_id: str) -> TaskRun:
    run = store_call(lambda: embedded_store().read_task_run(task_run_id))
    return TaskRun.model_validate(run, from_attributes=True)


@router.get(
    "/states/{run_id}",
    response_model=list[StateChange],
    summary="A flow or task run's state history, oldest first (empty for an unknown id)",
)
def read_states(run_id: str) -> list[StateChange]:
    states = store_call(lambda: embedded_store().read_states(run_id))
    return [StateChange.model_validate(s, from_attributes=True) for s in states]


@router.get("/logs", response_model=list[LogLine], summary="Log lines (Store.read_logs)")
def read_logs(
    flow_run_id: str | None = None,
    task_run_id: str | None = None,
    min_level: Annotated[int, Query(ge=0, le=_MAX)] = 0,
    limit: Limit = None,
    offset: Offset = 0,
) -> list[LogLine]:
    lines = store_call(
        lambda: embedded_store().read_logs(
            flow_run_id=flow_run_id,
            task_run_id=task_run_id,
            min_level=min_level,
            limit=limit,
            offset=offset,
        )
    )
    return [LogLine.model_validate(line, from_attributes=True) for line in lines]


@router.post(
    "/flow_runs/{flow_run_id}/propose_state",
    response_model=ProposalOutcome,
    responses={**_NOT_FOUND, **BAD_BODY},
    dependencies=[Depends(require_admin)],
    summary="Store.propose_flow_run_state (full id; the client's state record)",
)
def propose_flow_run_state(flow_run_id: str, proposal: StateProposal) -> ProposalOutcome:
    """ACCEPT or REJECT by the orchestration rules; see ``POST /api/flow_runs/{id}/set_state``
    for the same with a state made by the server."""
    state = StateRecord(**proposal.state.model_dump())
    result = store_call(
        lambda: embedded_store().propose_flow_run_state(
            flow_run_id, state, transition_id=proposal.transition_id, force=proposal.force
        )
    )
    return ProposalOutcome.model_validate(result, from_attributes=True)
