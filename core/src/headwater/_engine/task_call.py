"""The unit of work a task runner carries out: :class:`TaskCall`.

:func:`create_task_call` makes one in the submitting thread (it reads the
flow run context and numbers the run within its flow run); a runner then
carries it out wherever it likes: ``call()`` in a thread (or a worker process,
after :meth:`TaskCall.detached`), ``await call.run_async()`` on an event loop.
Both run the engine (:mod:`headwater._engine.task_engine`) and return the final
state without raising.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater._engine.asyncutils import run_coro_sync
from headwater._engine.ids import new_id
from headwater._engine.task_engine import run_task_async, run_task_sync
from headwater.context import flow_run_ctx
from headwater.states import Crashed, State

if TYPE_CHECKING:
    from headwater._store.base import Store
    from headwater.tasks import Task

__all__ = ["TaskCall", "create_task_call"]

_global_counts: dict[str, int] = {}
_global_lock = threading.Lock()


@dataclass(slots=True, eq=False)
class TaskCall:
    """Everything needed to carry out one task run, possibly in another thread or process.

    ``store`` and ``progress`` belong to this process; :meth:`detached` drops
    them before the call is pickled for another process.
    """

    task: Task[Any, Any]
    parameters: dict[str, Any]
    task_run_id: str
    flow_run_id: str | None
    dynamic_key: str
    wait_for: tuple[Any, ...] = ()
    dependencies: dict[str, list[str]] | None = None
    flow_parameters: dict[str, Any] = field(default_factory=dict)
    flow_persist: bool | None = None
    log_prints: bool = False
    store: Store | None = None
    progress: Any = None
    state: State | None = None
    """The latest state of the run (what a future shows while it runs)."""
    result_ids: dict[int, tuple[Any, str]] | None = None
    """The flow run's ``id(result) -> (result, task_run_id)`` map (see :func:`track_result`)."""
    flow_result_storage: Any = None
    """The flow's ``result_storage``, used when the task sets none."""
    flow_result_serializer: Any = None
    """The flow's ``result_serializer``, used when the task sets none."""

    def current_state(self) -> State | None:
        return self.state

    def detached(self) -> TaskCall:
        """A copy without this process's store and progress line (for pickling)."""
        return TaskCall(
            task=self.task,
            parameters=self.parameters,
            task_run_id=self.task_run_id,
            flow_run_id=self.flow_run_id,
            dynamic_key=self.dynamic_key,
            wait_for=self.wait_for,
            dependencies=self.dependencies,
            flow_parameters=self.flow_parameters,
            flow_persist=self.flow_persist,
            log_prints=self.log_prints,
            flow_result_storage=self.flow_result_storage,
            flow_result_serializer=self.flow_result_serializer,
        )

    def __call__(self) -> State:
        """Carry out the run in this thread and return its final state; never raises."""
        try:
            if self.task.isasync:
                return run_coro_sync(run_task_async(self))
            return run_task_sync(self)
        except BaseException as exc:  # already recorded as Crashed by the engine
            return self._final_state_after(exc)

    async def run_async(self) -> State:
        """Carry out an async task's run on the running loop; its final state; never raises."""
        try:
            return await run_task_async(self)
        except BaseException as exc:  # already recorded as Crashed by the engine
            return self._final_state_after(exc)

    def _final_state_after(self, exc: BaseException) -> State:
        """The state to hand back when the engine re-raised ``exc`` (an interrupt)."""
        state = self.state
        if state is not None and state.is_final():
            return state
        return Crashed(
            message=f"Task run crashed: {type(exc).__name__}: {exc}",
            data=exc,
            task_run_id=self.task_run_id,
        )


def create_task_call(
    task: Task[Any, Any],
    parameters: dict[str, Any],
    wait_for: Iterable[Any] | None = None,
    dependencies: dict[str, list[str]] | None = None,
) -> TaskCall:
    """A :class:`TaskCall` for ``task`` in the current flow run context (if any).

    Must be called in the thread that makes the call (it reads the flow
    context and numbers the run within its flow run).
    """
    fctx = flow_run_ctx.get()
    key = task.task_key
    if fctx is not None:
        counts = fctx.task_run_counts
        with fctx.extra["lock"]:
            n = counts.get(key, 0)
            counts[key] = n + 1
        extra = fctx.extra
        return TaskCall(
            task,
            parameters,
            new_id(),
            fctx.flow_run_id,
            str(n),
            tuple(wait_for) if wait_for else (),
            dependencies,
            fctx.parameters,
            extra.get("persist_result"),
            fctx.log_prints if task.log_prints is None else task.log_prints,
            extra.get("store"),
            extra.get("progress"),
            None,
            extra.get("result_ids"),
            flow_result_storage=extra.get("result_storage"),
            flow_result_serializer=extra.get("result_serializer"),
        )
    with _global_lock:
        n = _global_counts.get(key, 0)
        _global_counts[key] = n + 1
    return TaskCall(
        task,
        parameters,
        new_id(),
        None,
        str(n),
        tuple(wait_for) if wait_for else (),
        dependencies,
        {},
        None,
        bool(task.log_prints),
    )
