"""The task-run state machine: every step and state change of one task run.

:class:`TaskRun` holds one run's bookkeeping and the transitions
Pending -> Running -> Completed / Failed / TimedOut, through AwaitingRetry ->
Retrying while retries remain, with Cached (a cache hit), Cancelled and
Crashed as the other ends (whether the run persists and what the cache
holds come from :mod:`headwater._engine.task_cache`). It never calls the
task's function, waits for upstream runs or slots, or sleeps between
attempts: the sync and async drivers in
:mod:`headwater._engine.task_engine` do that, and share the prelude
(:meth:`TaskRun.open`, :meth:`TaskRun.may_wait`, :meth:`TaskRun.prepare`,
:meth:`TaskRun.takes_slots`) and the epilogue (:meth:`TaskRun.close`,
:meth:`TaskRun.settle`) defined here.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import TYPE_CHECKING, Any

from headwater._engine.cancellation import CancelInterrupt, cancelling
from headwater._engine.ids import new_id
from headwater._engine.logs import (
    engine_logger,
    ensure_print_capture,
    task_logger_enabled_for,
)
from headwater._engine.naming import format_run_name
from headwater._engine.recording import display_state, exception_message, state_record
from headwater._engine.resolve import (
    UpstreamFailure,
    collect_dependencies,
    track_result,
    wait_for_ids,
)
from headwater._engine.task_cache import cache_lookup, persists, result_store
from headwater._store import get_store
from headwater._store.records import TaskRunRecord
from headwater.concurrency import release_slots
from headwater.context import TaskRunContext, task_run_ctx
from headwater.errors import CancelledRun, RunTimeoutError
from headwater.retries import apply_jitter
from headwater.states import (
    AwaitingRetry,
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
    from headwater._engine.task_call import TaskCall
    from headwater._store.base import Store

__all__ = ["TaskRun"]

_PENDING = StateType.PENDING
_RUNNING = StateType.RUNNING
_COMPLETED = StateType.COMPLETED
_INFO = logging.INFO
_DEBUG = logging.DEBUG
_TYPE_TEXT = {t: t.value for t in StateType}
_log_enabled = task_logger_enabled_for()
_cancelling = cancelling  # the same set object; empty unless a flow run is being cancelled


class TaskRun:
    """The steps of one task run, shared by the sync and async drivers.

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
        "holding",
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
            store = get_store()
        self.store: Store = store
        self.fast_begin: Any = getattr(store, "begin_task_run", None)
        self.fast_end: Any = getattr(store, "end_task_run", None) if self.fast_begin else None
        self.run_id = call.task_run_id
        self.run_count = 0
        self.cache_key: str | None = None
        self.persist = False
        self.holding = False
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
            logger = self.logger = engine_logger(self.ctx)
        logger.log(level, msg, *args)

    # -- the prelude both drivers share --------------------------------------------
    def open(self) -> contextvars.Token[TaskRunContext | None]:
        """Name the run, make its context current; the token for :meth:`close`.

        Recording waits for :meth:`announce`.
        """
        call, task = self.call, self.task
        if task.task_run_name is None:
            name = f"{task.name}-{call.dynamic_key}"
        else:
            name = format_run_name(task.task_run_name, call.parameters, option="task_run_name")
        self.name = name
        deps = call.dependencies
        if deps is None:
            deps = collect_dependencies(call.parameters, call.result_ids)
        self.deps = deps
        if call.wait_for:
            self.wait_ids = wait_for_ids(call.wait_for)
        self.created = time.time()
        ctx = self.ctx = TaskRunContext(
            task=task,
            task_run_id=self.run_id,
            task_run_name=name,
            flow_run_id=call.flow_run_id,
            parameters=call.parameters,
            tags=task.tags,
            log_prints=call.log_prints,
        )
        if call.log_prints:
            ensure_print_capture()
        if _log_enabled(_DEBUG):
            self.log(_DEBUG, "Created task run %r for task %r", name, task.name)
        if call.progress is not None:
            call.progress.task_started()
        return task_run_ctx.set(ctx)

    def may_wait(self) -> bool:
        """Whether resolving the inputs may wait for upstream runs (then the run is shown Pending)."""
        if self.call.wait_for or self.deps:
            self.announce()
            return True
        return False

    def prepare(self, parameters: dict[str, Any]) -> State | None:
        """With the inputs resolved: a final state that ends the run before it starts
        (a cache hit, or its flow run being cancelled), or ``None`` to run it."""
        assert self.ctx is not None
        self.ctx.parameters = parameters
        if persists(self.task, self.call):
            self.persist = True
            self.announce()
            self.cache_key, state = cache_lookup(self.task, self.call, self.ctx, self.log)
            if state is not None:
                return state
        if _cancelling and self.call.flow_run_id in _cancelling:
            return _cancelled_before_start()
        return None

    def takes_slots(self) -> bool:
        """Whether the run must take concurrency slots (its tags) before it starts."""
        if self.task.tags:
            self.announce()
            return True
        return False

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

    def upstream_failed(self, exc: UpstreamFailure) -> State:
        return Failed(message=f"Task run could not start: {exc}", data=exc)

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
            result_key = result_store(self.task, self.call).persist(
                key, value, expiration=self.task.cache_expiration
            )
        except Exception as exc:
            return Failed(
                message=f"Task run could not persist its result: {type(exc).__name__}: {exc}",
                data=exc,
            )
        return Completed(data=value, result_key=result_key, cache_key=self.cache_key)

    def attempt_failed(self, exc: Exception) -> tuple[State, float | None]:
        """The state an attempt that raised ``exc`` ends in, and the seconds to wait
        before retrying (``None``: the state is final)."""
        state = self.failed(exc)
        return state, self.retry_delay(state)

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

    # -- the end -------------------------------------------------------------------
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

    def close(self, token: contextvars.Token[TaskRunContext | None]) -> None:
        """Give back the concurrency slots (if taken) and leave the run's context."""
        if self.holding:
            release_slots(self.store, self.task.tags, self.run_id)
        task_run_ctx.reset(token)

    def settle(self, state: State) -> tuple[Any, ...]:
        """After the run ended in ``state``: remember its result for downstream
        dependency tracking; the hooks to run (none: ``()``)."""
        result_ids = self.call.result_ids
        if result_ids is not None and state.type is _COMPLETED:
            track_result(result_ids, state.data, self.run_id)
        task = self.task
        if not task._has_hooks:
            return ()
        if state.is_completed():
            return task.on_completion_hooks
        if state.is_failed():
            return task.on_failure_hooks
        return ()

    def hook_arguments(self, state: State) -> tuple[Any, ...]:
        """What a hook is called with: the task, the run as a record, the final state."""
        return (self.task, self.task_run_view(state), state)


def _cancelled_before_start() -> State:
    """The state of a task run not started because its flow run is being cancelled."""
    message = "Task run was not started: its flow run was cancelled"
    return Cancelled(message=message, data=CancelledRun(message), id=new_id())
