"""The API's response bodies: pydantic models that mirror the store's records.

They are what the OpenAPI document describes, so each field says what it
holds. Times are POSIX timestamps (float seconds, UTC), as in the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

__all__ = [
    "Artifact",
    "ArtifactCreate",
    "BlockDocument",
    "BlockType",
    "CancelResult",
    "ConcurrencyLimit",
    "ConcurrencyLimitWrite",
    "Count",
    "CrashedRuns",
    "ErrorResponse",
    "FlowRun",
    "FlowRunCreate",
    "FlowRunOp",
    "Health",
    "HeartbeatOp",
    "IngestBatch",
    "IngestOp",
    "IngestResult",
    "LogCreate",
    "LogLine",
    "LogsOp",
    "ProposalOutcome",
    "SlotRelease",
    "SlotRequest",
    "SlotResult",
    "StateChange",
    "StateCreate",
    "StateOp",
    "StateProposal",
    "StateType",
    "TaskBeginOp",
    "TaskEndOp",
    "TaskRun",
    "TaskRunCreate",
    "TaskRunOp",
    "Variable",
    "VariableWrite",
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
    pid: int | None = Field(None, description="The process running the flow (on ``hostname``).")
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
    result_key: str | None = Field(None, description="Where the run's persisted result is.")


class StateChange(BaseModel):
    id: str
    run_id: str
    run_kind: Literal["flow", "task"]
    type: str
    name: str
    timestamp: float
    message: str | None
    result_key: str | None = Field(None, description="The persisted result this state holds.")
    cache_key: str | None = Field(None, description="The cache key the result was stored under.")


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


# -- writes (what the HTTP store sends) ------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
"""A string that goes into a text column as it is (PostgreSQL refuses NUL characters)."""


class FlowRunCreate(BaseModel):
    """A new flow run, exactly as the store records it (every field but the first four optional)."""

    id: str = Field(min_length=1, max_length=200)
    flow_name: str
    name: str
    created: float
    parameters: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    state_type: str = "PENDING"
    state_name: str = "Pending"
    state_message: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    run_count: int = 0
    entrypoint: str | None = None
    flow_version: str | None = None
    pid: int | None = None
    hostname: str | None = None
    heartbeat: float | None = None


class TaskRunCreate(BaseModel):
    """A new task run, exactly as the store records it."""

    id: str = Field(min_length=1, max_length=200)
    flow_run_id: str | None
    task_key: str
    dynamic_key: str
    name: str
    created: float
    tags: list[str] = Field(default_factory=list)
    task_inputs: dict[str, list[str]] = Field(default_factory=dict)
    wait_for: list[str] = Field(default_factory=list)
    state_type: str = "PENDING"
    state_name: str = "Pending"
    state_message: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    run_count: int = 0
    cache_key: str | None = None
    result_key: str | None = None


class StateCreate(BaseModel):
    """A state to append to a run's history (and make current)."""

    id: str = Field(min_length=1, max_length=200)
    run_id: str
    run_kind: Literal["flow", "task"]
    type: str
    name: str
    timestamp: float
    message: str | None = None
    result_key: str | None = None
    cache_key: str | None = None


class LogCreate(BaseModel):
    flow_run_id: str | None
    task_run_id: str | None
    level: int
    name: str
    message: str
    timestamp: float


class FlowRunOp(BaseModel):
    """Record a new flow run (and its flow, by name, if new)."""

    op: Literal["flow_run"]
    run: FlowRunCreate


class TaskRunOp(BaseModel):
    """Record a new task run."""

    op: Literal["task_run"]
    run: TaskRunCreate


class StateOp(BaseModel):
    """Append ``state`` to a run's history and make it current; the times and run count
    update the run when given."""

    op: Literal["state"]
    run_kind: Literal["flow", "task"]
    run_id: str
    state: StateCreate
    start_time: float | None = None
    end_time: float | None = None
    run_count: int | None = None


class LogsOp(BaseModel):
    """Record log lines."""

    op: Literal["logs"]
    logs: list[LogCreate]


class HeartbeatOp(BaseModel):
    """Mark these running flow runs alive now (the server's clock)."""

    op: Literal["heartbeat"]
    flow_run_ids: list[str]


class TaskBeginOp(BaseModel):
    """Create a task run with its Pending state, and its Running state when
    ``running_id`` is given (the engine's fast path)."""

    op: Literal["task_begin"]
    run_id: str = Field(min_length=1, max_length=200)
    flow_run_id: str | None
    task_key: str
    dynamic_key: str
    name: str
    created: float
    tags: list[str] = Field(default_factory=list)
    task_inputs: dict[str, list[str]] | None = None
    wait_for: list[str] | None = None
    pending_id: str = Field(min_length=1, max_length=200)
    running_id: str | None = None
    start_time: float | None = None


class TaskEndOp(BaseModel):
    """Set a task run's final state (its timestamp is also the run's end time)."""

    op: Literal["task_end"]
    run_id: str
    state_id: str = Field(min_length=1, max_length=200)
    state_type: str
    state_name: str
    timestamp: float
    message: str | None = None
    result_key: str | None = None
    cache_key: str | None = None
    run_count: int


IngestOp = Annotated[
    FlowRunOp | TaskRunOp | StateOp | LogsOp | HeartbeatOp | TaskBeginOp | TaskEndOp,
    Field(discriminator="op"),
]


class IngestBatch(BaseModel):
    """A client's buffered writes, applied in order in one transaction."""

    batch_id: str = Field(
        min_length=8, max_length=100, description="Unique per batch; a retry sends it again."
    )
    attempt: int = Field(1, ge=1, description="1 for the first send, then 2, 3, ... on retries.")
    pid: int | None = Field(
        None, ge=0, le=2**31 - 1, description="The client's process id (claims Running runs)."
    )
    hostname: Text | None = Field(None, description="The client's host name.")
    ops: list[IngestOp]


class IngestResult(BaseModel):
    batch_id: str
    applied: int = Field(description="How many ops were applied.")
    duplicate: bool = Field(description="True when this batch id was applied before.")
    errors: list[str] = Field(
        description="One line per op that could not be applied (the rest were kept)."
    )


# -- direct writes -----------------------------------------------------------------


class ConcurrencyLimitWrite(BaseModel):
    limit: int = Field(
        ge=0, le=2**31 - 1, description="How many task runs with the tag may run at once."
    )


class SlotRequest(BaseModel):
    tags: list[Text] = Field(description="Take one slot on every limited tag, or none at all.")
    holder_id: Text = Field(min_length=1, description="Who holds the slots (a task run id).")
    pid: int | None = Field(
        None, ge=0, le=2**31 - 1, description="The holder's process id, to reclaim dead holders."
    )
    hostname: Text | None = Field(None, description="The holder's host name.")


class SlotRelease(BaseModel):
    holder_id: Text = Field(min_length=1)


class SlotResult(BaseModel):
    acquired: bool


class CancelResult(BaseModel):
    state_type: str = Field(description="The run's state type after the request.")


class StateType(BaseModel):
    state_type: str


class Count(BaseModel):
    count: int


class CrashedRuns(BaseModel):
    flow_run_ids: list[str] = Field(description="The flow runs marked Crashed now.")


class VariableWrite(BaseModel):
    value: Any = Field(description="Any JSON value.")
    tags: list[str] = Field(default_factory=list)
    overwrite: bool = Field(False, description="Replace an existing variable of this name.")
    created: float | None = Field(None, description="Creation time (default: now).")
    updated: float | None = Field(None, description="Update time (default: now).")


class ArtifactCreate(BaseModel):
    id: Text = Field(min_length=1, max_length=200)
    key: Text | None = None
    type: Literal["markdown", "table", "link"]
    data: Any
    description: Text | None = None
    flow_run_id: Text | None = None
    task_run_id: Text | None = None
    created: float = 0.0


class StateProposal(BaseModel):
    """A state proposed for a flow run, exactly as the client made it."""

    state: StateCreate
    transition_id: str | None = Field(
        None, description="Makes a retried proposal a no-op that returns the first outcome."
    )
    force: bool = Field(False, description="Skip the orchestration rules (not the replay check).")

    @model_validator(mode="after")
    def _texts(self) -> StateProposal:
        for name in ("id", "run_id", "type", "name", "message", "result_key", "cache_key"):
            value = getattr(self.state, name)
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"state.{name} must not contain a NUL character")
        if self.transition_id is not None:
            _no_nul(self.transition_id)
        return self


class ProposalOutcome(BaseModel):
    status: Literal["ACCEPT", "REJECT"]
    state_type: str = Field(description="The run's state type after the call.")
    state_name: str
    state_id: str | None = Field(description="The accepted state's id, or the current state's.")
    reason: str | None = Field(description="Why the proposal was rejected.")
    duplicate: bool = Field(description="True when the transition id had been accepted before.")
