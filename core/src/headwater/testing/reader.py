"""Reading what runs recorded, for tests of packages built on Headwater.

Package tests check what their flows left in the store (logs, task runs,
states, saved block documents) through these functions instead of importing
the private store (the record types are re-exported here for annotations).
Every function first flushes buffered writes, so what a
flow just did is visible. ``flow_run_id=None`` means the latest flow run.

    from headwater.testing.reader import flow_run_logs, task_runs

    my_flow()
    assert "uploaded 3 files" in flow_run_logs()
    (run,) = task_runs()
    assert run.state_type == "COMPLETED"
"""

from __future__ import annotations

from headwater._store import get_store
from headwater._store.base import Store
from headwater._store.records import FlowRunRecord, StateRecord, TaskRunRecord

__all__ = [
    "FlowRunRecord",
    "StateRecord",
    "TaskRunRecord",
    "flow_run_logs",
    "flow_run_states",
    "latest_flow_run",
    "stored_block_document",
    "task_runs",
]

_FLUSH_SECONDS = 30.0


def _store() -> Store:
    store = get_store()
    store.flush(timeout=_FLUSH_SECONDS)
    return store


def latest_flow_run() -> FlowRunRecord:
    """The most recently created flow run; LookupError when there is none."""
    runs = _store().read_flow_runs(limit=1)
    if not runs:
        raise LookupError("no flow run was recorded")
    return runs[0]


def _run_id(flow_run_id: str | None) -> str:
    return flow_run_id if flow_run_id is not None else latest_flow_run().id


def flow_run_logs(flow_run_id: str | None = None) -> list[str]:
    """The messages logged by a flow run and its task runs, oldest first."""
    run_id = _run_id(flow_run_id)
    return [record.message for record in _store().read_logs(flow_run_id=run_id)]


def task_runs(flow_run_id: str | None = None) -> list[TaskRunRecord]:
    """The task runs of a flow run (``state_type``, ``result_key``...), in creation order."""
    run_id = _run_id(flow_run_id)
    return _store().read_task_runs(flow_run_id=run_id)


def flow_run_states(flow_run_id: str | None = None) -> list[StateRecord]:
    """The state history of a flow run (``type``, ``name``, ``message``), oldest first."""
    run_id = _run_id(flow_run_id)
    return _store().read_states(run_id)


def stored_block_document(block_type_slug: str, name: str) -> str:
    """The data of a saved block document exactly as stored (secret fields encrypted
    or kept as references): what a test checks to prove no secret is stored in clear."""
    return _store().read_block_document(block_type_slug, name).data
