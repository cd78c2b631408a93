"""The HTTP store: the :class:`~headwater._store.base.Store` as a client of ``headwater server``.

``get_store()`` returns one when ``HEADWATER_API_URL`` is set; flows, the CLI and
blocks then read and write through the server (which works on its embedded
store). The semantics are the embedded store's:

- *buffered* writes (flow and task runs, states, logs, heartbeats) return at
  once; a background thread posts them in order, in batches, to
  ``POST /api/ingest`` (:mod:`headwater._store.http.batcher`), and a batch is
  durable when the server answers;
- reads and direct writes first wait for this process's buffered writes, so a
  process always reads what it wrote; ``flush``/``close`` raise what failed;
- the engine's fast path (``begin_task_run``/``end_task_run``) is kept, so a
  task run costs two small ops on the wire as it does in the database.

The transport is ``self._http`` (:class:`HttpTransport`); each area of the
Store lives in its own mixin module.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from headwater._store.base import Store
from headwater._store.http.artifacts import HttpArtifactsMixin
from headwater._store.http.batcher import BatchWriter
from headwater._store.http.blocks import HttpBlocksMixin
from headwater._store.http.limits import HttpLimitsMixin
from headwater._store.http.runs import HttpRunsMixin
from headwater._store.http.transport import HttpTransport
from headwater._store.http.variables import HttpVariablesMixin
from headwater._store.ops import FLOW_RUN, HEARTBEAT, LOGS, STATE, TASK_BEGIN, TASK_END, TASK_RUN
from headwater.errors import StoreError

if TYPE_CHECKING:
    from headwater._store.records import (
        FlowRunRecord,
        LogRecord,
        RunKind,
        StateRecord,
        TaskRunRecord,
    )
    from headwater.settings import SecretSetting

__all__ = ["HttpStore", "HttpTransport"]


class HttpStore(
    HttpBlocksMixin,
    HttpRunsMixin,
    HttpLimitsMixin,
    HttpVariablesMixin,
    HttpArtifactsMixin,
    Store,
):
    """The :class:`Store` over HTTP; one per process (see ``get_store``)."""

    is_http = True

    def __init__(
        self,
        url: str,
        *,
        api_key: SecretSetting | None = None,
        heartbeat_seconds: float = 10.0,
        batch_size: int = 2000,
        batch_wait: float = 0.05,
        retry_seconds: float = 30.0,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.pid = os.getpid()
        self._http = HttpTransport(url, api_key, retry_seconds=retry_seconds)
        self._writer = BatchWriter(
            self._http,
            heartbeat_seconds=heartbeat_seconds,
            batch_size=batch_size,
            batch_wait=batch_wait,
        )
        self._put = self._writer.put
        self._closed = False

    def __repr__(self) -> str:
        return f"HttpStore({self._http.base_url!r})"

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
                self._http.close()
        error = self._writer.take_error()
        if error is not None:
            raise error

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the HTTP store for {self._http.base_url} is closed")
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

    # -- the engine's fast path for task runs (same contract as SqlStore's) ------
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
        """Create a task run with its Pending (and Running) state as one op;
        see :meth:`headwater._store.sql.SqlStore.begin_task_run`."""
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
        """Set a task run's final state as one op; see
        :meth:`headwater._store.sql.SqlStore.end_task_run`."""
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
