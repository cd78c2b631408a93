"""Variables: list them all, or read one by name."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import current_store
from headwater.server.schemas import ErrorResponse, Variable

__all__ = ["router"]

router = APIRouter(prefix="/variables", tags=["variables"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No variable has this name."}
}


@router.get("", response_model=list[Variable], summary="List variables by name")
def list_variables() -> list[Variable]:
    return [
        Variable.model_validate(r, from_attributes=True) for r in current_store().read_variables()
    ]


@router.get("/{name}", response_model=Variable, responses=_NOT_FOUND, summary="Read one variable")
def read_variable(name: str) -> Variable:
    try:
        record = current_store().read_variable(name)
    except ObjectNotFound as exc:
        raise not_found("variable", name, exc) from None
    return Variable.model_validate(record, from_attributes=True)
