"""Retrying a finished flow run under the same id (what ``headwater flow-run retry`` calls).

The flow is imported again from the run's entrypoint and run with the stored
parameters; the run keeps its id and its ``run_count`` goes up by one. Its
task runs get the same ``task_key``/``dynamic_key`` as before, and the
default cache policy includes the flow run id, so tasks whose results were
persisted are read back instead of run again.
"""

from __future__ import annotations

from typing import Any

from headwater.errors import HeadwaterError
from headwater.states import State

__all__ = ["RetryRefused", "retry_flow_run"]

_RETRYABLE = frozenset({"FAILED", "CRASHED", "CANCELLED"})


class RetryRefused(HeadwaterError, ValueError):
    """The flow run cannot be retried (its state, parameters or entrypoint do not allow it)."""


def retry_flow_run(flow_run_id: str) -> State:
    """Re-run the flow run ``flow_run_id`` in this process; its new final state.

    Raises :class:`~headwater.errors.ObjectNotFound` for an unknown id and
    :class:`RetryRefused` when the run is not Failed/Crashed/Cancelled, its
    parameters were not JSON-storable, or its flow cannot be imported.
    """
    from headwater._engine.asyncutils import run_coro_sync
    from headwater._engine.entrypoint import load_entrypoint
    from headwater._engine.flow_engine import RetryOf, run_flow_async, run_flow_sync
    from headwater._engine.recording import has_non_json
    from headwater._store import get_store
    from headwater.errors import ConfigurationError
    from headwater.flows import Flow

    record = get_store().read_flow_run(flow_run_id)
    if record.state_type not in _RETRYABLE:
        raise RetryRefused(
            f"flow run {record.id} ({record.name!r}) is {record.state_name}; "
            "only Failed, Crashed or Cancelled runs can be retried"
        )
    bad = [name for name, value in record.parameters.items() if has_non_json(value)]
    if bad:
        raise RetryRefused(
            f"flow run {record.id} cannot be retried: its parameter(s) {', '.join(map(repr, bad))} "
            "were not JSON values, so they were not stored"
        )
    if not record.entrypoint:
        raise RetryRefused(
            f"flow run {record.id} has no entrypoint recorded; its flow cannot be found"
        )
    try:
        target: Any = load_entrypoint(record.entrypoint)
    except ConfigurationError as exc:
        raise RetryRefused(f"flow run {record.id} cannot be retried: {exc}") from exc
    if not isinstance(target, Flow):
        raise RetryRefused(
            f"entrypoint {record.entrypoint!r} of flow run {record.id} is not a @flow"
        )
    retry_of = RetryOf(record.id, record.name, dict(record.parameters), record.run_count)
    if target.isasync:
        return run_coro_sync(run_flow_async(target, (), {}, retry_of=retry_of))
    return run_flow_sync(target, (), {}, retry_of=retry_of)
