"""Concurrency limits: every tag's limit and the task runs holding its slots."""

from __future__ import annotations

from fastapi import APIRouter

from headwater.server._params import current_store
from headwater.server.schemas import ConcurrencyLimit

__all__ = ["router"]

router = APIRouter(prefix="/concurrency_limits", tags=["concurrency limits"])


@router.get("", response_model=list[ConcurrencyLimit], summary="List concurrency limits")
def list_concurrency_limits() -> list[ConcurrencyLimit]:
    limits = current_store().read_concurrency_limits()
    return [ConcurrencyLimit.model_validate(lim, from_attributes=True) for lim in limits]
