"""Query parameters shared by several routers, and the store each request reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Query

from headwater._state_filters import StateFilter, parse_states
from headwater._store.filters import InvalidFilter
from headwater.server._errors import ApiError

if TYPE_CHECKING:
    from headwater._store import Store

__all__ = ["Limit", "Offset", "StateValues", "current_store", "parse_state_filter"]

Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items (1..1000).")]
Offset = Annotated[int, Query(ge=0, description="Skip this many items first.")]
StateValues = Annotated[
    list[str] | None,
    Query(
        description="A state type (COMPLETED, FAILED, ...) or name (TimedOut, Cached, ...), "
        "any case; repeat for any of several."
    ),
]


def current_store() -> Store:
    """The process-wide embedded store (opened, and migrated, on first use).

    Always the embedded store, even with ``HEADWATER_API_URL`` set: the server
    must never talk HTTP to itself.
    """
    from headwater._store import get_embedded_store

    return get_embedded_store()


def parse_state_filter(values: list[str] | None) -> StateFilter:
    """The ``state`` query values as a filter; a 422 naming ``state`` for an unknown one."""
    try:
        return parse_states(values)
    except InvalidFilter as exc:
        raise ApiError(422, f"invalid request: query parameter 'state': {exc.problem}") from None
