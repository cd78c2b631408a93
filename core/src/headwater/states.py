"""Run states.

A state has a *type* (one of :class:`StateType`, which drives behaviour) and a
*name* (what people read: ``Retrying`` and ``AwaitingRetry`` are named states
of type ``SCHEDULED``/``RUNNING``, ``TimedOut`` is a named ``FAILED``,
``Cached`` a named ``COMPLETED``, ``Late`` a named ``SCHEDULED``).

States are plain, cheap objects: the engine makes several per task run.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from headwater.errors import CancelledRun, MissingResult, UnfinishedRun

__all__ = [
    "NAMED_STATES",
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Cancelling",
    "Completed",
    "Crashed",
    "Failed",
    "Late",
    "Paused",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateType",
    "TimedOut",
]


class StateType(enum.StrEnum):
    """What a state means to the engine."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})

NAMED_STATES: Mapping[str, StateType] = MappingProxyType(
    {
        "AwaitingRetry": StateType.SCHEDULED,
        "Cached": StateType.COMPLETED,
        "Late": StateType.SCHEDULED,
        "Retrying": StateType.RUNNING,
        "TimedOut": StateType.FAILED,
    }
)
"""The named states whose name differs from their type, and the type of each.

This is the one table: filters, the UI and the API read it from here."""

_NOTHING: Any = object()


class State:
    """The state of a flow run or task run at one moment.

    ``data`` holds the run's return value (``COMPLETED``) or its exception
    (``FAILED``/``CRASHED``) in memory; ``result_key`` names the persisted
    result record when the result was persisted.
    """

    __slots__ = (
        "cache_key",
        "data",
        "flow_run_id",
        "id",
        "message",
        "name",
        "result_key",
        "scheduled_time",
        "task_run_id",
        "timestamp",
        "type",
    )

    def __init__(
        self,
        type: StateType,
        name: str | None = None,
        message: str | None = None,
        *,
        data: Any = _NOTHING,
        timestamp: float | None = None,
        result_key: str | None = None,
        cache_key: str | None = None,
        scheduled_time: float | None = None,
        flow_run_id: str | None = None,
        task_run_id: str | None = None,
        id: str | None = None,
    ) -> None:
        self.type = type
        self.name = name if name is not None else type.value.title()
        self.message = message
        self.data = data
        self.timestamp = time.time() if timestamp is None else timestamp
        self.result_key = result_key
        self.cache_key = cache_key
        self.scheduled_time = scheduled_time
        self.flow_run_id = flow_run_id
        self.task_run_id = task_run_id
        self.id = id or uuid.uuid4().hex

    # -- predicates (Prefect-compatible names) ---------------------------------
    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelling(self) -> bool:
        return self.type is StateType.CANCELLING

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in _FINAL

    @property
    def has_data(self) -> bool:
        return self.data is not _NOTHING

    def result(self, raise_on_failure: bool = True) -> Any:
        """The run's return value.

        For a failed, crashed or cancelled state this raises the run's exception
        (or returns it with ``raise_on_failure=False``). A completed state whose
        value is not in memory is read back from its persisted result record.
        """
        if self.type in (StateType.FAILED, StateType.CRASHED, StateType.CANCELLED):
            exc = self.data if isinstance(self.data, BaseException) else None
            if exc is None:
                exc = (
                    CancelledRun(self.message or "the run was cancelled")
                    if self.type is StateType.CANCELLED
                    else RuntimeError(self.message or f"the run is {self.name}")
                )
            if raise_on_failure:
                raise exc
            return exc
        if self.type is not StateType.COMPLETED:
            raise UnfinishedRun(f"the run is {self.name}; its result is not available yet")
        if self.data is not _NOTHING:
            return self.data
        if self.result_key is not None:
            # Deferred: import time; states stay cheap, the result store loads to read a result.
            from headwater.results import read_result_record

            value = read_result_record(self.result_key)
            self.data = value
            return value
        raise MissingResult(
            "the run completed but its result was not kept; set persist_result=True to keep it"
        )

    def copy(self, **changes: Any) -> State:
        new = State.__new__(State)
        for slot in State.__slots__:
            setattr(new, slot, changes.get(slot, getattr(self, slot)))
        if "id" not in changes:
            new.id = uuid.uuid4().hex
        return new

    def __repr__(self) -> str:
        # Prefect-style: Completed(), Failed('boom'), TimedOut('...', type=FAILED)
        parts = [repr(self.message)] if self.message else []
        if self.name.upper() != self.type.value:
            parts.append(f"type={self.type.value}")
        return f"{self.name}({', '.join(parts)})"

    __str__ = __repr__


def Scheduled(scheduled_time: float | None = None, **kw: Any) -> State:
    return State(
        StateType.SCHEDULED,
        kw.pop("name", "Scheduled"),
        scheduled_time=scheduled_time or time.time(),
        **kw,
    )


def Late(**kw: Any) -> State:
    return State(NAMED_STATES["Late"], "Late", **kw)


def AwaitingRetry(scheduled_time: float | None = None, **kw: Any) -> State:
    return State(
        NAMED_STATES["AwaitingRetry"], "AwaitingRetry", scheduled_time=scheduled_time, **kw
    )


def Pending(**kw: Any) -> State:
    return State(StateType.PENDING, kw.pop("name", "Pending"), **kw)


def Running(**kw: Any) -> State:
    return State(StateType.RUNNING, kw.pop("name", "Running"), **kw)


def Retrying(**kw: Any) -> State:
    return State(NAMED_STATES["Retrying"], "Retrying", **kw)


def Completed(**kw: Any) -> State:
    return State(StateType.COMPLETED, kw.pop("name", "Completed"), **kw)


def Cached(**kw: Any) -> State:
    return State(NAMED_STATES["Cached"], "Cached", **kw)


def Failed(**kw: Any) -> State:
    return State(StateType.FAILED, kw.pop("name", "Failed"), **kw)


def TimedOut(**kw: Any) -> State:
    return State(NAMED_STATES["TimedOut"], "TimedOut", **kw)


def Crashed(**kw: Any) -> State:
    return State(StateType.CRASHED, kw.pop("name", "Crashed"), **kw)


def Cancelling(**kw: Any) -> State:
    return State(StateType.CANCELLING, kw.pop("name", "Cancelling"), **kw)


def Cancelled(**kw: Any) -> State:
    return State(StateType.CANCELLED, kw.pop("name", "Cancelled"), **kw)


def Paused(**kw: Any) -> State:
    return State(StateType.PAUSED, kw.pop("name", "Paused"), **kw)
