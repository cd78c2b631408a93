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

Buffered writes, ``flush`` and ``close`` are the embedded store's own
(:class:`~headwater._store.buffered.BufferedWrites`); only the writer differs.

The transport is ``self._http`` (:class:`HttpTransport`); each area of the
Store lives in its own mixin module.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from headwater._store.base import Store
from headwater._store.buffered import BufferedWrites
from headwater._store.http.artifacts import HttpArtifactsMixin
from headwater._store.http.batcher import BatchWriter
from headwater._store.http.blocks import HttpBlocksMixin
from headwater._store.http.limits import HttpLimitsMixin
from headwater._store.http.runs import HttpRunsMixin
from headwater._store.http.transport import HttpTransport
from headwater._store.http.variables import HttpVariablesMixin

if TYPE_CHECKING:
    from headwater.settings import SecretSetting

__all__ = ["HttpStore", "HttpTransport"]


class HttpStore(
    BufferedWrites,
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

    # -- BufferedWrites hooks ---------------------------------------------------
    def _describe(self) -> str:
        return f"the HTTP store for {self._http.base_url}"

    def _close_connection(self) -> None:
        self._http.close()
