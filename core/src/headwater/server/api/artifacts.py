"""Artifacts: list with filters, read one by id, and a flow run's artifacts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import current_store
from headwater.server.schemas import Artifact, ErrorResponse

__all__ = ["router"]

router = APIRouter(tags=["artifacts"])


def _responses(what: str) -> dict[int | str, dict[str, Any]]:
    return {404: {"model": ErrorResponse, "description": f"No {what} has this id."}}


@router.get("/artifacts", response_model=list[Artifact], summary="List artifacts, newest first")
def list_artifacts(
    key: Annotated[str | None, Query(description="Only versions of this key.")] = None,
    flow_run_id: Annotated[
        str | None, Query(description="Only artifacts created in this flow run.")
    ] = None,
) -> list[Artifact]:
    records = current_store().read_artifacts(key=key, flow_run_id=flow_run_id)
    return [Artifact.model_validate(r, from_attributes=True) for r in records]


@router.get(
    "/artifacts/{artifact_id}",
    response_model=Artifact,
    responses=_responses("artifact"),
    summary="Read one artifact",
)
def read_artifact(artifact_id: str) -> Artifact:
    try:
        record = current_store().read_artifact(artifact_id)
    except ObjectNotFound as exc:
        raise not_found("artifact", artifact_id, exc) from None
    return Artifact.model_validate(record, from_attributes=True)


@router.get(
    "/flow_runs/{flow_run_id}/artifacts",
    response_model=list[Artifact],
    responses=_responses("flow run"),
    summary="A flow run's artifacts, newest first",
)
def flow_run_artifacts(flow_run_id: str) -> list[Artifact]:
    store = current_store()
    try:
        full_id = store.read_flow_run(flow_run_id).id
    except ObjectNotFound as exc:
        raise not_found("flow run", flow_run_id, exc) from None
    records = store.read_artifacts(flow_run_id=full_id)
    return [Artifact.model_validate(r, from_attributes=True) for r in records]
