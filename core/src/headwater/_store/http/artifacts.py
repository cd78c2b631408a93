"""Artifacts over HTTP (``/api/artifacts``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from headwater._store.http._part import HttpPart
from headwater._store.http.codec import record_from_json, record_json
from headwater._store.records import ArtifactRecord
from headwater._store.storable import check_artifact

__all__ = ["HttpArtifactsMixin"]


class HttpArtifactsMixin(HttpPart):
    """The artifact :class:`~headwater._store.base.Store` methods over HTTP."""

    def create_artifact(self, record: ArtifactRecord) -> ArtifactRecord:
        check_artifact(record)
        self._sync()  # the run it belongs to may still be buffered
        body = record_json(record)
        body.pop("version", None)  # the server numbers versions
        return record_from_json(ArtifactRecord, self._http.request("POST", "/artifacts", json=body))

    def read_artifact(self, artifact_id: str) -> ArtifactRecord:
        self._check_open()
        data = self._http.request("GET", f"/artifacts/{quote(artifact_id, safe='')}")
        return record_from_json(ArtifactRecord, data)

    def read_latest_artifact(self, key: str) -> ArtifactRecord:
        self._check_open()
        data = self._http.request("GET", f"/artifacts/keys/{quote(key, safe='')}/latest")
        return record_from_json(ArtifactRecord, data)

    def read_artifacts(
        self, *, key: str | None = None, flow_run_id: str | None = None, limit: int | None = None
    ) -> list[ArtifactRecord]:
        self._sync()
        params: dict[str, Any] = {
            k: v
            for k, v in {"key": key, "flow_run_id": flow_run_id, "limit": limit}.items()
            if v is not None
        }
        rows = self._http.request("GET", "/artifacts", params=params)
        return [record_from_json(ArtifactRecord, r) for r in rows]
