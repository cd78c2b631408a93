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

The queue, batching, flush/stop, the heartbeat of this process's Running flow
runs and error keeping are the embedded writer's
(:class:`~headwater._store.writer.QueueWriter`); this module adds how a batch
is posted and what its errors say.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING

from headwater._store.http.codec import op_json
from headwater._store.ops import FINAL_STATE_TYPES, STATE, Op, text
from headwater._store.processes import HOSTNAME
from headwater._store.text import escape_deep
from headwater._store.writer import QueueWriter
from headwater.errors import HeadwaterError, InvalidRequest, StoreError

if TYPE_CHECKING:
    from headwater._store.http.transport import HttpTransport

__all__ = ["BatchWriter"]

_WHAT = {0: "flow run", 1: "task run", 2: "state", 3: "log batch", 4: "heartbeat", 5: "task run"}


def _summary(ops: list[Op]) -> str:
    counts = Counter(_WHAT.get(op[0], "final state") for op in ops)
    return ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for what, n in sorted(counts.items()))


class BatchWriter(QueueWriter):
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
        self._unreachable = False
        """True after a batch could not be delivered: later batches are tried once, not
        for ``retry_seconds`` each, until one gets through (a dead server fails fast)."""
        super().__init__(
            name=f"the HTTP store writer for {http.base_url}",
            flush_target=f"the HTTP store to {http.base_url}",
            thread_name="headwater-http-store-writer",
            heartbeat_seconds=heartbeat_seconds,
            batch_size=batch_size,
            batch_wait=batch_wait,
        )

    def _error(self, first: BaseException, more: str) -> HeadwaterError:
        """An :class:`~headwater.errors.AuthorizationError` is returned as it is, so a
        missing or wrong ``HEADWATER_API_KEY`` reads as what it is."""
        if isinstance(first, PermissionError) and isinstance(first, HeadwaterError):
            first.args = (f"{first}{more}",)
            return first
        err = StoreError(f"a buffered write to {self.http.base_url} failed: {first}{more}")
        err.__cause__ = first
        return err

    def stop(self, timeout: float | None = 60.0) -> None:
        """As :meth:`QueueWriter.stop`, waiting longer: a batch may be in its retry window."""
        super().stop(timeout)

    def _apply(self, batch: list[Op]) -> None:
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
        escaped = False
        while True:
            try:
                return http.request("POST", "/ingest", json=body, retry=False)
            except UnicodeEncodeError:
                # A lone surrogate in a log line, message or name: send it escaped, as
                # the embedded store stores it (headwater._store.text).
                if escaped:
                    raise
                escaped = True
                body["ops"] = escape_deep(body["ops"])
                continue
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
