"""Where a task call goes: the entry points behind ``task(...)``, ``task.submit`` and ``task.map``.

``task(...)`` runs the engine now, in this thread (or awaits it in async
code); ``.submit`` and ``.map`` hand the run to the current flow run's task
runner, or to the process-wide default runner outside a flow. This sits with
the task runners, above the engine: choosing a runner is not the engine's
business, and the engine never imports :mod:`headwater.task_runners`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headwater._engine.asyncutils import in_running_loop, run_coro_sync
from headwater._engine.resolve import collect_dependencies
from headwater._engine.task_call import TaskCall, create_task_call
from headwater._engine.task_engine import run_task_async, run_task_sync
from headwater.context import flow_run_ctx
from headwater.task_runners import TaskRunner, default_task_runner

if TYPE_CHECKING:
    from headwater.futures import HeadwaterFuture, HeadwaterFutureList
    from headwater.tasks import Task

__all__ = ["call_task", "map_task", "submit_task"]


def call_task(
    task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any, return_state: bool
) -> Any:
    """``task(...)``: run now in this thread; the result (or the final state)."""
    call = create_task_call(task, parameters, wait_for)
    if task.isasync:
        if in_running_loop():
            return _await_task(call, return_state)
        state = run_coro_sync(run_task_async(call))
    else:
        state = run_task_sync(call)
    if return_state:
        return state
    return state.result()


async def _await_task(call: TaskCall, return_state: bool) -> Any:
    state = await run_task_async(call)
    return state if return_state else state.result()


def _current_runner() -> TaskRunner:
    fctx = flow_run_ctx.get()
    if fctx is not None:
        runner: TaskRunner | None = fctx.extra.get("task_runner")
        if runner is not None:
            return runner
    return default_task_runner()


def submit_task(
    task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any
) -> HeadwaterFuture[Any]:
    """``task.submit(...)``: hand the run to the current flow's task runner."""
    fctx = flow_run_ctx.get()
    deps = collect_dependencies(
        parameters, fctx.extra.get("result_ids") if fctx is not None else None
    )
    return _current_runner().submit(task, parameters, wait_for, deps)


def map_task(
    task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any
) -> HeadwaterFutureList[Any]:
    """``task.map(...)``: one run per element of the iterable parameters."""
    return _current_runner().map(task, parameters, wait_for)
