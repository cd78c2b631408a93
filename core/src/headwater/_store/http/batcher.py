"""The HTTP store's background writer: buffered writes posted in order, in batches.

The engine's thread only puts an op tuple on a queue (the same tuples the
embedded store queues). A daemon thread takes up to ``batch_size`` ops (or what
arrives within ``batch_wait`` seconds, or less when a flush waits), posts them
to ``POST /api/ingest`` with a fresh batch id, and waits for the answer; the
server applies a batch in one transaction before answering. A batch that could
not be delivered is retried with the same id for the transport's
``retry_seconds`` (the server applies a batch id once), then its ops are
reported by :meth:`BatchWriter.take_error` (raised by ``flush``/``close``)
naming what was not written: nothing is dropped silently. After such a failure
later batches are tried once each until one gets through, so a server that is
gone costs one retry window, not one per batch.

Like the embedded writer, it also heartbeats every flow run this process set
Running until it reaches a final state.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING

from headwater._store.http.codec import op_json
from headwater._store.ops import FINAL_STATE_TYPES, FLUSH, HEARTBEAT, STATE, STOP, Op, text
from headwater._store.processes import HOSTNAME
from headwater.errors import HeadwaterError, InvalidRequest, StoreError

if TYPE_CHECKING:
    from headwater._store.http.transport import HttpTransport

__all__ = ["BatchWriter"]

_WHAT = {0: "flow run", 1: "task run", 2: "state", 3: "log batch", 4: "heartbeat", 5: "task run"}


def _summary(ops: list[Op]) -> str:
    counts = Counter(_WHAT.get(op[0], "final state") for op in ops)
    return ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for what, n in sorted(counts.items()))


class BatchWriter:
    """Owns the queue and the thread that posts it to the server."""

    def __init__(
        self,
        http: HttpTransport,
        *,
        heartbeat_seconds: float,
        batch_size: int = 2000,
        batch_wait: float = 0.05,
    ) -> None:
        self.http = http
        self.queue: queue.SimpleQueue[Op] = queue.SimpleQueue()
        self.put = self.queue.put
        self.heartbeat_seconds = heartbeat_seconds
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.running_flows: dict[str, None] = {}
        """Flow runs this process set Running and that are not final yet (insertion-ordered)."""
        self._errors: list[BaseException] = []
        self._errors_lock = threading.Lock()
        self._unreachable = False
        """True after a batch could not be delivered: later batches are tried once, not
        for ``retry_seconds`` each, until one gets through (a dead server fails fast)."""
        self._thread = threading.Thread(
            target=self._run, name="headwater-http-store-writer", daemon=True
        )
        self._thread.start()

    # -- called from other threads ----------------------------------------------
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None, *, kind: int = FLUSH) -> None:
        """Block until every op enqueued before this call was posted (or failed)."""
        if not self._thread.is_alive():
            raise StoreError(
                f"the HTTP store writer for {self.http.base_url} is not running "
                "(the store was closed, or this is a forked child using its parent's store)"
            )
        done = threading.Event()
        self.put((kind, done))
        deadline = None if timeout is None else time.monotonic() + timeout
        while not done.wait(0.25):
            if not self._thread.is_alive():
                raise StoreError(f"the HTTP store writer for {self.http.base_url} stopped")
            if deadline is not None and time.monotonic() >= deadline:
                raise StoreError(
                    f"flushing the HTTP store to {self.http.base_url} did not finish "
                    f"within {timeout} s"
                )

    def take_error(self) -> HeadwaterError | None:
        """The first write error since the last call (with the others counted), or None.

        An :class:`~headwater.errors.AuthorizationError` is returned as it is, so a
        missing or wrong ``HEADWATER_API_KEY`` reads as what it is.
        """
        with self._errors_lock:
            errors, self._errors = self._errors, []
        if not errors:
            return None
        first = errors[0]
        more = f" (and {len(errors) - 1} more failed writes)" if len(errors) > 1 else ""
        if isinstance(first, PermissionError) and isinstance(first, HeadwaterError):
            first.args = (f"{first}{more}",)
            return first
        err = StoreError(f"a buffered write to {self.http.base_url} failed: {first}{more}")
        err.__cause__ = first
        return err

    def stop(self, timeout: float | None = 60.0) -> None:
        if self._thread.is_alive():
            self.wait(timeout, kind=STOP)
            self._thread.join(timeout)

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
                self._post(batch)
            for event in waiters:
                event.set()
            if stopping:
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

    def _post(self, batch: list[Op]) -> None:
        batch_id = uuid.uuid4().hex
        try:
            body = {
                "batch_id": batch_id,
                "attempt": 1,
                "pid": os.getpid(),
                "hostname": HOSTNAME,
                "ops": [op_json(op) for op in batch],
            }
            result = self._send(body)
        except Exception as exc:
            self._unreachable = isinstance(exc, StoreError)
            self._record([_not_written(exc, batch, self.http.base_url)])
            return
        self._unreachable = False
        errors = result.get("errors") if isinstance(result, dict) else None
        if errors:
            self._record([InvalidRequest(line) for line in errors])
        self._track(batch)

    def _send(self, body: dict[str, object]) -> object:
        """POST the batch; retried with the same batch id (and a higher attempt number)."""
        http = self.http
        deadline = time.monotonic() + (0.0 if self._unreachable else http.retry_seconds)
        delay = 0.05
        while True:
            try:
                return http.request("POST", "/ingest", json=body, retry=False)
            except StoreError:
                if time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            body["attempt"] = int(str(body["attempt"])) + 1

    def _track(self, batch: list[Op]) -> None:
        for op in batch:
            if op[0] == STATE and text(op[1]) == "flow":
                type_ = text(op[3].type)
                if type_ == "RUNNING":
                    self.running_flows[op[2]] = None
                elif type_ in FINAL_STATE_TYPES:
                    self.running_flows.pop(op[2], None)

    def _record(self, errors: list[BaseException]) -> None:
        if errors:
            with self._errors_lock:
                self._errors.extend(errors)


def _not_written(exc: BaseException, batch: list[Op], url: str) -> BaseException:
    """``exc`` with the batch's unwritten ops named in its message (same error type)."""
    what = f"{_summary(batch)} were not written to {url}"
    if isinstance(exc, HeadwaterError):
        try:
            named = type(exc)(f"{exc} ({what})")
        except TypeError:  # pragma: no cover - our errors take one message
            named = StoreError(f"{exc} ({what})")
        named.__cause__ = exc.__cause__ or exc
        return named
    err = StoreError(f"{type(exc).__name__}: {exc} ({what})")
    err.__cause__ = exc
    return err
