"""Buffered writes and the lifecycle around them, shared by the SQL and HTTP stores.

Both stores queue the same op tuples (:mod:`headwater._store.ops`) on a
:class:`~headwater._store.writer.QueueWriter` and differ only in what the
writer does with a batch and what connection ``close`` releases. The hot path
stays a tuple built and handed to ``self._put`` (the queue's bound ``put``):
no hook is called per write, and the closed check is one attribute read.

A class using :class:`BufferedWrites` sets ``pid``, ``_writer``, ``_put`` and
``_closed`` in its ``__init__`` and gives :meth:`BufferedWrites._describe` and
:meth:`BufferedWrites._close_connection`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from headwater._store.ops import (
    FLOW_RUN,
    HEARTBEAT,
    LOGS,
    STATE,
    TASK_BEGIN,
    TASK_END,
    TASK_RUN,
    Op,
)
from headwater.errors import StoreError

if TYPE_CHECKING:
    from headwater._store.records import (
        FlowRunRecord,
        LogRecord,
        RunKind,
        StateRecord,
        TaskRunRecord,
    )
    from headwater._store.writer import QueueWriter

__all__ = ["BufferedWrites"]


class BufferedWrites:
    """``flush``/``close`` and the buffered writes of a store with a background writer."""

    pid: int
    """The process that opened the store; a forked child must open its own."""
    _writer: QueueWriter
    _put: Callable[[Op], None]
    _closed: bool

    # -- what the store gives ----------------------------------------------------
    def _describe(self) -> str:
        """The store for errors, e.g. ``the store at sqlite:///…`` (no secrets)."""
        raise NotImplementedError

    def _close_connection(self) -> None:
        """Release the store's own connection (the writer has stopped)."""
        raise NotImplementedError

    # -- lifecycle -------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> None:
        self._check_open()
        self._writer.wait(timeout)
        error = self._writer.take_error()
        if error is not None:
            raise error

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self.pid == os.getpid():
                self._writer.stop()
        finally:
            if self.pid == os.getpid():
                self._close_connection()
        error = self._writer.take_error()
        if error is not None:
            raise error

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"{self._describe()} is closed")
        if self.pid != os.getpid():
            raise StoreError(
                "this store was opened by the parent process; after fork, use get_store() "
                "for a store of this process"
            )

    def _sync(self) -> None:
        """Wait for this process's buffered writes, keeping any error for flush()."""
        self._check_open()
        self._writer.wait()

    # -- buffered writes (hot path: build a tuple, put it on the queue) ----------
    def create_flow_run(self, run: FlowRunRecord) -> None:
        if self._closed:
            self._check_open()
        self._put((FLOW_RUN, run))

    def create_task_run(self, run: TaskRunRecord) -> None:
        if self._closed:
            self._check_open()
        self._put((TASK_RUN, run))

    def set_state(
        self,
        run_kind: RunKind,
        run_id: str,
        state: StateRecord,
        *,
        start_time: float | None = None,
        end_time: float | None = None,
        run_count: int | None = None,
    ) -> None:
        if self._closed:
            self._check_open()
        self._put((STATE, run_kind, run_id, state, start_time, end_time, run_count))

    def write_logs(self, logs: Sequence[LogRecord]) -> None:
        if self._closed:
            self._check_open()
        if logs:
            self._put((LOGS, list(logs)))

    def heartbeat(self, flow_run_ids: Sequence[str]) -> None:
        if self._closed:
            self._check_open()
        if flow_run_ids:
            self._put((HEARTBEAT, list(flow_run_ids), time.time()))

    # -- the engine's fast path for task runs (found by capability check) ------
    def begin_task_run(
        self,
        run_id: str,
        flow_run_id: str | None,
        task_key: str,
        dynamic_key: str,
        name: str,
        created: float,
        tags_json: str,
        task_inputs: dict[str, list[str]] | None,
        wait_for: list[str] | None,
        pending_id: str,
        running_id: str | None,
        start_time: float | None,
    ) -> None:
        """Create a task run with its Pending state, and its Running state when ``running_id`` is given.

        The same records as :meth:`create_task_run` followed by :meth:`set_state`
        for Pending (at ``created``) and Running (at ``start_time``, run count 1),
        as one queued op, so the engine and the writer do less per task run.
        ``tags_json`` is the run's tags already encoded as a JSON list.
        """
        if self._closed:
            self._check_open()
        self._put(
            (
                TASK_BEGIN,
                run_id,
                flow_run_id,
                task_key,
                dynamic_key,
                name,
                created,
                tags_json,
                task_inputs,
                wait_for,
                pending_id,
                running_id,
                start_time,
            )
        )

    def end_task_run(
        self,
        run_id: str,
        state_id: str,
        state_type: str,
        state_name: str,
        timestamp: float,
        message: str | None,
        result_key: str | None,
        cache_key: str | None,
        run_count: int,
    ) -> None:
        """Set a task run's final state: :meth:`set_state` with ``end_time=timestamp``, as one flat op."""
        if self._closed:
            self._check_open()
        self._put(
            (
                TASK_END,
                run_id,
                state_id,
                state_type,
                state_name,
                timestamp,
                message,
                result_key,
                cache_key,
                run_count,
            )
        )
