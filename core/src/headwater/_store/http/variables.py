"""Variables over HTTP (``/api/variables``)."""

from __future__ import annotations

from urllib.parse import quote

from headwater._store.http._part import HttpPart
from headwater._store.http.codec import record_from_json
from headwater._store.records import VariableRecord
from headwater._store.storable import check_variable

__all__ = ["HttpVariablesMixin"]


class HttpVariablesMixin(HttpPart):
    """The variable :class:`~headwater._store.base.Store` methods over HTTP."""

    def save_variable(self, record: VariableRecord, *, overwrite: bool = False) -> VariableRecord:
        self._check_open()
        check_variable(record)
        body = {"value": record.value, "tags": list(record.tags), "overwrite": overwrite}
        data = self._http.request("PUT", f"/variables/{quote(record.name, safe='')}", json=body)
        return record_from_json(VariableRecord, data)

    def read_variable(self, name: str) -> VariableRecord:
        self._check_open()
        data = self._http.request("GET", f"/variables/{quote(name, safe='')}")
        return record_from_json(VariableRecord, data)

    def read_variables(self) -> list[VariableRecord]:
        self._check_open()
        return [
            record_from_json(VariableRecord, r) for r in self._http.request("GET", "/variables")
        ]

    def delete_variable(self, name: str) -> None:
        self._check_open()
        self._http.request("DELETE", f"/variables/{quote(name, safe='')}")
