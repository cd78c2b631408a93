"""Cancelling a flow run: one conditional transaction that decides what cancel means now.

A run that has not started (Scheduled, Pending, Paused) is Cancelled at once.
A Running run becomes Cancelling: the process running it sees that on its next
poll, interrupts the flow and records Cancelled itself. When that process is
gone (the rules of :mod:`headwater._store.crashes`: a dead pid on this host or
a stale heartbeat) nobody would finish the job, so the run, and its unfinished
task runs, are Cancelled directly. A final run is refused.
"""

from __future__ import annotations

import time
import uuid

from headwater._store.crashes import gone_reason
from headwater._store.database import Database
from headwater._store.ops import FINAL_STATE_TYPES
from headwater.errors import InvalidStateTransition, ObjectNotFound

__all__ = ["CANCELLED_MESSAGE", "cancel_flow_run"]

CANCELLED_MESSAGE = "Flow run was cancelled"

_NOT_STARTED = frozenset({"SCHEDULED", "PENDING", "PAUSED"})
_INSERT_STATE = (
    "INSERT INTO states (id, run_id, run_kind, type, name, timestamp, message)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_UNFINISHED_TASKS = "('SCHEDULED', 'PENDING', 'RUNNING', 'PAUSED', 'CANCELLING')"


def _cancel_now(tx: Database, run_id: str, message: str, now: float) -> None:
    """Make the run and its unfinished task runs Cancelled (inside ``tx``)."""
    tx.execute(
        "UPDATE flow_runs SET state_type = 'CANCELLED', state_name = 'Cancelled',"
        " state_message = ?, end_time = ? WHERE id = ?",
        (message, now, run_id),
    )
    tx.execute(
        _INSERT_STATE, (uuid.uuid4().hex, run_id, "flow", "CANCELLED", "Cancelled", now, message)
    )
    tasks = tx.execute(
        f"SELECT id FROM task_runs WHERE flow_run_id = ? AND state_type IN {_UNFINISHED_TASKS}",
        (run_id,),
    ).fetchall()
    task_message = "its flow run was cancelled"
    tx.executemany(
        "UPDATE task_runs SET state_type = 'CANCELLED', state_name = 'Cancelled',"
        f" state_message = ?, end_time = ? WHERE id = ? AND state_type IN {_UNFINISHED_TASKS}",
        [(task_message, now, t[0]) for t in tasks],
    )
    tx.executemany(
        _INSERT_STATE,
        [
            (uuid.uuid4().hex, t[0], "task", "CANCELLED", "Cancelled", now, task_message)
            for t in tasks
        ],
    )


def cancel_flow_run(db: Database, run_id: str, *, crash_after: float) -> str:
    """Cancel the flow run ``run_id`` (a full id); the state type it is in afterwards.

    ``CANCELLED`` when it had not started or its process is gone, ``CANCELLING``
    when a live process runs it (asking again changes nothing). Raises
    :class:`InvalidStateTransition` for a final run, :class:`ObjectNotFound`
    when there is no such run.
    """

    def cancel(tx: Database) -> str:
        row = tx.execute(
            "SELECT name, state_type, state_name, pid, hostname,"
            " COALESCE(heartbeat, start_time, created) FROM flow_runs WHERE id = ?"
            f"{tx.dialect.for_update}",
            (run_id,),
        ).fetchone()
        if row is None:
            raise ObjectNotFound(f"no flow run with id {run_id!r}")
        name, state_type, state_name, pid, host, last = row
        now = time.time()
        if state_type in FINAL_STATE_TYPES:
            raise InvalidStateTransition(
                f"flow run {name!r} ({run_id}) cannot be cancelled: it already finished "
                f"in state {state_name} ({state_type})"
            )
        if state_type in _NOT_STARTED:
            _cancel_now(tx, run_id, CANCELLED_MESSAGE, now)
            return "CANCELLED"
        # RUNNING or CANCELLING: the process running it finishes the job, if it is there.
        reason = gone_reason(pid, host, last, crash_after=crash_after, now=now)
        if reason is not None:
            _cancel_now(tx, run_id, f"{CANCELLED_MESSAGE}; {reason}", now)
            return "CANCELLED"
        if state_type == "CANCELLING":
            return "CANCELLING"
        message = "Cancellation requested; waiting for the process running the flow"
        tx.execute(
            "UPDATE flow_runs SET state_type = 'CANCELLING', state_name = 'Cancelling',"
            " state_message = ? WHERE id = ?",
            (message, run_id),
        )
        tx.execute(
            _INSERT_STATE,
            (uuid.uuid4().hex, run_id, "flow", "CANCELLING", "Cancelling", now, message),
        )
        return "CANCELLING"

    return db.write(cancel)
