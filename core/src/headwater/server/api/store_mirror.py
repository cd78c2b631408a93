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

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from headwater._store.filters import InvalidFilter, RunFilter
from headwater._store.http.transport import ERROR_HEADER
from headwater._store.records import StateRecord
from headwater.errors import ConfigurationError
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
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such run (the store's own message)."}
}


def _run_filter(request: Request) -> RunFilter:
    """The run filter in the query string (the parameters of :meth:`RunFilter.to_query`);
    a 422 naming the parameter, raised as ConfigurationError by the client, for a bad one."""
    try:
        return RunFilter.from_query(request.query_params.multi_items())
    except InvalidFilter as exc:
        headers = {ERROR_HEADER: ConfigurationError.__name__}
        raise HTTPException(422, detail=str(exc), headers=headers) from None


StoreFilter = Annotated[RunFilter, Depends(_run_filter)]
"""A route parameter: the :class:`RunFilter` an HTTP store sent (read from the request,
so its parameters are documented by :data:`_FILTER_ROUTE`)."""


def _parameter(name: str, repeated: bool) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": text} if repeated else text,
        "description": "A RunFilter field (RunFilter.to_query); repeat for several."
        if repeated
        else "A RunFilter field (RunFilter.to_query); times are POSIX seconds.",
    }


_FILTER_ROUTE: dict[str, Any] = {
    "openapi_extra": {"parameters": [_parameter(n, r) for n, r in RunFilter.query_parameters()]},
    "responses": {
        422: {"model": ErrorResponse, "description": "A filter value it cannot use, named."}
    },
}
"""``@router.get`` arguments of a route that takes a :data:`StoreFilter`."""


@router.get(
    "/flow_runs",
    response_model=list[FlowRun],
    summary="Flow runs (Store.read_flow_runs)",
    **_FILTER_ROUTE,
)
def read_flow_runs(where: StoreFilter) -> list[FlowRun]:
    runs = store_call(lambda: embedded_store().read_flow_runs(where))
    return [FlowRun.model_validate(r, from_attributes=True) for r in runs]


@router.get(
    "/flow_runs/count", response_model=Count, summary="Store.count_flow_runs", **_FILTER_ROUTE
)
def count_flow_runs(where: StoreFilter) -> Count:
    return Count(count=store_call(lambda: embedded_store().count_flow_runs(where)))


@router.get(
    "/flow_runs/{flow_run_id}",
    response_model=FlowRun,
    responses=_NOT_FOUND,
    summary="One flow run by id or unique prefix (Store.read_flow_run)",
)
def read_flow_run(flow_run_id: str) -> FlowRun:
    run = store_call(lambda: embedded_store().read_flow_run(flow_run_id))
    return FlowRun.model_validate(run, from_attributes=True)


@router.get(
    "/task_runs",
    response_model=list[TaskRun],
    summary="Task runs (Store.read_task_runs)",
    **_FILTER_ROUTE,
)
def read_task_runs(where: StoreFilter) -> list[TaskRun]:
    runs = store_call(lambda: embedded_store().read_task_runs(where))
    return [TaskRun.model_validate(r, from_attributes=True) for r in runs]


@router.get(
    "/task_runs/count", response_model=Count, summary="Store.count_task_runs", **_FILTER_ROUTE
)
def count_task_runs(where: StoreFilter) -> Count:
    return Count(count=store_call(lambda: embedded_store().count_task_runs(where)))


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
