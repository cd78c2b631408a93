"""Variables: list them all, read one by name, create or replace one, delete one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from headwater._store.records import VariableRecord
from headwater.errors import ObjectNotFound
from headwater.server._errors import not_found
from headwater.server._params import current_store
from headwater.server._security import require_admin
from headwater.server.api._store_calls import BAD_BODY, embedded_store, store_call
from headwater.server.schemas import ErrorResponse, Variable, VariableWrite

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


@router.put(
    "/{name}",
    response_model=Variable,
    responses={
        **BAD_BODY,
        409: {"model": ErrorResponse, "description": "It exists and not `overwrite`."},
    },
    dependencies=[Depends(require_admin)],
    summary="Create a variable, or replace it with `overwrite`",
)
def put_variable(name: str, body: VariableWrite) -> Variable:
    """Replacing keeps the variable's creation time; without ``overwrite`` an
    existing name is a 409 and nothing is written."""
    import time

    now = time.time()
    record = VariableRecord(
        name=name,
        value=body.value,
        tags=list(body.tags),
        created=body.created if body.created is not None else now,
        updated=body.updated if body.updated is not None else now,
    )
    saved = store_call(lambda: embedded_store().save_variable(record, overwrite=body.overwrite))
    return Variable.model_validate(saved, from_attributes=True)


@router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
    dependencies=[Depends(require_admin)],
    summary="Delete a variable",
)
def delete_variable(name: str) -> Response:
    store_call(lambda: embedded_store().delete_variable(name))
    return Response(status_code=204)
