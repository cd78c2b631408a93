"""Concurrency limits: every tag's limit and the task runs holding its slots; create,
update and delete limits; take and release slots (atomically, on the server)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from headwater._store.remote import try_acquire_slots_for
from headwater.server._params import current_store
from headwater.server._security import require_admin
from headwater.server.api._store_calls import BAD_BODY, embedded_store, store_call
from headwater.server.schemas import (
    ConcurrencyLimit,
    ConcurrencyLimitWrite,
    ErrorResponse,
    SlotRelease,
    SlotRequest,
    SlotResult,
)

__all__ = ["router"]

router = APIRouter(
    prefix="/concurrency_limits",
    tags=["concurrency limits"],
)

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No limit for this tag."}
}


@router.get("", response_model=list[ConcurrencyLimit], summary="List concurrency limits")
def list_concurrency_limits() -> list[ConcurrencyLimit]:
    limits = current_store().read_concurrency_limits()
    return [ConcurrencyLimit.model_validate(lim, from_attributes=True) for lim in limits]


@router.post(
    "/acquire",
    response_model=SlotResult,
    responses=BAD_BODY,
    dependencies=[Depends(require_admin)],
    summary="Take one slot on every limited tag, or none at all",
)
def acquire_slots(request: SlotRequest) -> SlotResult:
    """Atomic: ``acquired`` is false (and nothing is taken) when any limited tag is full.
    Tags without a limit are ignored. The slots are recorded for the holder's
    ``pid`` and ``hostname``, so they are reclaimed if that process dies."""
    store = embedded_store()
    acquired = store_call(
        lambda: try_acquire_slots_for(
            store, request.tags, request.holder_id, pid=request.pid, hostname=request.hostname
        )
    )
    return SlotResult(acquired=acquired)


@router.post(
    "/release",
    status_code=204,
    response_class=Response,
    responses=BAD_BODY,
    dependencies=[Depends(require_admin)],
    summary="Release every slot a holder has",
)
def release_slots(request: SlotRelease) -> Response:
    store_call(lambda: embedded_store().release_concurrency_slots(request.holder_id))
    return Response(status_code=204)


@router.get(
    "/{tag}",
    response_model=ConcurrencyLimit,
    responses=_NOT_FOUND,
    summary="Read one concurrency limit",
)
def read_concurrency_limit(tag: str) -> ConcurrencyLimit:
    limit = store_call(lambda: embedded_store().read_concurrency_limit(tag))
    return ConcurrencyLimit.model_validate(limit, from_attributes=True)


@router.put(
    "/{tag}",
    response_model=ConcurrencyLimit,
    responses=BAD_BODY,
    dependencies=[Depends(require_admin)],
    summary="Create or update the limit for a tag",
)
def put_concurrency_limit(tag: str, body: ConcurrencyLimitWrite) -> ConcurrencyLimit:
    """An update keeps the limit's creation time and the slots held."""
    limit = store_call(lambda: embedded_store().create_concurrency_limit(tag, body.limit))
    return ConcurrencyLimit.model_validate(limit, from_attributes=True)


@router.delete(
    "/{tag}",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
    dependencies=[Depends(require_admin)],
    summary="Delete the limit for a tag (and its slots)",
)
def delete_concurrency_limit(tag: str) -> Response:
    store_call(lambda: embedded_store().delete_concurrency_limit(tag))
    return Response(status_code=204)
