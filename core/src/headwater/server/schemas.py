"""The API's response bodies: pydantic models that mirror the store's records.

They are what the OpenAPI document describes, so each field says what it
holds. Times are POSIX timestamps (float seconds, UTC), as in the store.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "Artifact",
    "BlockDocument",
    "BlockType",
    "ConcurrencyLimit",
    "ErrorResponse",
    "FlowRun",
    "Health",
    "LogLine",
    "StateChange",
    "TaskRun",
    "Variable",
]


class ErrorResponse(BaseModel):
    """Every error the API returns: a human-readable ``detail``."""

    detail: str = Field(description="What went wrong, naming the id or parameter at fault.")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str = Field(description="The Headwater version the server runs.")


class FlowRun(BaseModel):
    id: str
    flow_name: str
    name: str
    created: float
    parameters: dict[str, Any] = Field(description="A JSON-safe summary of the parameters.")
    tags: list[str]
    parent_flow_run_id: str | None
    parent_task_run_id: str | None
    state_type: str
    state_name: str
    state_message: str | None
    start_time: float | None
    end_time: float | None
    run_count: int
    entrypoint: str | None
    flow_version: str | None
    hostname: str | None
    heartbeat: float | None


class TaskRun(BaseModel):
    id: str
    flow_run_id: str | None
    task_key: str
    dynamic_key: str
    name: str
    created: float
    tags: list[str]
    task_inputs: dict[str, list[str]] = Field(
        description="Parameter name -> ids of the task runs whose results flowed into it."
    )
    wait_for: list[str]
    state_type: str
    state_name: str
    state_message: str | None
    start_time: float | None
    end_time: float | None
    run_count: int
    cache_key: str | None


class StateChange(BaseModel):
    id: str
    run_id: str
    run_kind: Literal["flow", "task"]
    type: str
    name: str
    timestamp: float
    message: str | None


class LogLine(BaseModel):
    flow_run_id: str | None
    task_run_id: str | None
    level: int
    name: str
    message: str
    timestamp: float


class ConcurrencyLimit(BaseModel):
    tag: str
    limit: int
    created: float
    active_slots: list[str] = Field(description="Ids of the task runs holding a slot now.")


class BlockType(BaseModel):
    slug: str
    package: str | None = Field(description="The distribution that provides the type.")
    class_path: str | None = Field(description="``module:QualName`` of the block class.")
    description: str | None
    capabilities: list[str] | None
    schema_version: int | None
    secret_fields: list[str] | None
    block_schema: dict[str, Any] | None = Field(description="The JSON schema of the type's fields.")
    error: str | None = Field(description="Why the type cannot be imported, if it cannot.")


class BlockDocument(BaseModel):
    id: str
    address: str = Field(description="``type/name``.")
    block_type_slug: str
    name: str
    schema_version: int
    created: float
    updated: float
    data: dict[str, Any] | None = Field(
        description="The fields with every secret masked as ``********``; "
        "references such as ``env://NAME`` are shown as they are."
    )
    error: str | None = Field(description="Why the document cannot be read, if it cannot.")


class Variable(BaseModel):
    name: str
    value: Any = Field(description="Any JSON value.")
    tags: list[str]
    created: float
    updated: float


class Artifact(BaseModel):
    id: str
    key: str | None = Field(description="Artifacts sharing a key are versions of one another.")
    version: int = Field(description="1 for the first artifact of a key, then one more each time.")
    type: Literal["markdown", "table", "link"]
    data: Any = Field(
        description='Markdown text, a list of row objects, or {"link": ..., "link_text": ...}.'
    )
    description: str | None
    flow_run_id: str | None
    task_run_id: str | None
    created: float
