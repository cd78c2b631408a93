"""Finding and resolving futures among a task's arguments.

Futures (and States) may be passed to a task directly or inside lists,
tuples, sets and dicts. Before the task runs each one is waited for and
replaced by its result; the upstream task run ids become the run's
``task_inputs``. Plain scalar arguments are skipped with one type check, since
this runs for every task call.
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


def _walk_ids(value: Any, out: list[str]) -> None:
    t = type(value)
    if t in _SCALARS:
        return
    if isinstance(value, HeadwaterFuture):
        out.append(value.task_run_id)
    elif isinstance(value, State):
        if value.task_run_id:
            out.append(value.task_run_id)
    elif isinstance(value, (allow_failure, unmapped)):
        _walk_ids(value.value, out)
    elif t is dict:
        for v in value.values():
            _walk_ids(v, out)
    elif t in (list, tuple, set, frozenset):
        for v in value:
            _walk_ids(v, out)


def collect_dependencies(parameters: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{parameter: [upstream task run ids]}`` for every parameter holding a future."""
    deps: dict[str, list[str]] = {}
    for name, value in parameters.items():
        if type(value) in _SCALARS:
            continue
        ids: list[str] = []
        _walk_ids(value, ids)
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
    if t in (list, tuple, set, frozenset):
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
        if isinstance(fut, HeadwaterFuture):
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
