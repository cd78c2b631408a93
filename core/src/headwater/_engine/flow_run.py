"""The flow-run state machine: every step and state change of one flow run.

:class:`FlowRun` binds and validates the parameters, records the run,
installs what a top-level run needs (SIGTERM handling, heartbeat, cancel
scope, progress line), and makes the transitions Pending -> Running ->
Completed / Failed / TimedOut, through AwaitingRetry -> Retrying while
retries remain, with Cancelled and Crashed when the run is interrupted. It
never calls the flow's function, enters its task runner or sleeps between
attempts: the sync and async drivers in :mod:`headwater._engine.flow_engine`
do that, and share the prelude
(:meth:`FlowRun.open`, :meth:`FlowRun.start_attempt`, :meth:`FlowRun.enter_body`)
and the endings (:meth:`FlowRun.retry_delay`, :meth:`FlowRun.interrupted`)
defined here.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import threading
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from headwater._engine import heartbeat
from headwater._engine.cancellation import (
    CancelInterrupt,
    CancelScope,
    close_scope,
    open_scope,
)
from headwater._engine.ids import new_id, new_random_id
from headwater._engine.logs import (
    engine_logger,
    ensure_logging,
    ensure_print_capture,
    progress_line,
)
from headwater._engine.naming import format_run_name, generate_slug
from headwater._engine.recording import (
    display_state,
    exception_message,
    recorded_parameters,
    state_record,
)
from headwater._engine.run_ledger import record_entrypoint
from headwater._engine.signals import TerminationSignal, sigterm_raises
from headwater._store import get_store
from headwater._store.cancellation import CANCELLED_MESSAGE
from headwater._store.records import FlowRunRecord
from headwater.context import FlowRunContext, flow_run_ctx, task_run_ctx
from headwater.errors import CancelledRun, ParameterValidationError, RunTimeoutError
from headwater.futures import HeadwaterFuture
from headwater.states import (
    AwaitingRetry,
    Cancelled,
    Completed,
    Crashed,
    Failed,
    Pending,
    Retrying,
    Running,
    State,
    StateType,
    TimedOut,
)

if TYPE_CHECKING:
    from headwater._engine.flow_engine import RetryOf
    from headwater._store.base import Store
    from headwater.flows import Flow
    from headwater.task_runners import TaskRunner

__all__ = ["FlowRun"]

_hostname: str | None = None


def _host() -> str:
    global _hostname
    if _hostname is None:
        _hostname = socket.gethostname()
    return _hostname


class FlowRun:
    """The steps of one flow run, shared by the sync and async drivers."""

    def __init__(self, flow: Flow[Any, Any], retry_of: RetryOf | None) -> None:
        self.flow = flow
        self.retry_of = retry_of
        self.parent = flow_run_ctx.get()
        parent_task = task_run_ctx.get()
        self.parent_task_run_id = parent_task.task_run_id if parent_task is not None else None
        self.top_level = self.parent is None
        self.store: Store = get_store()
        self.flow_run_id = retry_of.flow_run_id if retry_of else new_random_id()
        self.run_count = retry_of.run_count if retry_of else 0
        self.attempts = 0
        self.start_time: float | None = None
        self.parameters: dict[str, Any] = {}
        self.name = ""
        self.ctx: FlowRunContext | None = None
        self.logger: Any = None
        self.progress: Any = None
        self.record: FlowRunRecord | None = None
        self.exits = ExitStack()
        self.cancel_scope: CancelScope | None = None
        self.body: Any = None  # the cancel scope's handle on the running body

    # -- bookkeeping ---------------------------------------------------------------
    def set_state(
        self, state: State, *, start: bool = False, end: bool = False, count: bool = False
    ) -> None:
        state.flow_run_id = self.flow_run_id
        self.store.set_state(
            "flow",
            self.flow_run_id,
            state_record(state, "flow", self.flow_run_id),
            start_time=self.start_time if start else None,
            end_time=state.timestamp if end else None,
            run_count=self.run_count if count else None,
        )

    def remember_entrypoint(self, entrypoint: str) -> None:
        """Record the entrypoint for retries; a failure makes the run unretryable here and
        is said in its logs, never fatal."""
        try:
            record_entrypoint(self.flow_run_id, entrypoint)
        except OSError as exc:
            self.log(
                logging.WARNING,
                "could not record the entrypoint for retries (%s): this run cannot be retried "
                "from this machine",
                exc,
            )

    def log(self, level: int, msg: str, *args: Any) -> None:
        if self.logger is None:
            self.logger = engine_logger(self.ctx)
        if self.logger.isEnabledFor(level):
            self.logger.log(level, msg, *args)

    # -- the prelude both drivers share --------------------------------------------
    def open(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State | None:
        """Bind, record and validate; ``None``, or the run's final Failed state (already
        recorded) when the parameters are bad and the body must not run."""
        state = self.begin(args, kwargs)
        if state is not None:
            self.finish(state)
        return state

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State | None:
        """Bind, record and validate; a Failed state when the parameters are bad."""
        flow = self.flow
        if self.top_level:
            ensure_logging()
        problem: ParameterValidationError | None = None
        if self.retry_of is not None:
            raw = dict(self.retry_of.parameters)
        else:
            try:
                raw = flow._spec.bind(args, kwargs, what=f"flow {flow.name!r}")
            except TypeError as exc:
                raw = dict(zip(flow._spec.names, args, strict=False))
                raw.update(kwargs)
                problem = ParameterValidationError(
                    f"Flow {flow.name!r} received invalid parameters: {exc}"
                )
        params = raw
        if problem is None and flow.should_validate_parameters:
            try:
                params = flow._validator.validate(raw, flow_name=flow.name)
            except ParameterValidationError as exc:
                problem = exc
        self.parameters = params
        if self.retry_of is not None:
            self.name = self.retry_of.name
        elif flow.flow_run_name is not None and problem is None:
            try:
                self.name = format_run_name(flow.flow_run_name, params, option="flow_run_name")
            except Exception as exc:
                self.name = generate_slug()
                problem = ParameterValidationError(f"flow_run_name could not be formatted: {exc}")
        else:
            self.name = generate_slug()
        extra: dict[str, Any] = {
            "lock": threading.Lock(),
            "store": self.store,
            "result_ids": {},  # id(result) -> (result, task_run_id): see track_result
        }
        persist = flow.persist_result
        if persist is None and self.parent is not None:
            persist = self.parent.extra.get("persist_result")
        extra["persist_result"] = persist
        # Tasks without their own result_storage/result_serializer use the flow's (as in
        # Prefect); a nested flow without its own inherits its parent's.
        for option in ("result_storage", "result_serializer"):
            value = getattr(flow, option)
            if value is None and self.parent is not None:
                value = self.parent.extra.get(option)
            extra[option] = value
        log_prints = flow.log_prints
        if log_prints is None:
            log_prints = self.parent.log_prints if self.parent is not None else False
        self.ctx = FlowRunContext(
            flow=flow,
            flow_run_id=self.flow_run_id,
            flow_run_name=self.name,
            parameters=params,
            tags=flow.tags,
            log_prints=log_prints,
            extra=extra,
        )
        if self.retry_of is None:
            self.record = FlowRunRecord(
                id=self.flow_run_id,
                flow_name=flow.name,
                name=self.name,
                created=time.time(),
                parameters=recorded_parameters(raw, flow._validator.secret_names()),
                tags=sorted(flow.tags),
                parent_flow_run_id=self.parent.flow_run_id if self.parent is not None else None,
                parent_task_run_id=self.parent_task_run_id,
                entrypoint=flow.entrypoint,
                flow_version=flow.version,
                pid=os.getpid(),
                hostname=_host(),
                heartbeat=time.time(),
            )
            self.store.create_flow_run(self.record)
            if flow.entrypoint is not None:
                self.remember_entrypoint(flow.entrypoint)
            self.set_state(Pending())
        if log_prints:
            ensure_print_capture()
        if problem is not None:
            return Failed(message=str(problem), data=problem)
        return None

    def enter(self) -> None:
        """Top-level extras: SIGTERM handling, heartbeat, progress line."""
        heartbeat.register(self.flow_run_id)
        self.exits.callback(heartbeat.unregister, self.flow_run_id)
        assert self.ctx is not None
        if self.top_level:
            self.cancel_scope = open_scope(self.flow_run_id, self.store)
            self.exits.callback(close_scope, self.cancel_scope)
        elif self.parent is not None:
            self.cancel_scope = self.parent.extra.get("cancel_scope")
            if self.cancel_scope is not None:
                self.cancel_scope.add(self.flow_run_id)
        self.ctx.extra["cancel_scope"] = self.cancel_scope
        if self.top_level:
            self.exits.enter_context(sigterm_raises())
            self.progress = progress_line(self.name)
            if self.progress is not None:
                self.exits.callback(self.progress.close)
        elif self.parent is not None:
            self.progress = self.parent.extra.get("progress")
        self.ctx.extra["progress"] = self.progress
        self.log(20, "Beginning flow run %r for flow %r", self.name, self.flow.name)

    def start_attempt(self) -> contextvars.Token[FlowRunContext | None]:
        """Record Running (or Retrying) and make the run's context current; the token
        to reset it with when the attempt ends."""
        self.run_count += 1
        self.attempts += 1
        if self.start_time is None:
            claimed = self.retry_of.claimed_start if self.retry_of is not None else None
            if claimed is not None:
                self.start_time = claimed  # already Running: the retry claimed it
            else:
                self.start_time = time.time()
                self.set_state(Running(timestamp=self.start_time), start=True, count=True)
        else:
            self.set_state(Retrying(), count=True)
        assert self.ctx is not None
        self.ctx.task_run_counts.clear()
        return flow_run_ctx.set(self.ctx)

    def enter_body(self, runner: TaskRunner, *, is_async: bool = False) -> None:
        """Before the body runs: make ``runner`` the run's task runner and register the
        body with the cancel scope (raises :class:`CancelInterrupt` if already cancelled)."""
        assert self.ctx is not None
        self.ctx.extra["task_runner"] = runner
        scope = self.cancel_scope
        if scope is not None:
            self.body = scope.enter_body(is_async=is_async)

    def leave_body(self) -> None:
        """After the body: unregister it (raises :class:`CancelInterrupt` if it was cancelled)."""
        body = self.body
        if body is not None:
            self.body = None
            assert self.cancel_scope is not None
            self.cancel_scope.leave_body(body)

    def state_from_return(self, value: Any) -> State:
        """The final state a body's return value means (returned futures/states count)."""
        if isinstance(value, State) and value.is_final():
            return value.copy(flow_run_id=self.flow_run_id)
        states: list[State] | None = None
        if isinstance(value, HeadwaterFuture):
            value.wait()
            st = value.state
            if not st.is_completed():
                return Failed(
                    message=f"Flow run failed: returned task run {value.task_run_id} is {st.name}",
                    data=st.data if isinstance(st.data, BaseException) else None,
                )
            return self.completed(st.result())
        if (
            isinstance(value, list | tuple | set)
            and value
            and all(isinstance(v, HeadwaterFuture | State) for v in value)
        ):
            states = []
            for v in value:
                if isinstance(v, HeadwaterFuture):
                    v.wait()
                    states.append(v.state)
                else:
                    states.append(v)
            bad = [s for s in states if not s.is_completed()]
            if bad:
                first = next((s.data for s in bad if isinstance(s.data, BaseException)), None)
                return Failed(
                    message=f"{len(bad)}/{len(states)} states failed.",
                    data=first
                    if first is not None
                    else Exception(f"{len(bad)}/{len(states)} states failed."),
                )
            return self.completed(
                type(value)(s.result() for s in states)
                if not isinstance(value, set)
                else [s.result() for s in states]
            )
        return self.completed(value)

    def completed(self, value: Any) -> State:
        if self.flow.persist_result:
            # Deferred: headwater.results costs ~50 ms to import and most runs never persist.
            from headwater.results import resolve_result_store

            try:
                key = resolve_result_store(
                    self.flow.result_storage, self.flow.result_serializer
                ).persist(new_id(), value)
            except Exception as exc:
                return Failed(
                    message=f"Flow run could not persist its result: {type(exc).__name__}: {exc}",
                    data=exc,
                )
            return Completed(data=value, result_key=key)
        return Completed(data=value)

    def failed(self, exc: Exception) -> State:
        if isinstance(exc, RunTimeoutError) and str(exc).startswith("Flow run exceeded"):
            return TimedOut(message=str(exc), data=exc)
        return Failed(message=exception_message("Flow", exc), data=exc)

    def retry_delay(self, state: State) -> float | None:
        """Seconds before the next attempt, or ``None`` when ``state`` is final."""
        if not state.is_failed() or self.attempts > self.flow.retries:
            return None
        delay = self.flow._retry_delays[self.attempts - 1]
        self.log(
            20,
            "Flow run failed; retry %s/%s in %s second(s)",
            self.attempts,
            self.flow.retries,
            delay,
        )
        self.set_state(AwaitingRetry(scheduled_time=time.time() + delay, message=state.message))
        return delay

    # -- the endings ---------------------------------------------------------------
    def interrupted(self, exc: BaseException) -> tuple[State, bool]:
        """Record how ``exc`` ended the run: its final state, and whether the driver must
        re-raise ``exc`` (always, except for the cancellation of a top-level run)."""
        if self.is_cancellation(exc):
            # A child flow re-raises: its parent's body is being cancelled too.
            return self.cancelled(), not self.top_level
        return self.crashed(exc), True

    def is_cancellation(self, exc: BaseException) -> bool:
        """Whether ``exc`` ends this run because its flow run (tree) was cancelled."""
        if isinstance(exc, CancelInterrupt):
            return True
        scope = self.cancel_scope
        return isinstance(exc, asyncio.CancelledError) and scope is not None and scope.cancelled

    def crashed(self, exc: BaseException) -> State:
        if isinstance(exc, TerminationSignal):
            message = f"Execution was interrupted: {exc}"
        else:
            message = f"Execution was interrupted by {type(exc).__name__}"
        state = Crashed(message=message, data=exc)
        self.end_unfinished_task_runs(Crashed, message)
        self.finish(state)
        return state

    def cancelled(self) -> State:
        """Record the run Cancelled (with its unfinished task runs), as it was asked to be."""
        exc = CancelledRun(f"Flow run {self.name!r} ({self.flow_run_id}) was cancelled")
        state = Cancelled(message=CANCELLED_MESSAGE, data=exc)
        self.end_unfinished_task_runs(Cancelled, "its flow run was cancelled")
        self.finish(state)
        return state

    def end_unfinished_task_runs(self, make_state: Any, message: str) -> None:
        """End the task runs of this flow run still unfinished (e.g. running in other
        threads) in the state ``make_state`` builds (Crashed or Cancelled)."""
        try:
            self.store.flush()
            unfinished = self.store.read_task_runs(
                flow_run_id=self.flow_run_id, state_types=["PENDING", "RUNNING", "SCHEDULED"]
            )
            for tr in unfinished:
                ended: State = make_state(message=message, id=new_id())
                self.store.set_state(
                    "task", tr.id, state_record(ended, "task", tr.id), end_time=ended.timestamp
                )
        except Exception:  # the flow's own final state matters more; keep going
            pass

    def finish(self, state: State) -> None:
        """Write the final state: after everything before it is durable for a top-level run."""
        if self.top_level:
            self.store.flush()
        self.set_state(state, end=True, count=True)
        level = 20 if state.type is StateType.COMPLETED else 40
        self.log(level, "Finished in state %s", display_state(state))
        if self.top_level:
            self.store.flush()

    def flow_run_view(self, state: State) -> FlowRunRecord:
        rec = self.record
        if rec is None:
            rec = self.store.read_flow_run(self.flow_run_id)
        rec.state_type = state.type.value
        rec.state_name = state.name
        rec.state_message = state.message
        rec.start_time = self.start_time
        rec.end_time = state.timestamp
        rec.run_count = self.run_count
        return rec

    def hook_arguments(self, state: State) -> tuple[Any, ...]:
        """What a hook is called with: the flow, the run as a record, the final state."""
        return (self.flow, self.flow_run_view(state), state)

    def hooks_for(self, state: State) -> tuple[Any, ...]:
        flow = self.flow
        if state.type is StateType.COMPLETED:
            return flow.on_completion_hooks
        if state.type is StateType.FAILED:
            return flow.on_failure_hooks
        if state.type is StateType.CRASHED:
            return flow.on_crashed_hooks
        if state.type is StateType.CANCELLED:
            return flow.on_cancellation_hooks
        return ()
