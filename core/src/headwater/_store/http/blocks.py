"""Block documents over HTTP: the block methods of :class:`headwater._store.http.HttpStore`.

The server's ``/api/block_documents`` endpoints speak the document's data as a
JSON object; the records here carry it as JSON text, exactly as the embedded
store's do. Reads ask for the stored values (``include_secrets=true``): a flow
loading a block needs them, so they need the admin key, and the server logs
each such read. References such as ``env://NAME`` come back as written and are
resolved here, where the block is used. Writes go through the server's
validation: a document its class would reject is a ValueError naming the field.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from headwater._store.http._part import HttpPart
from headwater._store.records import BlockDocumentRecord
from headwater._store.storable import check_block_document
from headwater.errors import AuthorizationError, StoreError

__all__ = ["HttpBlocksMixin"]

_REVEAL = {"include_secrets": "true"}


def _address_path(block_type_slug: str, name: str) -> str:
    return f"/block_documents/{quote(block_type_slug, safe='')}/{quote(name, safe='')}"


def _record(doc: Any, what: str) -> BlockDocumentRecord:
    """The record of one document the server sent with ``include_secrets=true``."""
    if not isinstance(doc, dict):
        raise StoreError(f"the server sent a malformed block document for {what}")
    data = doc.get("data")
    error = doc.get("error")
    if data is None and not error:
        error = f"the server sent no data for block '{doc.get('address', what)}'"
    return BlockDocumentRecord(
        id=str(doc["id"]),
        block_type_slug=str(doc["block_type_slug"]),
        name=str(doc["name"]),
        schema_version=int(doc["schema_version"]),
        data="" if data is None else json.dumps(data, sort_keys=True, separators=(",", ":")),
        created=float(doc["created"]),
        updated=float(doc["updated"]),
        error=None if data is not None else str(error),
    )


class HttpBlocksMixin(HttpPart):
    """The block document :class:`~headwater._store.base.Store` methods over HTTP."""

    def _read_documents(self, path: str, what: str, params: dict[str, str]) -> Any:
        try:
            return self._http.request("GET", path, params={**params, **_REVEAL})
        except AuthorizationError as exc:
            raise AuthorizationError(
                f"loading {what} needs the admin key: blocks are read with their secret "
                f"values, which only the admin role may read (set HEADWATER_API_KEY to the "
                f"server's admin token). {exc}"
            ) from None

    def save_block_document(
        self, record: BlockDocumentRecord, *, overwrite: bool = False
    ) -> BlockDocumentRecord:
        self._check_open()
        check_block_document(record)
        label = f"{record.block_type_slug}/{record.name}"
        try:
            data = json.loads(record.data)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ValueError(f"block document {label!r}: data must be the JSON text of an object")
        body: dict[str, Any] = {
            "data": data,
            "schema_version": record.schema_version,
            "id": record.id,
        }
        if overwrite:
            saved = self._http.request(
                "PUT", _address_path(record.block_type_slug, record.name), json=body
            )
        else:
            body.update(block_type_slug=record.block_type_slug, name=record.name)
            saved = self._http.request("POST", "/block_documents", json=body)
        if not isinstance(saved, dict):
            raise StoreError(f"the server sent a malformed answer saving block {label!r}")
        # The server answers with the secrets masked; the record keeps what was sent.
        return BlockDocumentRecord(
            id=str(saved["id"]),
            block_type_slug=record.block_type_slug,
            name=record.name,
            schema_version=int(saved["schema_version"]),
            data=record.data,
            created=float(saved["created"]),
            updated=float(saved["updated"]),
        )

    def read_block_document(self, block_type_slug: str, name: str) -> BlockDocumentRecord:
        self._check_open()
        label = f"block '{block_type_slug}/{name}'"
        doc = self._read_documents(_address_path(block_type_slug, name), label, {})
        return _record(doc, label)

    def read_block_document_by_id(self, document_id: str) -> BlockDocumentRecord:
        self._check_open()
        label = f"the block document with id {document_id!r}"
        path = f"/block_documents/by-id/{quote(document_id, safe='')}"
        return _record(self._read_documents(path, label, {}), label)

    def read_block_documents(self, block_type_slug: str | None = None) -> list[BlockDocumentRecord]:
        self._check_open()
        params = {} if block_type_slug is None else {"block_type": block_type_slug}
        what = f"{block_type_slug} blocks" if block_type_slug else "blocks"
        docs = self._read_documents("/block_documents", what, params)
        if not isinstance(docs, list):
            raise StoreError("the server sent a malformed list of block documents")
        return [_record(doc, what) for doc in docs]

    def delete_block_document(self, block_type_slug: str, name: str) -> None:
        self._check_open()
        self._http.request("DELETE", _address_path(block_type_slug, name))
