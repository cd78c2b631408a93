"""Retrying a finished flow run under the same id (what ``headwater flow-run retry`` calls).

The flow is imported again from the run's entrypoint and run with the stored
parameters, but only when this machine recorded that entrypoint itself when it
started the run (:mod:`headwater._engine.run_ledger`): a run planted in the store
(``POST /api/ingest``) names any file, and importing it would run it. Nothing is
imported before that check; the run keeps its id and its ``run_count`` goes up by one.

The retry goes through the store's orchestration rules like any other client
(:mod:`headwater._store.orchestration`): it proposes a SCHEDULED
``AwaitingRetry`` state (a final run accepts only that) and then claims the run
by proposing RUNNING. When the claim is rejected, because another retry or a
worker started the run first, nothing runs and :class:`RetryRefused` gives the
store's reason. Its
task runs get the same ``task_key``/``dynamic_key`` as before, and the
default cache policy includes the flow run id, so tasks whose results were
persisted are read back instead of run again.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from headwater._engine.asyncutils import run_coro_sync
from headwater._engine.entrypoint import load_entrypoint
from headwater._engine.flow_engine import RetryOf, run_flow_async, run_flow_sync
from headwater._engine.recording import has_masked, has_non_json
from headwater._engine.run_ledger import recorded_entrypoint
from headwater._store import get_store
from headwater._store.records import StateRecord
from headwater.errors import ConfigurationError, HeadwaterError
from headwater.flows import Flow
from headwater.states import State

if TYPE_CHECKING:
    from headwater._store import FlowRunRecord, Store

__all__ = ["RetryRefused", "retry_flow_run"]

_RETRYABLE = frozenset({"FAILED", "CRASHED", "CANCELLED"})


class RetryRefused(HeadwaterError, ValueError):
    """The flow run cannot be retried (its state, parameters or entrypoint do not allow it)."""


def retry_flow_run(flow_run_id: str) -> State:
    """Re-run the flow run ``flow_run_id`` in this process; its new final state.

    Raises :class:`~headwater.errors.ObjectNotFound` for an unknown id and
    :class:`RetryRefused` when the run is not Failed/Crashed/Cancelled, its
    parameters were not JSON-storable or held a secret (stored masked), its entrypoint
    was not recorded by this machine (HEADWATER_HOME) when it started the run, its flow
    cannot be imported, or the
    store's rules refuse to let this process claim it (another process claimed
    it first).
    """
    store = get_store()
    record = store.read_flow_run(flow_run_id)
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
    masked = [name for name, value in record.parameters.items() if has_masked(value)]
    if masked:
        raise RetryRefused(
            f"flow run {record.id} cannot be retried: its parameter(s) "
            f"{', '.join(map(repr, masked))} held a secret, which was stored masked; "
            "run the flow again with the secret instead"
        )
    if not record.entrypoint:
        raise RetryRefused(
            f"flow run {record.id} has no entrypoint recorded; its flow cannot be found"
        )
    if recorded_entrypoint(record.id) != record.entrypoint:
        # Checked before anything is imported: the stored entrypoint may have been planted.
        raise RetryRefused(
            f"flow run {record.id} cannot be retried here: this machine did not start it "
            "(HEADWATER_HOME has no record of its entrypoint), so its entrypoint is not "
            "imported; retry it on the machine and HEADWATER_HOME where it ran"
        )
    try:
        target: Any = load_entrypoint(record.entrypoint)
    except ConfigurationError as exc:
        raise RetryRefused(f"flow run {record.id} cannot be retried: {exc}") from exc
    if not isinstance(target, Flow):
        raise RetryRefused(
            f"entrypoint {record.entrypoint!r} of flow run {record.id} is not a @flow"
        )
    claimed_start = _claim(store, record)
    retry_of = RetryOf(
        record.id,
        record.name,
        dict(record.parameters),
        record.run_count,
        claimed_start=claimed_start,
    )
    if target.isasync:
        return run_coro_sync(run_flow_async(target, (), {}, retry_of=retry_of))
    return run_flow_sync(target, (), {}, retry_of=retry_of)


def _claim(store: Store, record: FlowRunRecord) -> float:
    """Move the run to AwaitingRetry and claim it Running through the store's rules;
    the time of the accepted Running state. RetryRefused with the store's reason if
    either proposal is rejected."""
    label = f"flow run {record.id} ({record.name!r})"
    for type_, name, message in (
        ("SCHEDULED", "AwaitingRetry", "Retry requested with `headwater flow-run retry`"),
        ("RUNNING", "Running", None),
    ):
        state = StateRecord(
            id=uuid.uuid4().hex,
            run_id=record.id,
            run_kind="flow",
            type=type_,
            name=name,
            timestamp=time.time(),
            message=message,
        )
        result = store.propose_flow_run_state(
            record.id, state, transition_id=f"retry-{uuid.uuid4().hex}"
        )
        if result.status != "ACCEPT":
            raise RetryRefused(f"{label} cannot be retried: {result.reason}")
    # The claim left the run without a process; say it is this one (the embedded
    # store can; over HTTP the run's heartbeats tell the server it is alive).
    claim_process = getattr(store, "claim_flow_run_process", None)
    if callable(claim_process):
        claim_process(record.id)
    return state.timestamp
