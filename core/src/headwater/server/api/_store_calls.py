"""Calling the embedded store from a route, with its errors as HTTP answers.

The server always works on the embedded store (never over HTTP to itself).
:func:`store_call` turns the store's errors into the status codes the HTTP
client maps back, naming the exact error class in the ``X-Headwater-Error``
header so a client catches what it would catch on the embedded store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import HTTPException

from headwater._store import get_embedded_store
from headwater._store.http.transport import ERROR_HEADER
from headwater.errors import (
    HeadwaterError,
    InvalidStateTransition,
    ObjectAlreadyExists,
    ObjectNotFound,
    StoreError,
)

if TYPE_CHECKING:
    from headwater._store.sql import SqlStore

__all__ = ["BAD_BODY", "embedded_store", "store_call"]

T = TypeVar("T")

BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read (not UTF-8 JSON)."}
}
"""The answer FastAPI gives a body it cannot decode, for ``responses=`` of routes with a body."""


def embedded_store() -> SqlStore:
    """The process's embedded store (opened, and migrated, on first use)."""
    return get_embedded_store()


def _status(exc: HeadwaterError) -> int | None:
    if isinstance(exc, ObjectNotFound):
        return 404
    if isinstance(exc, ObjectAlreadyExists | InvalidStateTransition):
        return 409
    if isinstance(exc, StoreError):
        return None  # the database failed: a 503 below
    if isinstance(exc, ValueError):
        return 422
    return None


def store_call(fn: Callable[[], T]) -> T:
    """``fn()``, with the store's errors raised as :class:`HTTPException`.

    404 not found, 409 already exists or an invalid state transition, 422 a bad
    value (ConfigurationError and the like), 503 the database failed. The
    detail is the store's own message (it names ids and fields, never secrets).
    """
    try:
        return fn()
    except HeadwaterError as exc:
        status = _status(exc)
        headers = {ERROR_HEADER: type(exc).__name__}
        if status is None:
            raise HTTPException(503, detail=str(exc), headers=headers) from None
        raise HTTPException(status, detail=str(exc), headers=headers) from None
