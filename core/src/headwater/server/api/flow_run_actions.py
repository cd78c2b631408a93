"""Flow-run actions: cancel, delete, poll the state type, mark crashed runs.

Writes need the admin role. The state-type read is the one the engine polls
to notice a cancellation, so it is cheap (one indexed read) and takes a full id.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from headwater.server._security import require_admin
from headwater.server.api._store_calls import embedded_store, store_call
from headwater.server.schemas import CancelResult, CrashedRuns, ErrorResponse, StateType

__all__ = ["router"]

router = APIRouter(prefix="/flow_runs", tags=["flow runs"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No flow run has this id or prefix."}
}


@router.post(
    "/mark_crashed",
    response_model=CrashedRuns,
    dependencies=[Depends(require_admin)],
    summary="Mark Crashed every Running flow run whose process is gone",
)
def mark_crashed() -> CrashedRuns:
    """Same host and a dead pid, or no heartbeat for the crash timeout."""
    return CrashedRuns(flow_run_ids=store_call(lambda: embedded_store().mark_crashed_runs()))


@router.post(
    "/{flow_run_id}/cancel",
    response_model=CancelResult,
    responses={
        **_NOT_FOUND,
        409: {"model": ErrorResponse, "description": "The run is final: nothing to cancel."},
    },
    dependencies=[Depends(require_admin)],
    summary="Cancel a flow run",
)
def cancel_flow_run(flow_run_id: str) -> CancelResult:
    """A run that has not started is Cancelled at once; a Running one becomes
    Cancelling (its process stops it), or Cancelled when its process is gone."""
    return CancelResult(
        state_type=store_call(lambda: embedded_store().cancel_flow_run(flow_run_id))
    )


@router.delete(
    "/{flow_run_id}",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
    dependencies=[Depends(require_admin)],
    summary="Delete a flow run with its task runs, states and logs",
)
def delete_flow_run(flow_run_id: str) -> Response:
    store_call(lambda: embedded_store().delete_flow_run(flow_run_id))
    return Response(status_code=204)


@router.get(
    "/{flow_run_id}/state_type",
    response_model=StateType,
    responses=_NOT_FOUND,
    summary="A flow run's current state type (full id; what a running flow polls)",
)
def read_state_type(flow_run_id: str) -> StateType:
    return StateType(
        state_type=store_call(lambda: embedded_store().read_flow_run_state_type(flow_run_id))
    )
