"""Flows: every flow that has recorded a run, one flow with its run count and last run,
and a flow's runs (the flow-run list's filters, sort and pages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import Limit, Offset, current_store
from headwater.server.api._run_query import FlowRunSort, RunQuery
from headwater.server.api.flow_runs import list_flow_runs_of
from headwater.server.schemas import ErrorResponse, FlowRun

__all__ = ["Flow", "FlowDetail", "LastFlowRun", "router"]

router = APIRouter(prefix="/flows", tags=["flows"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No flow has this name."}
}


class Flow(BaseModel):
    id: str
    name: str
    created: float = Field(description="When the flow's first run was recorded.")


class LastFlowRun(BaseModel):
    id: str
    name: str
    created: float
    state_type: str
    state_name: str
    start_time: float | None
    end_time: float | None


class FlowDetail(Flow):
    flow_run_count: int = Field(description="How many runs of this flow are stored.")
    last_flow_run: LastFlowRun | None = Field(description="The most recently created run.")


@router.get("", response_model=list[Flow], summary="List flows by name")
def list_flows() -> list[Flow]:
    return [Flow.model_validate(f, from_attributes=True) for f in current_store().read_flows()]


def _flow(name: str) -> Any:
    try:
        return current_store().read_flow(name)
    except ObjectNotFound as exc:
        raise not_found("flow", name, exc) from None


@router.get(
    "/{name}",
    response_model=FlowDetail,
    responses=_NOT_FOUND,
    summary="Read a flow, with its number of runs and its last run",
)
def read_flow(name: str) -> FlowDetail:
    flow = _flow(name)
    store = current_store()
    last = store.read_flow_runs(flow_name=flow.name, limit=1)
    return FlowDetail(
        id=flow.id,
        name=flow.name,
        created=flow.created,
        flow_run_count=store.count_flow_runs(flow_name=flow.name),
        last_flow_run=LastFlowRun.model_validate(last[0], from_attributes=True) if last else None,
    )


@router.get(
    "/{name}/flow_runs",
    response_model=list[FlowRun],
    responses=_NOT_FOUND,
    summary="A flow's runs, newest first",
)
def read_flow_flow_runs(
    name: str,
    filters: RunQuery,
    sort: FlowRunSort = "created_desc",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[FlowRun]:
    """The runs of this flow, with the filters of ``GET /api/flow_runs``."""
    flow = _flow(name)
    return list_flow_runs_of(
        filters,
        flow_name=flow.name,
        parent_flow_run_id=None,
        sort=sort,
        limit=limit,
        offset=offset,
    )
