"""Plain records the Store reads and writes.

Times are POSIX timestamps (float seconds, UTC). JSON-ish fields hold only
JSON-serialisable values: the engine converts parameters and inputs to a
JSON-safe summary before it hands them to the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RunKind = Literal["flow", "task"]

RunSort = Literal["created_desc", "created_asc", "start_time_desc", "start_time_asc", "name_asc"]
"""How a list of flow or task runs is ordered. ``start_time`` means the run's start
time, or its creation time while it has not started (the same time the
``start_after``/``start_before`` filters compare)."""

RUN_SORTS: tuple[RunSort, ...] = (
    "created_desc",
    "created_asc",
    "start_time_desc",
    "start_time_asc",
    "name_asc",
)

TransitionStatus = Literal["ACCEPT", "REJECT"]


@dataclass(slots=True)
class FlowRecord:
    id: str
    name: str
    created: float


@dataclass(slots=True)
class FlowRunRecord:
    id: str
    flow_name: str
    name: str
    created: float
    parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    state_type: str = "PENDING"
    state_name: str = "Pending"
    state_message: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    run_count: int = 0
    entrypoint: str | None = None
    """``module:function`` or ``path/to/file.py:function``: how ``flow-run retry`` finds the flow."""
    flow_version: str | None = None
    pid: int | None = None
    hostname: str | None = None
    heartbeat: float | None = None
    """The last time the process running the flow said it was alive."""


@dataclass(slots=True)
class TaskRunRecord:
    id: str
    flow_run_id: str | None
    task_key: str
    """Identifies the task definition within its flow (qualified name + source location)."""
    dynamic_key: str
    """The n-th call of ``task_key`` within the flow run, as a string ("0", "1", ...)."""
    name: str
    created: float
    tags: list[str] = field(default_factory=list)
    task_inputs: dict[str, list[str]] = field(default_factory=dict)
    """Parameter name -> ids of the task runs whose results flowed into it (dependencies)."""
    wait_for: list[str] = field(default_factory=list)
    """Ids of task runs this run waited for without taking their results."""
    state_type: str = "PENDING"
    state_name: str = "Pending"
    state_message: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    run_count: int = 0
    cache_key: str | None = None
    result_key: str | None = None


@dataclass(slots=True)
class StateRecord:
    id: str
    run_id: str
    run_kind: RunKind
    type: str
    name: str
    timestamp: float
    message: str | None = None
    result_key: str | None = None
    cache_key: str | None = None


@dataclass(slots=True)
class LogRecord:
    flow_run_id: str | None
    task_run_id: str | None
    level: int
    name: str
    message: str
    timestamp: float


@dataclass(slots=True)
class ConcurrencyLimitRecord:
    tag: str
    limit: int
    created: float
    active_slots: list[str] = field(default_factory=list)
    """Ids of the task runs holding a slot now."""


@dataclass(slots=True)
class BlockDocumentRecord:
    """One saved block document.

    ``data`` is the document's JSON text in plain form (secrets as stored:
    literal values or references). The embedded store encrypts it at rest
    (Fernet, :mod:`headwater._store.encryption`) and decrypts it on read; the
    HTTP store carries it over the API (reads need the admin role). A document
    that cannot be decrypted is read with ``data`` empty and ``error`` saying
    why, so one bad document never hides the others from a listing.
    """

    id: str
    block_type_slug: str
    name: str
    schema_version: int
    data: str
    created: float
    updated: float
    error: str | None = None
    """Why ``data`` could not be read (saved with another encryption key), else ``None``."""


ArtifactType = Literal["markdown", "table", "link"]


@dataclass(slots=True)
class VariableRecord:
    """One named variable; ``value`` is any JSON-serialisable value."""

    name: str
    value: Any
    tags: list[str] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0


@dataclass(slots=True)
class ArtifactRecord:
    """One artifact. Artifacts with the same ``key`` are versions 1, 2, ... of it;
    an artifact without a key stands alone (version 1)."""

    id: str
    key: str | None
    version: int
    type: ArtifactType
    data: Any
    """Markdown text, a table (list of row dicts) or ``{"link": ..., "link_text": ...}``."""
    description: str | None = None
    flow_run_id: str | None = None
    task_run_id: str | None = None
    created: float = 0.0


@dataclass(slots=True)
class TransitionResult:
    """What the store decided about a proposed flow-run state
    (:meth:`headwater._store.base.Store.propose_flow_run_state`)."""

    status: TransitionStatus
    state_type: str
    """The run's state type after the call (for a replay: the state the first call accepted)."""
    state_name: str
    state_id: str | None
    """The accepted state's id; on REJECT the run's current state's id (``None`` if it has none)."""
    reason: str | None = None
    """Why the proposal was rejected, naming the run and both states; ``None`` on ACCEPT."""
    duplicate: bool = False
    """True when the transition id had already been accepted: nothing was written this time."""
