"""The OpenAPI document, corrected where FastAPI's defaults do not describe what we send.

Our validation errors are ``{"detail": "<one sentence naming the parameter>", "errors": [...]}``
(see :mod:`headwater.server._errors`), not FastAPI's list-valued ``detail``; the document says so,
so clients (and schemathesis) can rely on it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

__all__ = ["install_openapi"]

_VALIDATION_ERROR: dict[str, Any] = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "string",
            "title": "Detail",
            "description": "What is wrong, naming each parameter or field at fault.",
        },
        "errors": {
            "type": "array",
            "title": "Errors",
            "description": "One entry per problem: where (``loc``) and what (``msg``).",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the corrected document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = _VALIDATION_ERROR
            schemas.pop("ValidationError", None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
