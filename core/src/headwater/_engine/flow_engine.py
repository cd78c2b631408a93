"""The flow run drivers: carry out one flow run from Pending to a final state.

A run goes: bind and validate parameters (a bad one ends the run Failed before
the body runs) -> record the run -> Running -> body inside its task runner and
flow context (with timeout) -> a final state from the return value, through
AwaitingRetry -> Retrying while retries remain -> flush -> final state -> hooks.
A top-level run also installs the SIGTERM handler, the heartbeat, logging and
the progress line, and flushes the store on every way out.

The steps and state changes live in :class:`~headwater._engine.flow_run.FlowRun`;
the two drivers here are only what differs between sync and async code: how
they call the body and wait for its task runner, how they wait between
attempts, and how they run hooks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from headwater._engine.asyncutils import in_running_loop, run_coro_sync
from headwater._engine.flow_run import FlowRun
from headwater._engine.hooks import run_hooks, run_hooks_async
from headwater._engine.timeouts import run_async_with_timeout, run_sync_with_timeout
from headwater.context import flow_run_ctx

if TYPE_CHECKING:
    from headwater.flows import Flow
    from headwater.states import State

__all__ = ["RetryOf", "call_flow", "run_flow_async", "run_flow_sync"]


def call_flow(
    flow: Flow[Any, Any], args: tuple[Any, ...], kwargs: dict[str, Any], *, return_state: bool
) -> Any:
    """``flow(...)``: run it; its result (or final state with ``return_state``)."""
    if flow.isasync:
        coro = _flow_result_async(flow, args, kwargs, return_state)
        if in_running_loop() or flow_run_ctx.get() is None:
            return coro  # awaited by the caller (``asyncio.run(my_flow())`` at top level)
        return run_coro_sync(coro)  # an async child flow called from a sync flow
    state = run_flow_sync(flow, args, kwargs)
    return state if return_state else _unwrap(state)


async def _flow_result_async(
    flow: Flow[Any, Any], args: tuple[Any, ...], kwargs: dict[str, Any], return_state: bool
) -> Any:
    state = await run_flow_async(flow, args, kwargs)
    return state if return_state else _unwrap(state)


def _unwrap(state: State) -> Any:
    return state.result()


class RetryOf:
    """Instructions to re-run an existing flow run (``flow-run retry``).

    ``claimed_start`` is the time of the Running state the retry already had
    accepted by the store's rules; the engine then records no Running state of
    its own for the first attempt.
    """

    __slots__ = ("claimed_start", "flow_run_id", "name", "parameters", "run_count")

    def __init__(
        self,
        flow_run_id: str,
        name: str,
        parameters: dict[str, Any],
        run_count: int,
        *,
        claimed_start: float | None = None,
    ) -> None:
        self.flow_run_id = flow_run_id
        self.name = name
        self.parameters = parameters
        self.run_count = run_count
        self.claimed_start = claimed_start


def run_flow_sync(
    flow: Flow[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry_of: RetryOf | None = None,
) -> State:
    """Carry out a sync flow run in this thread; its final state.

    Re-raises ``KeyboardInterrupt``/``SystemExit`` after recording Crashed.
    """
    run = FlowRun(flow, retry_of)
    state = run.open(args, kwargs)
    if state is not None:
        _run_hooks(run, state)
        return state
    try:
        with run.exits:
            run.enter()
            while True:
                token = run.start_attempt()
                try:
                    with flow.task_runner.duplicate() as runner:
                        run.enter_body(runner)
                        try:
                            args_, kwargs_ = flow._spec.to_call(run.parameters)
                            if flow.timeout_seconds is None:
                                value = flow.fn(*args_, **kwargs_)
                            else:
                                value = run_sync_with_timeout(
                                    flow.fn, args_, kwargs_, flow.timeout_seconds, kind="Flow"
                                )
                            state = run.state_from_return(value)
                        finally:
                            run.leave_body()
                except Exception as exc:
                    state = run.failed(exc)
                finally:
                    flow_run_ctx.reset(token)
                delay = run.retry_delay(state)
                if delay is None:
                    break
                if delay:
                    time.sleep(delay)
            run.finish(state)
    except BaseException as exc:
        state, reraise = run.interrupted(exc)
        _run_hooks(run, state)
        if reraise:
            raise
        return state
    _run_hooks(run, state)
    return state


async def run_flow_async(
    flow: Flow[Any, Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    retry_of: RetryOf | None = None,
) -> State:
    """Carry out an async flow run on the running loop; its final state."""
    run = FlowRun(flow, retry_of)
    state = run.open(args, kwargs)
    if state is not None:
        await _run_hooks_async(run, state)
        return state
    try:
        with run.exits:
            run.enter()
            while True:
                token = run.start_attempt()
                try:
                    runner = flow.task_runner.duplicate()
                    runner.__enter__()
                    exc_info: tuple[Any, Any, Any] = (None, None, None)
                    try:
                        run.enter_body(runner, is_async=True)
                        try:
                            args_, kwargs_ = flow._spec.to_call(run.parameters)
                            coro: Coroutine[Any, Any, Any] = flow.fn(*args_, **kwargs_)
                            if flow.timeout_seconds is None:
                                value = await coro
                            else:
                                value = await run_async_with_timeout(
                                    coro, flow.timeout_seconds, kind="Flow"
                                )
                            # In a thread: it may wait for the futures the body returned.
                            state = await asyncio.to_thread(run.state_from_return, value)
                        finally:
                            run.leave_body()
                    except BaseException as body_exc:
                        # Interrupted (cancelled, KeyboardInterrupt): do not wait for
                        # submitted task runs, as the sync engine does not.
                        exc_info = (type(body_exc), body_exc, body_exc.__traceback__)
                        raise
                    finally:
                        await asyncio.to_thread(runner.__exit__, *exc_info)
                except Exception as exc:
                    state = run.failed(exc)
                finally:
                    flow_run_ctx.reset(token)
                delay = run.retry_delay(state)
                if delay is None:
                    break
                if delay:
                    await asyncio.sleep(delay)
            run.finish(state)
    except BaseException as exc:
        state, reraise = run.interrupted(exc)
        await _run_hooks_async(run, state)
        if reraise:
            raise
        return state
    await _run_hooks_async(run, state)
    return state


def _run_hooks(run: FlowRun, state: State) -> None:
    hooks = run.hooks_for(state)
    if hooks:
        run_hooks(hooks, run.hook_arguments(state), state=state, logger=run.logger)


async def _run_hooks_async(run: FlowRun, state: State) -> None:
    hooks = run.hooks_for(state)
    if hooks:
        await run_hooks_async(hooks, run.hook_arguments(state), state=state, logger=run.logger)
