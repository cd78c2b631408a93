"""Query parameters the flow-run and task-run lists share (state, tag, time ranges, sort),
decoded into the store's :class:`~headwater._store.filters.RunFilter` in one place.

A route takes the shared filters as one parameter, ``filters: RunQuery``
(FastAPI lists them as the same query parameters), and reads the store with
``filters.where(...)`` given what is its own (flow name, flow run id, sort, page).
A ``state`` value may be a state type or a state name: a run matching any of
them is listed (the store's filter means exactly that).

Times are ISO 8601 (``2026-01-31T12:00:00Z``, ``2026-01-31T12:00:00+02:00``; a
time without an offset is UTC) or POSIX seconds (``1769860800``). A value that
is neither is a 422 naming the parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Unpack

from fastapi import Depends, Query

from headwater._store.filters import InvalidFilter, RunFilter, RunFilterFields
from headwater._store.records import RunSort
from headwater.server._errors import ApiError
from headwater.server._params import StateValues, parse_state_filter

__all__ = [
    "CreatedAfter",
    "CreatedBefore",
    "FlowRunSort",
    "RunQuery",
    "RunQueryValues",
    "StartAfter",
    "StartBefore",
    "Tags",
    "TaskRunSort",
    "parse_time",
    "run_filters",
]

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


_PARAMETERS = {"state_types": "state", "state_names": "state", "tags": "tag"}
"""Query parameters named unlike the :class:`RunFilter` field they set."""


@dataclass(frozen=True)
class RunQueryValues:
    """The ``state``, ``tag`` and time-range query values of a run list or count, as given.

    They are parsed by :meth:`where` in the route (so a bad value is a 422 from the
    route, after FastAPI has checked the other parameters).
    """

    state: list[str] | None
    tag: list[str] | None
    start_after: str | None
    start_before: str | None
    created_after: str | None
    created_before: str | None

    def where(self, **scope: Unpack[RunFilterFields]) -> RunFilter:
        """The store filter these values and the route's own ``scope`` (flow name,
        flow run id, sort, page) select; a 422 naming the query parameter of a bad value."""
        states = parse_state_filter(self.state)
        try:
            shared = RunFilter(
                state_types=states.types,
                state_names=states.names,
                tags=tuple(self.tag or ()),
                start_after=parse_time("start_after", self.start_after),
                start_before=parse_time("start_before", self.start_before),
                created_after=parse_time("created_after", self.created_after),
                created_before=parse_time("created_before", self.created_before),
            )
            return RunFilter.of(shared, **scope)
        except InvalidFilter as exc:
            name = _PARAMETERS.get(exc.field, exc.field)
            raise ApiError(
                422, f"invalid request: query parameter {name!r}: {exc.problem}"
            ) from None


def run_filters(
    state: StateValues = None,
    tag: Tags = None,
    start_after: StartAfter = None,
    start_before: StartBefore = None,
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
) -> RunQueryValues:
    """The dependency behind :data:`RunQuery`: the shared query values, unparsed."""
    return RunQueryValues(state, tag, start_after, start_before, created_after, created_before)


RunQuery = Annotated[RunQueryValues, Depends(run_filters)]
"""A route parameter that takes the shared run filters from the query string."""
