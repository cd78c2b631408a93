"""Finding and resolving futures among a task's arguments.

Futures (and States) may be passed to a task directly or inside lists,
tuples, sets and dicts. Before the task runs each one is waited for and
replaced by its result; the upstream task run ids become the run's
``task_inputs``. A task's return value passed on directly (``b(a(x))``) is an
upstream too: each flow run remembers the results of its completed task runs
by object identity (:func:`track_result`) and argument values are looked up
there. Plain scalar arguments are skipped with one type check, since this
runs for every task call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from headwater._engine.annotations import allow_failure, unmapped
from headwater.errors import HeadwaterError
from headwater.futures import HeadwaterFuture
from headwater.states import State

__all__ = [
    "UpstreamFailure",
    "collect_dependencies",
    "resolve_parameters",
    "resolve_wait_for",
    "track_result",
    "wait_for_ids",
]

_SCALARS = frozenset({int, float, str, bool, type(None), bytes, complex})
_CONTAINERS = (list, tuple, set, frozenset, dict)


class UpstreamFailure(HeadwaterError):
    """An upstream run this task depends on did not complete (the downstream run fails with it)."""

    def __init__(self, parameter: str | None, task_run_id: str | None, state: State) -> None:
        self.parameter = parameter
        self.task_run_id = task_run_id
        self.state = state
        where = f" (parameter {parameter!r})" if parameter else " (wait_for)"
        super().__init__(
            f"upstream task run {task_run_id} {state.name.lower()}{where}: {state.message or state.name}"
        )


ResultIds = dict[int, tuple[Any, str]]
"""``id(result) -> (result, task_run_id)``; holding the result keeps its id from being reused."""


def _is_shared(value: Any) -> bool:
    """Whether ``value``'s identity says nothing about where it came from.

    Scalars (``None``, booleans, numbers, strings, bytes: small ones are cached
    or interned, so unrelated code shares them; argument scalars are never
    looked up either) and empty tuples and frozensets (singletons).
    """
    t = type(value)
    if t in _SCALARS:
        return True
    return (t is tuple or t is frozenset) and not value


def track_result(results: ResultIds, value: Any, task_run_id: str) -> None:
    """Remember that ``value`` is the result of ``task_run_id`` (unless it is a shared object)."""
    if not _is_shared(value):
        results[id(value)] = (value, task_run_id)


def _walk_ids(value: Any, out: list[str], results: ResultIds | None = None) -> None:
    t = type(value)
    if t in _SCALARS:
        return
    if results:
        found = results.get(id(value))
        if found is not None and found[0] is value:
            out.append(found[1])
            return
    if isinstance(value, HeadwaterFuture):
        out.append(value.task_run_id)
    elif isinstance(value, State):
        if value.task_run_id:
            out.append(value.task_run_id)
    elif isinstance(value, (allow_failure, unmapped)):
        _walk_ids(value.value, out, results)
    elif t is dict:
        for v in value.values():
            _walk_ids(v, out, results)
    elif t in (list, tuple, set, frozenset) or isinstance(value, list):
        # isinstance: list subclasses such as the HeadwaterFutureList that .map returns
        for v in value:
            _walk_ids(v, out, results)


def collect_dependencies(
    parameters: Mapping[str, Any], results: ResultIds | None = None
) -> dict[str, list[str]]:
    """``{parameter: [upstream task run ids]}`` for every parameter holding a future.

    With ``results`` (the flow run's :func:`track_result` map), argument values
    that are task results count as upstreams too.
    """
    deps: dict[str, list[str]] = {}
    for name, value in parameters.items():
        if type(value) in _SCALARS:
            continue
        ids: list[str] = []
        _walk_ids(value, ids, results)
        if ids:
            deps[name] = list(dict.fromkeys(ids))
    return deps


def _needs_resolving(value: Any) -> bool:
    t = type(value)
    if t in _SCALARS:
        return False
    if isinstance(value, (HeadwaterFuture, State, allow_failure, unmapped)):
        return True
    if t is dict:
        return any(_needs_resolving(v) for v in value.values())
    if t in (list, tuple, set, frozenset) or isinstance(value, list):
        return any(_needs_resolving(v) for v in value)
    return False


def _resolve(value: Any, parameter: str, allowed: bool) -> Any:
    if isinstance(value, HeadwaterFuture):
        value.wait()
        state = value.state
        return _state_value(state, parameter, value.task_run_id, allowed)
    if isinstance(value, State):
        return _state_value(value, parameter, value.task_run_id, allowed)
    if isinstance(value, allow_failure):
        return _resolve(value.value, parameter, True)
    if isinstance(value, unmapped):
        return _resolve(value.value, parameter, allowed)
    t = type(value)
    if t is dict:
        return {k: _resolve(v, parameter, allowed) for k, v in value.items()}
    if t in (list, tuple, set, frozenset):
        return t(_resolve(v, parameter, allowed) for v in value)
    if isinstance(value, list):  # e.g. the HeadwaterFutureList from .map: a plain list of results
        return [_resolve(v, parameter, allowed) for v in value]
    return value


def _state_value(state: State, parameter: str | None, run_id: str | None, allowed: bool) -> Any:
    if state.is_completed():
        return state.result()
    if allowed:
        return state.result(raise_on_failure=False)
    raise UpstreamFailure(parameter, run_id, state)


def resolve_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters with every future waited for and replaced by its result.

    Raises :class:`UpstreamFailure` for the first upstream run that did not
    complete, unless it was wrapped in :class:`allow_failure`.
    """
    out = None
    for name, value in parameters.items():
        if type(value) in _SCALARS or not _needs_resolving(value):
            continue
        if out is None:
            out = dict(parameters)
        out[name] = _resolve(value, name, False)
    return parameters if out is None else out


def resolve_wait_for(wait_for: Iterable[Any]) -> None:
    """Wait for every future in ``wait_for``; :class:`UpstreamFailure` if one did not complete."""
    for item in wait_for:
        allowed = isinstance(item, allow_failure)
        fut = item.value if allowed else item
        if isinstance(fut, (list, tuple, set, frozenset)):  # e.g. wait_for=[task.map(...)]
            resolve_wait_for(allow_failure(f) if allowed else f for f in fut)
        elif isinstance(fut, HeadwaterFuture):
            fut.wait()
            state = fut.state
            if not state.is_completed() and not allowed:
                raise UpstreamFailure(None, fut.task_run_id, state)
        elif isinstance(fut, State) and not fut.is_completed() and not allowed:
            raise UpstreamFailure(None, fut.task_run_id, fut)


def wait_for_ids(wait_for: Iterable[Any]) -> list[str]:
    """The task run ids named by ``wait_for``."""
    ids: list[str] = []
    for item in wait_for:
        _walk_ids(item, ids)
    return ids
