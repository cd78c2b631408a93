"""Query parameters the flow-run and task-run lists share (state, tag, time ranges, sort)
and how a list or count with a ``state`` filter is read from the store.

A route takes the shared filters as one parameter, ``filters: RunQuery``
(FastAPI lists them as the same query parameters), and hands it to
:func:`read_runs`/:func:`count_runs` with what is its own (flow name, flow run id,
sort, page).

Times are ISO 8601 (``2026-01-31T12:00:00Z``, ``2026-01-31T12:00:00+02:00``; a
time without an offset is UTC) or POSIX seconds (``1769860800``). A value that
is neither is a 422 naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from headwater._state_filters import StateFilter
from headwater._store.records import RunSort
from headwater.server._errors import ApiError
from headwater.server._params import StateValues, parse_state_filter

__all__ = [
    "CreatedAfter",
    "CreatedBefore",
    "FlowRunSort",
    "RunFilters",
    "RunQuery",
    "StartAfter",
    "StartBefore",
    "Tags",
    "TaskRunSort",
    "TimeFilters",
    "count_runs",
    "parse_time",
    "read_runs",
    "run_filters",
    "time_filters",
]

R = TypeVar("R")

_TIME = "ISO 8601 (no offset = UTC) or POSIX seconds."
StartAfter = Annotated[
    str | None,
    Query(
        description="Only runs that started at or after this time (a run not started yet: "
        f"its creation time). {_TIME}",
        examples=["2026-01-31T12:00:00Z"],
    ),
]
StartBefore = Annotated[
    str | None,
    Query(
        description="Only runs that started at or before this time (a run not started yet: "
        f"its creation time). {_TIME}",
        examples=["2026-01-31T12:00:00Z"],
    ),
]
CreatedAfter = Annotated[
    str | None, Query(description=f"Only runs created at or after this time. {_TIME}")
]
CreatedBefore = Annotated[
    str | None, Query(description=f"Only runs created at or before this time. {_TIME}")
]
Tags = Annotated[
    list[str] | None, Query(description="Only runs with this tag; repeat for all of several.")
]
FlowRunSort = Annotated[
    RunSort,
    Query(
        description="created_desc (default), created_asc, start_time_desc, start_time_asc "
        "(start time, or creation time while not started) or name_asc."
    ),
]
TaskRunSort = Annotated[
    RunSort,
    Query(
        description="created_asc (default), created_desc, start_time_asc, start_time_desc "
        "(start time, or creation time while not started) or name_asc."
    ),
]

TimeFilters = dict[str, float | None]
"""``start_after``/``start_before``/``created_after``/``created_before`` as POSIX seconds."""


def parse_time(name: str, value: str | None) -> float | None:
    """The query parameter ``name`` as POSIX seconds; a 422 naming it when it is not a time."""
    if value is None:
        return None
    raw = value.strip()
    try:
        number = float(raw)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return number
        raise ApiError(422, f"invalid request: query parameter {name!r}: not a finite number")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        # The value is not echoed: it may be something pasted into the wrong field.
        raise ApiError(
            422,
            f"invalid request: query parameter {name!r}: not an ISO 8601 time "
            "(e.g. 2026-01-31T12:00:00Z) or POSIX seconds",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):
        raise ApiError(
            422, f"invalid request: query parameter {name!r}: the time is out of range"
        ) from None


def time_filters(
    start_after: str | None,
    start_before: str | None,
    created_after: str | None,
    created_before: str | None,
) -> TimeFilters:
    """The four time-range query values, parsed (keyword arguments for the store)."""
    return {
        "start_after": parse_time("start_after", start_after),
        "start_before": parse_time("start_before", start_before),
        "created_after": parse_time("created_after", created_after),
        "created_before": parse_time("created_before", created_before),
    }


@dataclass(frozen=True)
class RunFilters:
    """The ``state``, ``tag`` and time-range query values of a run list or count, as given.

    They are parsed by :meth:`parsed` in the route (so a bad value is a 422 from the
    route, after FastAPI has checked the other parameters).
    """

    state: list[str] | None
    tag: list[str] | None
    start_after: str | None
    start_before: str | None
    created_after: str | None
    created_before: str | None

    def parsed(self) -> tuple[StateFilter, dict[str, Any]]:
        """The state filter, and ``tags`` and the times as keyword arguments for the store."""
        states = parse_state_filter(self.state)
        times = time_filters(
            self.start_after, self.start_before, self.created_after, self.created_before
        )
        return states, {"tags": self.tag or None, **times}


def run_filters(
    state: StateValues = None,
    tag: Tags = None,
    start_after: StartAfter = None,
    start_before: StartBefore = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
) -> RunFilters:
    """The dependency behind :data:`RunQuery`: the shared query values, unparsed."""
    return RunFilters(state, tag, start_after, start_before, created_after, created_before)


RunQuery = Annotated[RunFilters, Depends(run_filters)]
"""A route parameter that takes the shared run filters from the query string."""


def read_runs(
    read: Callable[..., list[R]],
    query: tuple[StateFilter, dict[str, Any]],
    *,
    limit: int,
    offset: int,
    **scope: Any,
) -> list[R]:
    """One page of runs from ``read`` (a store's ``read_flow_runs``/``read_task_runs``).

    ``query`` is :meth:`RunFilters.parsed`; ``scope`` the route's own keyword
    arguments for the store (flow name, flow run id, sort).
    The store ANDs state types and state names; a ``state`` filter naming both
    means any of them, so that case narrows by type in SQL and matches here.
    """
    states, filters = query
    filters = {**filters, **scope}
    if states.types and states.names:
        runs = read(state_types=states.covering_types(), limit=None, **filters)
        matching = [r for r in runs if states.matches(r.state_type, r.state_name)]  # type: ignore[attr-defined]
        return matching[offset : offset + limit]
    return read(
        state_types=list(states.types) or None,
        state_names=list(states.names) or None,
        limit=limit,
        offset=offset,
        **filters,
    )


def count_runs(
    count: Callable[..., int],
    read: Callable[..., list[Any]],
    query: tuple[StateFilter, dict[str, Any]],
    **scope: Any,
) -> int:
    """How many runs :func:`read_runs` would page through (``count`` is the store's count)."""
    states, filters = query
    filters = {**filters, **scope}
    if states.types and states.names:
        runs = read(state_types=states.covering_types(), limit=None, **filters)
        return sum(1 for r in runs if states.matches(r.state_type, r.state_name))
    return count(
        state_types=list(states.types) or None,
        state_names=list(states.names) or None,
        **filters,
    )
