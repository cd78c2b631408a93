"""The task run drivers: carry out one task run from Pending to a final state.

One run goes: record the run (Pending) -> wait for upstream futures -> cache
lookup (a hit ends in Cached) -> take concurrency slots -> Running -> call the
function (with timeout) -> Completed / Failed / TimedOut, through
AwaitingRetry -> Retrying while retries remain -> hooks. Every state change is
a buffered store write; nothing here waits on the database except the cache
and concurrency reads that decide behaviour.

The steps and state changes live in :class:`~headwater._engine.task_run.TaskRun`;
the two drivers here are only what differs between sync and async code: how
they wait (for upstreams, slots and retry delays), how they call the function,
and how they run hooks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from headwater._engine.hooks import run_hooks, run_hooks_async
from headwater._engine.resolve import UpstreamFailure, resolve_parameters, resolve_wait_for
from headwater._engine.task_run import TaskRun
from headwater._engine.timeouts import run_async_with_timeout, run_sync_with_timeout
from headwater.concurrency import acquire_slots, acquire_slots_async

if TYPE_CHECKING:
    from headwater._engine.task_call import TaskCall
    from headwater.states import State

__all__ = ["run_task_async", "run_task_sync"]


def run_task_sync(call: TaskCall) -> State:
    """Carry out a sync task run in this thread; its final state.

    Re-raises ``KeyboardInterrupt``/``SystemExit`` (after recording Crashed).
    """
    run = TaskRun(call)
    token = run.open()
    try:
        try:
            if run.may_wait():
                params = _resolve_inputs(call.wait_for, call.parameters)
            else:
                params = resolve_parameters(call.parameters)
        except UpstreamFailure as exc:
            state = run.upstream_failed(exc)
        else:
            prepared = run.prepare(params)
            if prepared is None:
                if run.takes_slots():
                    acquire_slots(run.store, run.task.tags, run.run_id)
                    run.holding = True
                state = _attempts_sync(run, params)
            else:
                state = prepared
        run.finish(state)
    except BaseException as exc:
        run.crashed(exc)
        raise
    finally:
        run.close(token)
    hooks = run.settle(state)
    if hooks:
        run_hooks(hooks, run.hook_arguments(state), state=state, logger=run.logger)
    return state


def _attempts_sync(run: TaskRun, params: dict[str, Any]) -> State:
    task = run.task
    fn = task.fn
    spec = task._spec
    timeout = task.timeout_seconds
    while True:
        run.start_attempt()
        try:
            if spec.simple:
                args: tuple[Any, ...] = ()
                kwargs = params
            else:
                args, kwargs = spec.to_call(params)
            if timeout is None:
                value = fn(*args, **kwargs)
            else:
                value = run_sync_with_timeout(fn, args, kwargs, timeout, kind="Task")
        except Exception as exc:
            state, delay = run.attempt_failed(exc)
            if delay is None:
                return state
            if delay:
                time.sleep(delay)
            continue
        return run.completed(value)


async def run_task_async(call: TaskCall) -> State:
    """Carry out an async task run on the running loop; its final state."""
    run = TaskRun(call)
    token = run.open()
    try:
        try:
            if run.may_wait():
                params = await asyncio.to_thread(_resolve_inputs, call.wait_for, call.parameters)
            else:
                params = resolve_parameters(call.parameters)
        except UpstreamFailure as exc:
            state = run.upstream_failed(exc)
        else:
            prepared = run.prepare(params)
            if prepared is None:
                if run.takes_slots():
                    await acquire_slots_async(run.store, run.task.tags, run.run_id)
                    run.holding = True
                state = await _attempts_async(run, params)
            else:
                state = prepared
        run.finish(state)
    except BaseException as exc:
        run.crashed(exc)
        raise
    finally:
        run.close(token)
    hooks = run.settle(state)
    if hooks:
        await run_hooks_async(hooks, run.hook_arguments(state), state=state, logger=run.logger)
    return state


async def _attempts_async(run: TaskRun, params: dict[str, Any]) -> State:
    task = run.task
    spec = task._spec
    timeout = task.timeout_seconds
    while True:
        run.start_attempt()
        try:
            args, kwargs = ((), params) if spec.simple else spec.to_call(params)
            coro: Coroutine[Any, Any, Any] = task.fn(*args, **kwargs)
            if timeout is None:
                value = await coro
            else:
                value = await run_async_with_timeout(coro, timeout, kind="Task")
        except Exception as exc:
            state, delay = run.attempt_failed(exc)
            if delay is None:
                return state
            if delay:
                await asyncio.sleep(delay)
            continue
        return run.completed(value)


def _resolve_inputs(wait_for: tuple[Any, ...], params: dict[str, Any]) -> dict[str, Any]:
    """Wait for the ``wait_for`` runs, then the parameters with futures replaced by results."""
    if wait_for:
        resolve_wait_for(wait_for)
    return resolve_parameters(params)
