"""Concurrency limits over HTTP. Taking slots is atomic on the server (one transaction
there); the slots are recorded for this process's pid and host, so the server
reclaims them if this process dies without releasing."""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import quote

from headwater._store.http._part import HttpPart
from headwater._store.http.codec import record_from_json
from headwater._store.processes import HOSTNAME
from headwater._store.records import ConcurrencyLimitRecord
from headwater._store.text import escape_surrogates
from headwater.errors import ConfigurationError

__all__ = ["HttpLimitsMixin"]


def _tag(tag: str) -> str:
    return quote(tag, safe="")


class HttpLimitsMixin(HttpPart):
    """The concurrency-limit :class:`~headwater._store.base.Store` methods over HTTP."""

    def create_concurrency_limit(self, tag: str, limit: int) -> ConcurrencyLimitRecord:
        self._check_open()
        # The embedded store's checks and words, before anything is sent.
        if not isinstance(tag, str) or not tag:
            raise ConfigurationError(
                f"concurrency limit `tag` must be a non-empty string, got {tag!r}"
            )
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ConfigurationError(
                f"concurrency limit `limit` for tag {tag!r} must be an integer >= 0, got {limit!r}"
            )
        data = self._http.request("PUT", f"/concurrency_limits/{_tag(tag)}", json={"limit": limit})
        return record_from_json(ConcurrencyLimitRecord, data)

    def read_concurrency_limits(self) -> list[ConcurrencyLimitRecord]:
        self._check_open()
        rows = self._http.request("GET", "/concurrency_limits")
        return [record_from_json(ConcurrencyLimitRecord, r) for r in rows]

    def read_concurrency_limit(self, tag: str) -> ConcurrencyLimitRecord:
        self._check_open()
        data = self._http.request("GET", f"/concurrency_limits/{_tag(tag)}")
        return record_from_json(ConcurrencyLimitRecord, data)

    def delete_concurrency_limit(self, tag: str) -> None:
        self._check_open()
        self._http.request("DELETE", f"/concurrency_limits/{_tag(tag)}")

    def try_acquire_concurrency_slots(self, tags: Sequence[str], holder_id: str) -> bool:
        self._check_open()
        body = {
            "tags": [escape_surrogates(tag) for tag in tags],
            "holder_id": holder_id,
            "pid": os.getpid(),
            "hostname": HOSTNAME,
        }
        data = self._http.request("POST", "/concurrency_limits/acquire", json=body)
        return bool(data["acquired"])

    def release_concurrency_slots(self, holder_id: str) -> None:
        self._check_open()
        self._http.request("POST", "/concurrency_limits/release", json={"holder_id": holder_id})
