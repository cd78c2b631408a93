"""How the API reports errors: always JSON ``{"detail": ...}`` naming what is at fault.

An unknown id is a 404 naming the id; a bad query value is a 422 naming the
parameter (with pydantic's error list beside it for clients that want it).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from headwater._store.text import escape_deep, escape_surrogates
from headwater.errors import ObjectNotFound

__all__ = ["ApiError", "install_error_handlers", "not_found", "reject_nul_characters"]


class ApiError(Exception):
    """An error with an HTTP status and a message for the client."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def not_found(kind: str, key: str, exc: ObjectNotFound | None = None) -> ApiError:
    """A 404 naming the object; the store's own words when a prefix is ambiguous."""
    detail = str(exc) if exc is not None else ""
    if "ambiguous" in detail.lower() or "more than one" in detail.lower():
        return ApiError(404, detail)
    return ApiError(404, f"{kind} {key!r} not found")


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in {"query", "path", "header", "body"}:
        return f"{parts[0]} parameter {parts[1]!r}"
    return ".".join(parts) or "request"


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    messages = [f"{_location(err.get('loc', ()))}: {err.get('msg', 'invalid')}" for err in errors]
    detail = "invalid request: " + "; ".join(messages)
    # Never echo the input back: it may be a secret pasted into the wrong field.
    safe = [{"loc": list(err.get("loc", ())), "msg": err.get("msg")} for err in errors]
    content = escape_deep({"detail": detail, "errors": safe})
    return JSONResponse(status_code=422, content=content)


async def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    # A detail may quote a name the client sent holding a lone surrogate: escape it,
    # or the answer itself could not be encoded (a 500 instead of the 4xx).
    detail = escape_surrogates(exc.detail)
    return JSONResponse(status_code=exc.status_code, content={"detail": detail})


async def reject_nul_characters(request: Request) -> None:
    """A 422 naming the parameter when a path or query value holds a NUL character.

    No id, name or filter legitimately contains one, and PostgreSQL refuses them in text.
    """
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise ApiError(
                422, f"invalid request: query parameter {name!r} contains a NUL character"
            )
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise ApiError(
                422, f"invalid request: path parameter {name!r} contains a NUL character"
            )


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
