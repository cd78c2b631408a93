"""Artifacts: list with filters, read one by id or a key's latest version, a flow run's
artifacts, and create one (keyed artifacts get the next version)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from headwater._store.records import ArtifactRecord
from headwater.errors import ObjectAlreadyExists, ObjectNotFound, StoreError
from headwater.server._errors import not_found
from headwater.server._params import current_store
from headwater.server._security import require_admin
from headwater.server.api._store_calls import BAD_BODY, embedded_store, store_call
from headwater.server.schemas import Artifact, ArtifactCreate, ErrorResponse

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
    limit: Annotated[
        int | None, Query(ge=0, le=2**62, description="At most this many; all when absent.")
    ] = None,
) -> list[Artifact]:
    records = current_store().read_artifacts(key=key, flow_run_id=flow_run_id, limit=limit)
    return [Artifact.model_validate(r, from_attributes=True) for r in records]


@router.post(
    "/artifacts",
    response_model=Artifact,
    status_code=201,
    responses={
        **BAD_BODY,
        409: {"model": ErrorResponse, "description": "An artifact with this id exists."},
    },
    dependencies=[Depends(require_admin)],
    summary="Create an artifact (a keyed one becomes the key's next version)",
)
def create_artifact(body: ArtifactCreate) -> Artifact:
    record = ArtifactRecord(version=1, **body.model_dump())
    store = embedded_store()

    def create() -> ArtifactRecord:
        try:
            return store.create_artifact(record)
        except StoreError:
            if _exists(record.id):  # the id is taken: say so, not "the store failed"
                raise ObjectAlreadyExists(f"an artifact with id {record.id!r} exists") from None
            raise

    stored = store_call(create)
    return Artifact.model_validate(stored, from_attributes=True)


def _exists(artifact_id: str) -> bool:
    try:
        embedded_store().read_artifact(artifact_id)
    except ObjectNotFound:
        return False
    return True


@router.get(
    "/artifacts/keys/{key}/latest",
    response_model=Artifact,
    responses=_responses("artifact key"),
    summary="The latest version of a keyed artifact",
)
def read_latest_artifact(key: str) -> Artifact:
    record = store_call(lambda: embedded_store().read_latest_artifact(key))
    return Artifact.model_validate(record, from_attributes=True)


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
