"""Run contexts: what the code inside a flow or task run can ask about itself.

The engine sets these context variables around each run; ``get_run_logger``,
caching and nested flows read them. Reading a context is a contextvar lookup,
cheap enough for the hot path.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater.errors import MissingContextError

if TYPE_CHECKING:
    from headwater.flows import Flow
    from headwater.tasks import Task

__all__ = [
    "FlowRunContext",
    "TaskRunContext",
    "get_run_context",
]


@dataclass(slots=True, eq=False)
class FlowRunContext:
    """Set while a flow run's body executes (and inherited by its task runs)."""

    flow: Flow[Any, Any]
    flow_run_id: str
    flow_run_name: str
    parameters: dict[str, Any]
    """The flow's validated parameters."""
    tags: frozenset[str] = frozenset()
    log_prints: bool = False
    task_run_counts: dict[str, int] = field(default_factory=dict)
    """task_key -> how many runs of that task this flow run has created (dynamic keys)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Room for the engine's own per-run objects (task runner, progress line, ...)."""


@dataclass(slots=True, eq=False)
class TaskRunContext:
    """Set while a task run's function executes; this is what ``cache_key_fn`` receives."""

    task: Task[Any, Any]
    task_run_id: str
    task_run_name: str
    flow_run_id: str | None
    parameters: dict[str, Any]
    """The task's bound arguments (futures already resolved)."""
    tags: frozenset[str] = frozenset()
    log_prints: bool = False
    run_count: int = 1


flow_run_ctx: ContextVar[FlowRunContext | None] = ContextVar("headwater_flow_run", default=None)
task_run_ctx: ContextVar[TaskRunContext | None] = ContextVar("headwater_task_run", default=None)


def get_run_context() -> FlowRunContext | TaskRunContext:
    """The innermost run context: the task run's inside a task, else the flow run's.

    Raises :class:`headwater.errors.MissingContextError` outside any run.
    """
    ctx: FlowRunContext | TaskRunContext | None = task_run_ctx.get() or flow_run_ctx.get()
    if ctx is None:
        raise MissingContextError(
            "there is no flow or task run here; call this inside a @flow or @task"
        )
    return ctx
