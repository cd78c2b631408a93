"""What the embedded store does for remote clients (the server's side of the HTTP store).

A client's buffered writes arrive as batches (``POST /api/ingest``). A batch is
applied in one transaction with the same :func:`~headwater._store.ops.apply_ops`
the local writer uses, so a 200 means durable. If the batch fails for a reason
that is not lock contention it is replayed op by op under savepoints, exactly
as the local writer does, so only the offending ops are lost and each is
reported back by name.

Retries must not apply a batch twice. The client sends the same batch id (and
the attempt number) when it retries after a lost answer; the server remembers
the outcome of recent batch ids, waits for an attempt still in progress, and,
for a retry it does not remember (another replica, a restart), treats the
batch as applied when every run and state it creates is already stored.

Two things the local writer takes from its own process are the client's here:
a flow run set Running is claimed for the client's pid and host (crash
detection must watch the client, not the server), and concurrency slots are
recorded for the client's pid and host (so slots of a client that died are
reclaimed). Heartbeats are stamped with the server's clock, which crash
detection compares them with.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headwater._store.ops import (
    FLOW_RUN,
    HEARTBEAT,
    LOGS,
    STATE,
    TASK_BEGIN,
    TASK_END,
    TASK_RUN,
    Op,
    apply_op_escaping,
    apply_ops,
)
from headwater.errors import StoreError

if TYPE_CHECKING:
    from headwater._store.database import Database
    from headwater._store.sql import SqlStore

__all__ = ["BatchOutcome", "apply_batch", "describe_op", "try_acquire_slots_for"]

REMEMBERED_BATCHES = 4096
"""How many recent batch outcomes the server keeps per store to answer retries."""


@dataclass(slots=True)
class BatchOutcome:
    """What applying one batch did."""

    applied: int
    """Ops applied (all of them unless some failed)."""
    duplicate: bool = False
    """True when this batch id was applied before; nothing was written this time."""
    errors: list[str] = field(default_factory=list)
    """One line per op that failed, naming the op's object and the database's reason."""


class _Ledger:
    """Recent batch ids of one store: their outcomes, and attempts still in progress."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: OrderedDict[str, BatchOutcome] = OrderedDict()
        self.running: dict[str, threading.Event] = {}


_ledgers: weakref.WeakKeyDictionary[SqlStore, _Ledger] = weakref.WeakKeyDictionary()
_ledgers_lock = threading.Lock()


def _ledger(store: SqlStore) -> _Ledger:
    with _ledgers_lock:
        ledger = _ledgers.get(store)
        if ledger is None:
            ledger = _ledgers[store] = _Ledger()
        return ledger


def describe_op(op: Op) -> str:
    """The object an op writes, for error messages (ids only, never data)."""
    kind = op[0]
    if kind == FLOW_RUN:
        return f"flow run {op[1].id}"
    if kind == TASK_RUN:
        return f"task run {op[1].id}"
    if kind == TASK_BEGIN:
        return f"task run {op[1]}"
    if kind == TASK_END:
        return f"final state {op[3]} of task run {op[1]}"
    if kind == STATE:
        return f"state {op[3].type} of {op[1]} run {op[2]}"
    if kind == LOGS:
        return f"{len(op[1])} log lines"
    if kind == HEARTBEAT:
        return f"heartbeat of {len(op[1])} flow runs"
    return f"op of kind {kind}"


def _identity_queries(op: Op) -> list[tuple[str, tuple[Any, ...]]]:
    """Queries that find the rows an op creates (none for logs and heartbeats)."""
    kind = op[0]
    if kind == FLOW_RUN:
        return [("SELECT 1 FROM flow_runs WHERE id = ?", (op[1].id,))]
    if kind == TASK_RUN:
        return [("SELECT 1 FROM task_runs WHERE id = ?", (op[1].id,))]
    if kind == TASK_BEGIN:
        return [("SELECT 1 FROM states WHERE run_id = ? AND id = ?", (op[1], op[10]))]
    if kind == TASK_END:
        return [("SELECT 1 FROM states WHERE run_id = ? AND id = ?", (op[1], op[2]))]
    if kind == STATE:
        return [("SELECT 1 FROM states WHERE run_id = ? AND id = ?", (op[2], op[3].id))]
    return []


def _already_stored(db: Database, ops: Sequence[Op]) -> bool:
    """True when the batch creates something and every run and state it creates exists."""
    checked = 0
    for op in ops:
        for query, params in _identity_queries(op):
            if db.execute(query, params).fetchone() is None:
                return False
            checked += 1
    return checked > 0


def _claim(db: Database, changes: list[tuple[str, str]], pid: int | None, host: str | None) -> None:
    running = [run_id for run_id, type_ in changes if type_ == "RUNNING"]
    db.executemany(
        "UPDATE flow_runs SET pid = ?, hostname = ? WHERE id = ?",
        [(pid, host, run_id) for run_id in running],
    )


def _apply(
    store: SqlStore, ops: list[Op], *, pid: int | None, hostname: str | None, retried: bool
) -> BatchOutcome:
    db: Database = store._db

    def whole(tx: Database) -> BatchOutcome:
        if retried and _already_stored(tx, ops):
            return BatchOutcome(applied=0, duplicate=True)
        _claim(tx, apply_ops(tx, ops), pid, hostname)
        return BatchOutcome(applied=len(ops))

    try:
        return db.transaction(whole)
    except StoreError:  # locked past the deadline: nothing was written
        raise
    except Exception:  # some op was refused: replay the batch op by op, keep the good ones
        pass

    def one_by_one(tx: Database) -> BatchOutcome:
        changes: list[tuple[str, str]] = []
        errors: list[str] = []
        for op in ops:
            tx.execute("SAVEPOINT hw_op")
            try:
                changes.extend(apply_op_escaping(tx, op))
            except Exception as exc:
                if tx.dialect.is_transient(exc):
                    raise
                tx.execute("ROLLBACK TO SAVEPOINT hw_op")
                errors.append(f"{describe_op(op)}: {tx.dialect.describe(exc)}")
            tx.execute("RELEASE SAVEPOINT hw_op")
        _claim(tx, changes, pid, hostname)
        return BatchOutcome(applied=len(ops) - len(errors), errors=errors)

    return db.write(one_by_one)


def apply_batch(
    store: SqlStore,
    batch_id: str,
    ops: list[Op],
    *,
    pid: int | None,
    hostname: str | None,
    attempt: int = 1,
) -> BatchOutcome:
    """Apply a client's batch once: a repeated ``batch_id`` returns the first outcome.

    Raises :class:`headwater.errors.StoreError` when the database could not take
    the batch at all (nothing was written; the client retries).
    """
    ledger = _ledger(store)
    while True:
        with ledger.lock:
            known = ledger.done.get(batch_id)
            if known is not None:
                return BatchOutcome(applied=0, duplicate=True, errors=list(known.errors))
            waiting = ledger.running.get(batch_id)
            if waiting is None:
                mine = ledger.running[batch_id] = threading.Event()
                break
        waiting.wait(60.0)
    try:
        outcome = _apply(store, ops, pid=pid, hostname=hostname, retried=attempt > 1)
        with ledger.lock:
            ledger.done[batch_id] = outcome
            while len(ledger.done) > REMEMBERED_BATCHES:
                ledger.done.popitem(last=False)
        return outcome
    finally:
        with ledger.lock:
            ledger.running.pop(batch_id, None)
        mine.set()


def try_acquire_slots_for(
    store: SqlStore, tags: Sequence[str], holder_id: str, *, pid: int | None, hostname: str | None
) -> bool:
    """:meth:`SqlStore.try_acquire_concurrency_slots` for a remote client: the slots
    taken are recorded for the client's ``pid`` and ``hostname``."""
    if not store.try_acquire_concurrency_slots(tags, holder_id):
        return False
    db: Database = store._db
    db.write(
        lambda tx: tx.execute(
            "UPDATE concurrency_slots SET pid = ?, hostname = ?, acquired = ? WHERE holder_id = ?",
            (pid, hostname, time.time(), holder_id),
        )
    )
    return True
