"""Crash detection: Running flow runs whose process is gone become Crashed.

A run is gone when it was claimed on this host by a pid that no longer
lives, or when it has not sent a heartbeat (or, lacking one, started) for
``crash_after_seconds``. Every update is conditional on the run still being
Running and still looking dead, so a finish or heartbeat that lands
concurrently wins.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from headwater._store.database import Database
from headwater._store.processes import HOSTNAME, pid_alive

__all__ = ["gone_reason", "mark_crashed"]

_CANDIDATES = (
    "SELECT id, pid, hostname, COALESCE(heartbeat, start_time, created) FROM flow_runs"
    " WHERE state_type = 'RUNNING'"
)
_INSERT_STATE = (
    "INSERT INTO states (id, run_id, run_kind, type, name, timestamp, message)"
    " VALUES (?, ?, ?, 'CRASHED', 'Crashed', ?, ?)"
)


def gone_reason(
    pid: int | None, host: str | None, last: float | None, *, crash_after: float, now: float
) -> str | None:
    """Why the process that claimed a run is gone, or ``None`` while it may still be there.

    Gone means: same host and the pid is dead, or no heartbeat (or, lacking one,
    start) for ``crash_after`` seconds. A run of this very process is never gone.
    """
    if host == HOSTNAME and pid == os.getpid():
        return None  # ours: the writer heartbeats it while it runs
    if host == HOSTNAME and pid is not None and not pid_alive(pid):
        return f"the process running this flow (pid {pid} on {host}) is gone"
    if last is not None and now - last > crash_after:
        return f"no heartbeat for {now - last:.0f} s"
    return None


def _verdicts(
    rows: list[Any], crash_after: float, now: float
) -> list[tuple[str, str, str, list[Any]]]:
    """``(run_id, message, extra_where, extra_params)`` for each run that looks dead."""
    out = []
    for run_id, pid, host, last in rows:
        message = gone_reason(pid, host, last, crash_after=crash_after, now=now)
        if message is None:
            continue
        if message.startswith("the process"):
            out.append((run_id, message, " AND pid = ? AND hostname = ?", [pid, host]))
        else:
            out.append(
                (
                    run_id,
                    message,
                    " AND COALESCE(heartbeat, start_time, created) < ?",
                    [now - crash_after],
                )
            )
    return out


def mark_crashed(db: Database, crash_after: float, *, run_id: str | None = None) -> list[str]:
    """Mark dead Running flow runs (all, or just ``run_id``) and their unfinished task runs."""
    query, params = _CANDIDATES, []
    if run_id is not None:
        query += " AND id = ?"
        params.append(run_id)
    now = time.time()
    verdicts = _verdicts(db.fetchall(query, params), crash_after, now)
    if not verdicts:
        return []

    def crash(tx: Database) -> list[str]:
        marked = []
        for rid, message, where, extra in verdicts:
            cur = tx.execute(
                "UPDATE flow_runs SET state_type = 'CRASHED', state_name = 'Crashed',"
                " state_message = ?, end_time = ? WHERE id = ? AND state_type = 'RUNNING'" + where,
                [message, now, rid, *extra],
            )
            if cur.rowcount != 1:
                continue  # finished or heartbeated meanwhile
            marked.append(rid)
            tx.execute(_INSERT_STATE, (uuid.uuid4().hex, rid, "flow", now, message))
            tasks = tx.execute(
                "SELECT id FROM task_runs WHERE flow_run_id = ? AND state_type IN ('RUNNING', 'PENDING')",
                (rid,),
            ).fetchall()
            task_message = f"its flow run crashed: {message}"
            tx.executemany(
                "UPDATE task_runs SET state_type = 'CRASHED', state_name = 'Crashed',"
                " state_message = ?, end_time = ? WHERE id = ? AND state_type IN ('RUNNING', 'PENDING')",
                [(task_message, now, t[0]) for t in tasks],
            )
            tx.executemany(
                _INSERT_STATE, [(uuid.uuid4().hex, t[0], "task", now, task_message) for t in tasks]
            )
        return marked

    return db.write(crash)
