"""The background writer: a daemon thread that drains the op queue into the
database in batches, one transaction per batch, in the order ops were made.

A batch closes when it holds ``batch_size`` ops, when ``batch_wait`` seconds
have passed since its first op, or at once when a flush is waiting. If a batch
fails for a reason that is not lock contention, it is replayed op by op (each
under a savepoint) so only the offending ops are lost; their errors are kept
and raised by the next :meth:`Writer.flush`. The writer also heartbeats every
flow run this process set Running until it reaches a final state.

The queue, batching, flush/stop and error keeping are :class:`QueueWriter`,
which the HTTP store's writer (:mod:`headwater._store.http.batcher`) shares;
:class:`Writer` adds only how a batch reaches the database.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from headwater._store.database import Database
from headwater._store.ops import (
    FINAL_STATE_TYPES,
    FLUSH,
    HEARTBEAT,
    STOP,
    Op,
    apply_op_escaping,
    apply_ops,
)
from headwater.errors import HeadwaterError, StoreError

__all__ = ["QueueWriter", "Writer"]


class QueueWriter:
    """A daemon thread that drains an op queue in batches, in the order ops were made.

    The part the embedded writer and the HTTP store's writer share: the queue,
    batching (``batch_size`` ops, ``batch_wait`` seconds, or at once when a
    flush waits), flush and stop requests, the heartbeat of this process's
    Running flow runs, and keeping write errors for :meth:`take_error`.
    Subclasses say how a batch is written (:meth:`_apply`), what their
    errors read like (:meth:`_error`), and may release a resource when the
    thread stops (:meth:`_on_stop`).
    """

    def __init__(
        self,
        *,
        name: str,
        flush_target: str,
        thread_name: str,
        heartbeat_seconds: float,
        batch_size: int,
        batch_wait: float,
    ) -> None:
        self.queue: queue.SimpleQueue[Op] = queue.SimpleQueue()
        self.put = self.queue.put
        self.heartbeat_seconds = heartbeat_seconds
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.running_flows: dict[str, None] = {}
        """Flow runs this process set Running and that are not final yet (insertion-ordered)."""
        self._name = name
        """What the writer is, for errors: ``the store writer for <url>``."""
        self._flush_target = flush_target
        """What a flush writes to, for errors: ``the store at <url>``."""
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)
        self._thread.start()

    # -- called from other threads ----------------------------------------------
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None, *, kind: int = FLUSH) -> None:
        """Block until every op enqueued before this call is written (or failed)."""
        if not self._thread.is_alive():
            raise StoreError(
                f"{self._name} is not running "
                "(the store was closed, or this is a forked child using its parent's store)"
            )
        done = threading.Event()
        self.put((kind, done))
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done.wait(0.25):
            if not self._thread.is_alive():
                raise StoreError(f"{self._name} stopped")
            if deadline is not None and time.monotonic() >= deadline:
                raise StoreError(f"flushing {self._flush_target} did not finish within {timeout} s")

    def take_error(self) -> HeadwaterError | None:
        """The first write error since the last call (with the others counted), or None."""
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if not errors:
            return None
        more = f" (and {len(errors) - 1} more failed writes)" if len(errors) > 1 else ""
        return self._error(errors[0], more)

    def stop(self, timeout: float | None = 30.0) -> None:
        if self._thread.is_alive():
            self.wait(timeout, kind=STOP)
            self._thread.join(timeout)

    # -- what subclasses give ----------------------------------------------------
    def _apply(self, batch: list[Op]) -> None:
        """Write one batch; keep what failed with :meth:`_record` (runs on the thread)."""
        raise NotImplementedError

    def _error(self, first: BaseException, more: str) -> HeadwaterError:
        """The error :meth:`take_error` returns for ``first`` (``more`` counts the rest)."""
        raise NotImplementedError

    def _on_stop(self) -> None:
        """Called on the thread when it stops, after the last batch."""

    # -- the thread --------------------------------------------------------------
    def _run(self) -> None:
        get = self.queue.get
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        while True:
            timeout = None
            if self.running_flows:
                timeout = max(0.0, next_heartbeat - time.monotonic())
            batch: list[Op] = []
            waiters: list[threading.Event] = []
            stopping = False
            try:
                item = get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is not None:
                if item[0] >= FLUSH:
                    waiters.append(item[1])
                    stopping = item[0] == STOP
                else:
                    batch.append(item)
                    stopping = self._fill(batch, waiters)
            if self.running_flows and time.monotonic() >= next_heartbeat:
                batch.append((HEARTBEAT, list(self.running_flows), time.time()))
                next_heartbeat = time.monotonic() + self.heartbeat_seconds
            if batch:
                self._apply(batch)
            for event in waiters:
                event.set()
            if stopping:
                self._on_stop()
                return

    def _fill(self, batch: list[Op], waiters: list[threading.Event]) -> bool:
        """Add ops to ``batch`` until it is full, its time is up or a flush waits.

        Returns True when a stop request was taken from the queue.
        """
        q = self.queue
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                item = q.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    item = q.get(timeout=remaining)
                except queue.Empty:
                    return False
            if item[0] >= FLUSH:
                waiters.append(item[1])
                return bool(item[0] == STOP)
            batch.append(item)
        return False

    def _record(self, errors: list[BaseException]) -> None:
        if errors:
            with self._errors_lock:
                self._errors.extend(errors)


class Writer(QueueWriter):
    """Owns one connection and the thread that writes through it."""

    def __init__(
        self,
        db: Database,
        *,
        heartbeat_seconds: float,
        batch_size: int = 5000,
        batch_wait: float = 0.05,
    ) -> None:
        self.db = db
        url = db.dialect.masked_url
        super().__init__(
            name=f"the store writer for {url}",
            flush_target=f"the store at {url}",
            thread_name="headwater-store-writer",
            heartbeat_seconds=heartbeat_seconds,
            batch_size=batch_size,
            batch_wait=batch_wait,
        )

    def _error(self, first: BaseException, more: str) -> StoreError:
        err = StoreError(
            f"a buffered write to {self.db.dialect.masked_url} failed: "
            f"{self.db.dialect.describe(first)}{more}"
        )
        err.__cause__ = first
        return err

    def _on_stop(self) -> None:
        self.db.close()

    def _apply(self, batch: list[Op]) -> None:
        try:
            changes = self.db.transaction(lambda db: apply_ops(db, batch))
        except Exception as exc:
            if isinstance(exc, StoreError):  # stayed locked past the deadline
                self._record([exc])
                return
            try:
                changes, errors = self.db.transaction(lambda db: _apply_one_by_one(db, batch))
            except Exception as exc2:
                self._record([exc2])
                return
            self._record(errors)
        self._track(changes)

    def _track(self, changes: list[tuple[str, str]]) -> None:
        for run_id, type_ in changes:
            if type_ == "RUNNING":
                self.running_flows[run_id] = None
            elif type_ in FINAL_STATE_TYPES:
                self.running_flows.pop(run_id, None)


def _apply_one_by_one(db: Database, batch: list[Op]) -> tuple[list[tuple[str, str]], list[Any]]:
    """Replay a failed batch with a savepoint per op; keep the good ones."""
    changes: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    for op in batch:
        db.execute("SAVEPOINT hw_op")
        try:
            changes.extend(apply_op_escaping(db, op))
        except Exception as exc:
            if db.dialect.is_transient(exc):
                raise
            db.execute("ROLLBACK TO SAVEPOINT hw_op")
            errors.append(exc)
        db.execute("RELEASE SAVEPOINT hw_op")
    return changes, errors
