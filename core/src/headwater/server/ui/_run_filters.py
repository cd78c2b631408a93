"""The flow-run list's filters: parsed from the page's GET form, applied through the store.

The same query string drives the full page and the ``/flow-runs/rows`` partial
that the page polls, so the live refresh shows exactly what the filters select.
A bad value (an unknown state, an unreadable date) is reported by name and
selects nothing, rather than being silently ignored.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from headwater._state_filters import StateFilter, parse_states
from headwater._store.base import Store
from headwater._store.filters import InvalidFilter, RunFilter
from headwater._store.records import FlowRunRecord

__all__ = ["SINCE", "STATE_CHOICES", "RunListForm", "parse_filters", "select_runs"]

SINCE: dict[str, tuple[str, float]] = {
    "hour": ("Last hour", 3600.0),
    "day": ("Last day", 86400.0),
    "week": ("Last week", 7 * 86400.0),
}
"""The ``since`` choices: label and how many seconds back."""

STATE_CHOICES: tuple[str, ...] = (
    "COMPLETED",
    "FAILED",
    "CRASHED",
    "RUNNING",
    "CANCELLING",
    "CANCELLED",
    "PENDING",
    "SCHEDULED",
    "PAUSED",
    "TimedOut",
    "Cached",
    "Retrying",
    "AwaitingRetry",
    "Late",
)
"""The state select: every state type, then the named states whose name differs."""


@dataclass(frozen=True, slots=True)
class RunListForm:
    """What the list shows; empty strings mean "any"."""

    flow: str = ""
    state: str = ""
    tag: str = ""
    since: str = ""
    start: str = ""
    end: str = ""
    errors: tuple[str, ...] = field(default=())
    where: RunFilter = field(default_factory=RunFilter)
    """What the store selects (no page): the values above, parsed."""

    def query(self, **extra: object) -> str:
        """The filters (and ``extra`` parameters) as a query string, without ``?``."""
        pairs = [
            (name, value)
            for name, value in (
                ("flow", self.flow),
                ("state", self.state),
                ("tag", self.tag),
                ("since", self.since),
                ("start", self.start),
                ("end", self.end),
            )
            if value
        ]
        pairs.extend((name, str(value)) for name, value in extra.items() if value is not None)
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return bool(self.flow or self.state or self.tag or self.since or self.start or self.end)


def _parse_local(param: str, value: str, errors: list[str]) -> float | None:
    """A ``datetime-local`` value (server's local time) or ISO 8601 with offset, as POSIX."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        errors.append(f"{param}: {value!r} is not a date and time (use YYYY-MM-DDTHH:MM)")
        return None
    return parsed.timestamp()


def parse_filters(params: Mapping[str, str], *, now: float | None = None) -> RunListForm:
    """The filters in a request's query parameters; problems listed in ``errors``."""
    errors: list[str] = []
    flow = params.get("flow", "").strip()
    state = params.get("state", "").strip()
    tag = params.get("tag", "").strip()
    since = params.get("since", "").strip()
    start = params.get("start", "").strip()
    end = params.get("end", "").strip()
    states = StateFilter()
    if state:
        try:
            states = parse_states([state])
        except InvalidFilter as exc:  # its problem names the choices
            errors.append(f"state: {exc.problem}")
    after: float | None = None
    before: float | None = None
    if since:
        if since not in SINCE:
            errors.append(f"since: {since!r} is not one of {', '.join(SINCE)}")
        else:
            after = (time.time() if now is None else now) - SINCE[since][1]
    start_ts = _parse_local("start", start, errors)
    end_ts = _parse_local("end", end, errors)
    if start_ts is not None:
        after = start_ts if after is None else max(after, start_ts)
    if end_ts is not None:
        before = end_ts
    where = RunFilter()
    try:
        where = RunFilter(
            flow_name=flow or None,
            state_types=states.types,
            state_names=states.names,
            tags=(tag,) if tag else (),
            start_after=after,
            start_before=before,
        )
    except InvalidFilter:  # the one value parsed here that RunFilter can refuse
        errors.append("end: is before the start of the range")
    return RunListForm(
        flow=flow,
        state=state,
        tag=tag,
        since=since,
        start=start,
        end=end,
        errors=tuple(errors),
        where=where,
    )


def select_runs(
    store: Store, filters: RunListForm, *, limit: int, offset: int
) -> tuple[list[FlowRunRecord], int]:
    """One page of the runs ``filters`` select (newest first) and how many there are in all."""
    if filters.errors:
        return [], 0
    runs = store.read_flow_runs(filters.where, limit=limit, offset=offset)
    return runs, store.count_flow_runs(filters.where)
