"""The task run engine: carries out one task run from Pending to a final state.

One run goes: record the run (Pending) -> wait for upstream futures -> cache
lookup (a hit ends in Cached) -> take concurrency slots -> Running -> call the
function (with timeout) -> Completed / Failed / TimedOut, through
AwaitingRetry -> Retrying while retries remain -> hooks. Every state change is
a buffered store write; nothing here waits on the database except the cache
and concurrency reads that decide behaviour.

The sync and async engines share every step but the call itself and the
waits, which are the only places where they differ.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater._engine import logs as _logs
from headwater._engine.asyncutils import in_running_loop, run_coro_sync
from headwater._engine.cancellation import CancelInterrupt, cancelling
from headwater._engine.ids import new_id
from headwater._engine.recording import display_state, exception_message, state_record
from headwater._engine.resolve import (
    UpstreamFailure,
    collect_dependencies,
    resolve_parameters,
    resolve_wait_for,
    track_result,
    wait_for_ids,
)
from headwater._engine.timeouts import run_async_with_timeout, run_sync_with_timeout
from headwater._store.records import TaskRunRecord
from headwater.context import TaskRunContext, flow_run_ctx, task_run_ctx
from headwater.errors import RunTimeoutError
from headwater.settings import get_settings
from headwater.states import (
    AwaitingRetry,
    Cached,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Retrying,
    State,
    StateType,
    TimedOut,
)

if TYPE_CHECKING:
    from headwater._store.base import Store
    from headwater.futures import HeadwaterFuture, HeadwaterFutureList
    from headwater.tasks import Task

__all__ = [
    "TaskCall",
    "call_task",
    "create_task_call",
    "map_task",
    "run_task_async",
    "run_task_sync",
    "submit_task",
]

_PENDING = StateType.PENDING
_RUNNING = StateType.RUNNING
_COMPLETED = StateType.COMPLETED
_INFO = logging.INFO
_DEBUG = logging.DEBUG
_TYPE_TEXT = {t: t.value for t in StateType}
_log_enabled = _logs.task_logger_enabled_for()
_global_counts: dict[str, int] = {}
_cancelling = cancelling  # the same set object; empty unless a flow run is being cancelled
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
            return (
                self.state
                if self.state is not None and self.state.is_final()
                else Crashed(
                    message=f"Task run crashed: {type(exc).__name__}: {exc}",
                    data=exc,
                    task_run_id=self.task_run_id,
                )
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


# -- the public entry points used by Task -----------------------------------------


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


def _current_runner() -> Any:
    fctx = flow_run_ctx.get()
    if fctx is not None:
        runner = fctx.extra.get("task_runner")
        if runner is not None:
            return runner
    from headwater.task_runners import default_task_runner

    return default_task_runner()


def submit_task(
    task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any
) -> HeadwaterFuture[Any]:
    """``task.submit(...)``: hand the run to the current flow's task runner."""
    fctx = flow_run_ctx.get()
    deps = collect_dependencies(
        parameters, fctx.extra.get("result_ids") if fctx is not None else None
    )
    return _current_runner().submit(task, parameters, wait_for, deps)  # type: ignore[no-any-return]


def map_task(
    task: Task[Any, Any], parameters: dict[str, Any], wait_for: Any
) -> HeadwaterFutureList[Any]:
    """``task.map(...)``: one run per element of the iterable parameters."""
    return _current_runner().map(task, parameters, wait_for)  # type: ignore[no-any-return]


# -- the engine ---------------------------------------------------------------------


class _TaskRun:
    """The steps of one task run, shared by the sync and async engines.

    Recording the run is deferred until it first matters: a run that goes
    straight to Running (nothing to wait for, no cache lookup, no slots) is
    recorded with its Pending and Running states as one store op through the
    store's ``begin_task_run`` fast path, and its final state as another
    (``end_task_run``). Before anything that may wait, or any other state
    change, :meth:`announce` records the run and its Pending state first.
    Stores without the fast path get the same records through the
    :class:`~headwater._store.base.Store` methods.
    """

    __slots__ = (
        "announced",
        "cache_key",
        "call",
        "created",
        "ctx",
        "deps",
        "fast_begin",
        "fast_end",
        "logger",
        "name",
        "persist",
        "record",
        "run_count",
        "run_id",
        "start_time",
        "store",
        "task",
        "wait_ids",
    )

    def __init__(self, call: TaskCall) -> None:
        self.call = call
        self.task = call.task
        store = call.store
        if store is None:
            from headwater._store import get_store

            store = get_store()
        self.store: Store = store
        self.fast_begin: Any = getattr(store, "begin_task_run", None)
        self.fast_end: Any = getattr(store, "end_task_run", None) if self.fast_begin else None
        self.run_id = call.task_run_id
        self.run_count = 0
        self.cache_key: str | None = None
        self.persist = False
        self.start_time: float | None = None
        self.ctx: TaskRunContext | None = None
        self.logger: Any = None
        self.record: TaskRunRecord | None = None
        self.announced = False
        self.name = ""
        self.created = 0.0
        self.deps: dict[str, list[str]] = {}
        self.wait_ids: list[str] = []

    # -- bookkeeping ---------------------------------------------------------------
    def set_state(
        self, state: State, *, start: bool = False, end: bool = False, count: bool = False
    ) -> None:
        if not self.announced:
            self.announce()
        state.task_run_id = self.run_id
        self.call.state = state
        self.store.set_state(
            "task",
            self.run_id,
            state_record(state, "task", self.run_id),
            start_time=self.start_time if start else None,
            end_time=state.timestamp if end else None,
            run_count=self.run_count if count else None,
        )

    def log(self, level: int, msg: str, *args: Any) -> None:
        if not _log_enabled(level):
            return
        logger = self.logger
        if logger is None:
            from headwater._engine.logs import engine_logger

            logger = self.logger = engine_logger(self.ctx)
        logger.log(level, msg, *args)

    def begin(self) -> None:
        """Name the run and make its context; recording waits for :meth:`announce`."""
        call, task = self.call, self.task
        if task.task_run_name is None:
            name = f"{task.name}-{call.dynamic_key}"
        else:
            from headwater._engine.naming import format_run_name

            name = format_run_name(task.task_run_name, call.parameters, option="task_run_name")
        self.name = name
        deps = call.dependencies
        if deps is None:
            deps = collect_dependencies(call.parameters, call.result_ids)
        self.deps = deps
        if call.wait_for:
            self.wait_ids = wait_for_ids(call.wait_for)
        self.created = time.time()
        self.ctx = TaskRunContext(
            task=task,
            task_run_id=self.run_id,
            task_run_name=name,
            flow_run_id=call.flow_run_id,
            parameters=call.parameters,
            tags=task.tags,
            log_prints=call.log_prints,
        )
        if call.log_prints:
            from headwater._engine.logs import ensure_print_capture

            ensure_print_capture()
        if _log_enabled(_DEBUG):
            self.log(_DEBUG, "Created task run %r for task %r", name, task.name)
        if call.progress is not None:
            call.progress.task_started()

    def announce(self) -> None:
        """Record the run in the Pending state (once), before it may wait or change state."""
        if self.announced:
            return
        self.announced = True
        pending = State(
            _PENDING, "Pending", timestamp=self.created, id=new_id(), task_run_id=self.run_id
        )
        self.call.state = pending
        if self.fast_begin is not None:
            self.fast_begin(
                *self._begin_fields(),
                pending.id,
                None,
                None,
            )
            return
        self.store.create_task_run(self.task_run_record())
        self.store.set_state("task", self.run_id, state_record(pending, "task", self.run_id))

    def _begin_fields(self) -> tuple[Any, ...]:
        call = self.call
        return (
            self.run_id,
            call.flow_run_id,
            self.task.task_key,
            call.dynamic_key,
            self.name,
            self.created,
            self.task._tags_json,
            self.deps or None,
            self.wait_ids or None,
        )

    def task_run_record(self) -> TaskRunRecord:
        """The run's record as created (Pending), made once and on demand."""
        rec = self.record
        if rec is None:
            call = self.call
            rec = self.record = TaskRunRecord(
                id=self.run_id,
                flow_run_id=call.flow_run_id,
                task_key=self.task.task_key,
                dynamic_key=call.dynamic_key,
                name=self.name,
                created=self.created,
                tags=list(self.task._sorted_tags),
                task_inputs=self.deps,
                wait_for=list(self.wait_ids),
            )
        return rec

    def inputs_resolved(self, parameters: dict[str, Any]) -> None:
        assert self.ctx is not None
        self.ctx.parameters = parameters

    def upstream_failed(self, exc: UpstreamFailure) -> State:
        return Failed(message=f"Task run could not start: {exc}", data=exc)

    # -- caching -------------------------------------------------------------------
    def decide_persistence(self) -> None:
        task = self.task
        if task.persist_result is not None:
            self.persist = task.persist_result
        elif task._explicit_caching:
            self.persist = True
        elif self.call.flow_persist is not None:
            self.persist = self.call.flow_persist
        else:
            self.persist = get_settings().results_persist_by_default

    def result_store(self) -> Any:
        from headwater.results import resolve_result_store

        task, call = self.task, self.call
        storage = (
            task.result_storage if task.result_storage is not None else call.flow_result_storage
        )
        serializer = (
            task.result_serializer
            if task.result_serializer is not None
            else call.flow_result_serializer
        )
        return resolve_result_store(storage, serializer)

    def cache_lookup(self) -> State | None:
        """A Cached state when a valid record exists for the run's cache key."""
        if not self.persist:
            return None
        policy = _cache_policy(self.task)
        if policy is None:
            return None
        assert self.ctx is not None
        try:
            key = policy.compute_key(self.ctx, self.ctx.parameters, self.call.flow_parameters)
        except Exception as exc:
            self.log(
                logging.WARNING,
                "Cache key could not be computed; the task will not be cached: %s",
                exc,
            )
            return None
        if not key:
            return None
        self.cache_key = key
        if self.task.refresh_cache:
            return None
        store = self.result_store()
        record = store.try_read(key)
        if record is None:
            return None
        return Cached(data=record.value, result_key=store.result_key(key), cache_key=key)

    # -- attempts ------------------------------------------------------------------
    def start_attempt(self) -> None:
        self.run_count += 1
        if self.run_count == 1:
            self.start_time = now = time.time()
            running = State(
                _RUNNING, "Running", timestamp=now, id=new_id(), task_run_id=self.run_id
            )
            if not self.announced and self.fast_begin is not None:
                # The common case: Pending and Running recorded as one op.
                self.announced = True
                self.call.state = running
                self.fast_begin(*self._begin_fields(), new_id(), running.id, now)
            else:
                self.set_state(running, start=True, count=True)
        else:
            self.set_state(Retrying(id=new_id()), count=True)
        assert self.ctx is not None
        self.ctx.run_count = self.run_count

    def completed(self, value: Any) -> State:
        if isinstance(value, State) and value.is_final():
            return value.copy(task_run_id=self.run_id)
        if not self.persist:
            return State(_COMPLETED, "Completed", data=value, id=new_id())
        key = self.cache_key or new_id()
        try:
            result_key = self.result_store().persist(
                key, value, expiration=self.task.cache_expiration
            )
        except Exception as exc:
            return Failed(
                message=f"Task run could not persist its result: {type(exc).__name__}: {exc}",
                data=exc,
            )
        return Completed(data=value, result_key=result_key, cache_key=self.cache_key)

    def failed(self, exc: Exception) -> State:
        if (
            isinstance(exc, RunTimeoutError)
            and self.task.timeout_seconds is not None
            and str(exc).startswith("Task run exceeded")
        ):
            return TimedOut(message=str(exc), data=exc)
        return Failed(message=exception_message("Task", exc), data=exc)

    def retry_delay(self, state: State) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when ``state`` is final."""
        task = self.task
        if self.run_count > task.retries:
            return None
        if task.retry_condition_fn is not None:
            try:
                if not task.retry_condition_fn(task, self.task_run_view(state), state):
                    return None
            except Exception as exc:
                self.log(
                    logging.ERROR,
                    "retry_condition_fn raised %s: %s; not retrying",
                    type(exc).__name__,
                    exc,
                )
                return None
        from headwater.retries import apply_jitter

        delay = apply_jitter(task._retry_delays[self.run_count - 1], task.retry_jitter_factor)
        self.log(
            _INFO,
            "Task run failed with exception %s - Retry %s/%s will start %s",
            repr(state.data) if isinstance(state.data, BaseException) else state.message,
            self.run_count,
            task.retries,
            f"in {delay:g} second(s)" if delay else "immediately",
        )
        self.set_state(AwaitingRetry(scheduled_time=time.time() + delay, message=state.message))
        return delay

    def task_run_view(self, state: State) -> TaskRunRecord:
        """The run as hooks and ``retry_condition_fn`` see it."""
        rec = self.task_run_record()
        rec.state_type = state.type.value
        rec.state_name = state.name
        rec.state_message = state.message
        rec.start_time = self.start_time
        rec.run_count = self.run_count
        rec.end_time = state.timestamp if state.is_final() else None
        rec.cache_key = state.cache_key
        rec.result_key = state.result_key
        return rec

    def crashed(self, exc: BaseException) -> State:
        if isinstance(exc, CancelInterrupt) or (
            isinstance(exc, asyncio.CancelledError) and self.call.flow_run_id in _cancelling
        ):
            state = Cancelled(message="Task run was cancelled with its flow run", data=exc)
        else:
            state = Crashed(message=f"Execution was interrupted by {type(exc).__name__}", data=exc)
        self.set_state(state, end=True)
        return state

    def finish(self, state: State) -> None:
        if not self.announced:
            self.announce()
        if self.fast_end is not None:
            state.task_run_id = self.run_id
            self.call.state = state
            self.fast_end(
                self.run_id,
                state.id,
                _TYPE_TEXT[state.type],
                state.name,
                state.timestamp,
                state.message,
                state.result_key,
                state.cache_key,
                self.run_count,
            )
        else:
            self.set_state(state, end=True, count=True)
        if self.call.progress is not None:
            self.call.progress.task_finished(state.type)
        if state.type is _COMPLETED:
            # DEBUG, not INFO: a line per successful task run would cost more than the
            # whole run; the flow's progress line and final state summarise them.
            if _log_enabled(_DEBUG):
                self.log(_DEBUG, "Finished in state %s", display_state(state))
        else:
            self.log(logging.ERROR, "Finished in state %s", display_state(state))

    def hooks_for(self, state: State) -> tuple[Any, ...]:
        if not self.task._has_hooks:
            return ()
        if state.is_completed():
            return self.task.on_completion_hooks
        if state.is_failed():
            return self.task.on_failure_hooks
        return ()


def _cancelled_before_start() -> State:
    """The state of a task run not started because its flow run is being cancelled."""
    from headwater.errors import CancelledRun

    message = "Task run was not started: its flow run was cancelled"
    return Cancelled(message=message, data=CancelledRun(message), id=new_id())


def _cache_policy(task: Task[Any, Any]) -> Any:
    """The task's cache policy object, or ``None`` when it does not cache (policy NONE)."""
    policy = task._resolved_policy
    if policy is None:
        from headwater import cache_policies

        if task.cache_key_fn is not None:
            policy = cache_policies.CacheKeyFnPolicy(task.cache_key_fn)
        elif task.cache_policy is not None:
            policy = task.cache_policy
        else:
            policy = cache_policies.DEFAULT
        if policy is cache_policies.NONE:
            policy = False
        task._resolved_policy = policy
    return None if policy is False else policy


def run_task_sync(call: TaskCall) -> State:
    """Carry out a sync task run in this thread; its final state.

    Re-raises ``KeyboardInterrupt``/``SystemExit`` (after recording Crashed).
    """
    run = _TaskRun(call)
    task = run.task
    run.begin()
    token = task_run_ctx.set(run.ctx)
    holding = False
    try:
        state: State | None = None
        params = call.parameters
        try:
            if call.wait_for or run.deps:
                run.announce()  # the run may wait for its upstreams: show it Pending
                if call.wait_for:
                    resolve_wait_for(call.wait_for)
            params = resolve_parameters(params)
        except UpstreamFailure as exc:
            state = run.upstream_failed(exc)
        if state is None:
            run.inputs_resolved(params)
            run.decide_persistence()
            if run.persist:
                run.announce()
                state = run.cache_lookup()
        if state is None and _cancelling and call.flow_run_id in _cancelling:
            state = _cancelled_before_start()
        if state is None:
            if task.tags:
                from headwater.concurrency import acquire_slots

                run.announce()
                acquire_slots(run.store, task.tags, run.run_id)
                holding = True
            state = _attempts_sync(run, params)
        run.finish(state)
    except BaseException as exc:
        run.crashed(exc)
        raise
    finally:
        if holding:
            from headwater.concurrency import release_slots

            release_slots(run.store, task.tags, run.run_id)
        task_run_ctx.reset(token)
    if call.result_ids is not None and state.type is _COMPLETED:
        track_result(call.result_ids, state.data, run.run_id)
    hooks = run.hooks_for(state)
    if hooks:
        from headwater._engine.hooks import run_hooks

        run_hooks(hooks, (task, run.task_run_view(state), state), state=state, logger=run.logger)
    return state


def _attempts_sync(run: _TaskRun, params: dict[str, Any]) -> State:
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
            state = run.failed(exc)
            delay = run.retry_delay(state)
            if delay is None:
                return state
            if delay:
                time.sleep(delay)
            continue
        return run.completed(value)


async def run_task_async(call: TaskCall) -> State:
    """Carry out an async task run on the running loop; its final state."""
    run = _TaskRun(call)
    task = run.task
    run.begin()
    token = task_run_ctx.set(run.ctx)
    holding = False
    try:
        state: State | None = None
        params = call.parameters
        try:
            if call.wait_for or run.deps:
                run.announce()  # the run may wait for its upstreams: show it Pending
                params = await asyncio.to_thread(_resolve_all, call.wait_for, params)
            else:
                params = resolve_parameters(params)
        except UpstreamFailure as exc:
            state = run.upstream_failed(exc)
        if state is None:
            run.inputs_resolved(params)
            run.decide_persistence()
            if run.persist:
                run.announce()
                state = run.cache_lookup()
        if state is None and _cancelling and call.flow_run_id in _cancelling:
            state = _cancelled_before_start()
        if state is None:
            if task.tags:
                from headwater.concurrency import acquire_slots_async

                run.announce()
                await acquire_slots_async(run.store, task.tags, run.run_id)
                holding = True
            state = await _attempts_async(run, params)
        run.finish(state)
    except BaseException as exc:
        run.crashed(exc)
        raise
    finally:
        if holding:
            from headwater.concurrency import release_slots

            release_slots(run.store, task.tags, run.run_id)
        task_run_ctx.reset(token)
    if call.result_ids is not None and state.type is _COMPLETED:
        track_result(call.result_ids, state.data, run.run_id)
    hooks = run.hooks_for(state)
    if hooks:
        from headwater._engine.hooks import run_hooks_async

        await run_hooks_async(
            hooks, (task, run.task_run_view(state), state), state=state, logger=run.logger
        )
    return state


def _resolve_all(wait_for: tuple[Any, ...], params: dict[str, Any]) -> dict[str, Any]:
    if wait_for:
        resolve_wait_for(wait_for)
    return resolve_parameters(params)


async def _attempts_async(run: _TaskRun, params: dict[str, Any]) -> State:
    task = run.task
    spec = task._spec
    timeout = task.timeout_seconds
    while True:
        run.start_attempt()
        try:
            args, kwargs = ((), params) if spec.simple else spec.to_call(params)
            coro: Coroutine[Any, Any, Any] = task.fn(*args, **kwargs)  # type: ignore[assignment]
            if timeout is None:
                value = await coro
            else:
                value = await run_async_with_timeout(coro, timeout, kind="Task")
        except Exception as exc:
            state = run.failed(exc)
            delay = run.retry_delay(state)
            if delay is None:
                return state
            if delay:
                await asyncio.sleep(delay)
            continue
        return run.completed(value)
