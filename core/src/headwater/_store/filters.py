"""Which runs a read selects: :class:`RunFilter`, the one value every run listing takes.

The Store's ``read_flow_runs``/``count_flow_runs``/``read_task_runs``/``count_task_runs``
take a :class:`RunFilter` (or its fields as keyword arguments); the HTTP store
encodes it with :meth:`RunFilter.to_query` and the server's ``/api/store`` routes
decode it with :meth:`RunFilter.from_query`; the API, the UI and the CLI build one
from what people typed. A value it cannot use raises :class:`InvalidFilter`
naming the field, wherever the filter is made.

The store compares state types as plain strings (it imports nothing from
:mod:`headwater.states`); :data:`STATE_TYPES` lists the ones it knows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from headwater._store.records import RUN_SORTS, RunKind, RunSort
from headwater.errors import ConfigurationError

__all__ = ["STATE_TYPES", "InvalidFilter", "RunFilter", "RunFilterFields"]

STATE_TYPES: tuple[str, ...] = (
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CRASHED",
    "CANCELLING",
    "CANCELLED",
    "PAUSED",
)
"""Every state type a run can be in (the values of ``headwater.states.StateType``)."""

_DEFAULT_SORT: dict[RunKind, RunSort] = {"flow": "created_desc", "task": "created_asc"}

_ONLY_FOR: dict[str, RunKind] = {
    "flow_name": "flow",
    "parent_flow_run_id": "flow",
    "flow_run_id": "task",
}
"""Fields that select runs of one kind only (task runs have no flow name of their own)."""

_MAX_COUNT = 2**62
"""The largest ``limit``/``offset`` (a database integer holds it)."""

_TEXTS = ("flow_name", "flow_run_id", "parent_flow_run_id")
_LISTS = {"state_types": "state_type", "state_names": "state_name", "tags": "tag"}
"""List fields and their (repeated) query parameter."""
_TIMES = ("start_after", "start_before", "created_after", "created_before")
_RANGES = (("start_after", "start_before"), ("created_after", "created_before"))


class InvalidFilter(ConfigurationError):
    """A run filter has a value that cannot be used; ``field`` names it, ``problem`` says why.

    The message is ``"`field` problem"``; a caller that calls the field something
    else (a query parameter, a command-line option) formats ``problem`` with its own name.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"`{field}` {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidFilter], tuple[str, str]]:
        return (type(self), (self.field, self.problem))


class RunFilterFields(TypedDict, total=False):
    """:class:`RunFilter`'s fields as keyword arguments (lists may be any sequence, None: any)."""

    flow_name: str | None
    flow_run_id: str | None
    parent_flow_run_id: str | None
    state_types: Sequence[str] | None
    state_names: Sequence[str] | None
    tags: Sequence[str] | None
    start_after: float | None
    start_before: float | None
    created_after: float | None
    created_before: float | None
    sort: RunSort | None
    limit: int | None
    offset: int


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidFilter(field, f"must be a string, got {value!r}")
    return value


def _texts(field: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidFilter(field, f"must be a list of strings, got {value!r}")
    return tuple(_text(field, item) for item in value)


def _time(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFilter(field, f"must be POSIX seconds (a number), got {value!r}")
    if not math.isfinite(value):
        raise InvalidFilter(field, f"must be a finite number of POSIX seconds, got {value!r}")
    return float(value)


def _count(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFilter(field, f"must be a whole number, got {value!r}")
    if value < 0:
        raise InvalidFilter(field, f"must be 0 or more, got {value}")
    if value > _MAX_COUNT:
        raise InvalidFilter(field, f"must be at most 2**62, got {value}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFilter:
    """Which flow or task runs a read selects, in which order, and which page of them.

    A run matches when it matches every field given: ``flow_name``,
    ``parent_flow_run_id`` (flow runs only) and ``flow_run_id`` (task runs only)
    exactly; its state type is one of ``state_types`` *or* its state name one of
    ``state_names`` (either list alone: that one); it has *all* of ``tags``;
    ``start_after``/``start_before`` bound (inclusively, POSIX seconds) its start
    time, or its creation time while it has not started, and
    ``created_after``/``created_before`` its creation time. ``sort`` is one of
    :data:`~headwater._store.records.RUN_SORTS` (default: newest first for flow
    runs, creation order for task runs; ties keep creation order). ``limit``
    (``None``: all) and ``offset`` choose the page; counts ignore them.

    Made with lists, it keeps tuples; a bad value raises :class:`InvalidFilter`.
    """

    flow_name: str | None = None
    flow_run_id: str | None = None
    parent_flow_run_id: str | None = None
    state_types: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    start_after: float | None = None
    start_before: float | None = None
    created_after: float | None = None
    created_before: float | None = None
    sort: RunSort | None = None
    limit: int | None = None
    offset: int = 0

    def __post_init__(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        for name in _TEXTS:
            value = getattr(self, name)
            if value is not None:
                _text(name, value)
        types = []
        for raw in _texts("state_types", self.state_types):
            upper = raw.upper()
            if upper not in STATE_TYPES:
                raise InvalidFilter(
                    "state_types",
                    f"{raw!r} is not a state type; use one of {', '.join(STATE_TYPES)}",
                )
            types.append(upper)
        put("state_types", tuple(types))
        put("state_names", _texts("state_names", self.state_names))
        put("tags", _texts("tags", self.tags))
        for name in _TIMES:
            value = getattr(self, name)
            if value is not None:
                put(name, _time(name, value))
        for low, high in _RANGES:
            after, before = getattr(self, low), getattr(self, high)
            if after is not None and before is not None and after > before:
                raise InvalidFilter(low, f"({after}) is later than `{high}` ({before})")
        if self.sort is not None and self.sort not in RUN_SORTS:
            raise InvalidFilter(
                "sort", f"{self.sort!r} is not a run order; use one of {', '.join(RUN_SORTS)}"
            )
        if self.limit is not None:
            _count("limit", self.limit)
        _count("offset", self.offset)

    @classmethod
    def of(cls, where: RunFilter | None = None, /, **fields: Unpack[RunFilterFields]) -> RunFilter:
        """``where`` (or an empty filter) with ``fields`` (:class:`RunFilterFields`) replaced;
        ``None`` for a list field means any, lists become tuples."""
        base = cls() if where is None else where
        if not fields:
            return base
        given: dict[str, Any] = dict(fields)
        unknown = sorted(set(given) - set(RunFilterFields.__annotations__))
        if unknown:
            raise InvalidFilter(unknown[0], "is not a run filter field")
        for name in _LISTS:
            if name in given:
                value = given[name]
                given[name] = () if value is None else _texts(name, value)
        return dataclasses.replace(base, **given)

    def for_kind(self, kind: RunKind) -> RunFilter:
        """This filter for a read of ``kind`` runs, with that kind's default ``sort``;
        :class:`InvalidFilter` when it has a field the other kind only has."""
        for name, only in _ONLY_FOR.items():
            if only != kind and getattr(self, name) is not None:
                raise InvalidFilter(name, f"selects {only} runs only, not {kind} runs")
        if self.sort is None:
            return dataclasses.replace(self, sort=_DEFAULT_SORT[kind])
        return self

    # -- query parameters ------------------------------------------------------------
    def to_query(self) -> list[tuple[str, str]]:
        """The filter as query parameters (``state_type``/``state_name``/``tag`` repeated,
        the other fields by name, defaults left out); :meth:`from_query` reads them back."""
        pairs: list[tuple[str, str]] = []
        for name in _TEXTS:
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, value))
        for name, param in _LISTS.items():
            pairs.extend((param, item) for item in getattr(self, name))
        for name in _TIMES:
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, repr(value)))
        if self.sort is not None:
            pairs.append(("sort", self.sort))
        if self.limit is not None:
            pairs.append(("limit", str(self.limit)))
        if self.offset:
            pairs.append(("offset", str(self.offset)))
        return pairs

    @staticmethod
    def query_parameters() -> list[tuple[str, bool]]:
        """Every parameter :meth:`to_query` may write, and whether it repeats."""
        return [
            *((name, False) for name in _TEXTS),
            *((param, True) for param in _LISTS.values()),
            *((name, False) for name in (*_TIMES, "sort", "limit", "offset")),
        ]

    @classmethod
    def from_query(cls, pairs: Iterable[tuple[str, str]]) -> RunFilter:
        """The filter :meth:`to_query` wrote; :class:`InvalidFilter` names an unknown
        parameter or a value that is not what its field needs."""
        lists: dict[str, list[str]] = {name: [] for name in _LISTS}
        by_param = {param: name for name, param in _LISTS.items()}
        fields: dict[str, Any] = {}
        for param, text in pairs:
            if param in by_param:
                lists[by_param[param]].append(text)
            elif param in _TEXTS or param == "sort":
                fields[param] = text
            elif param in _TIMES:
                fields[param] = _parse_number(param, text, float)
            elif param in ("limit", "offset"):
                fields[param] = _parse_number(param, text, int)
            else:
                raise InvalidFilter(param, "is not a run filter parameter")
        fields.update((name, tuple(values)) for name, values in lists.items())
        return cls(**fields)


def _parse_number(field: str, text: str, kind: type[float] | type[int]) -> float | int:
    try:
        return kind(text.strip())
    except ValueError:
        what = "POSIX seconds (a number)" if kind is float else "a whole number"
        raise InvalidFilter(field, f"must be {what}, got {text!r}") from None
