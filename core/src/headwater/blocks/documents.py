"""Block documents: how a block becomes stored data and back.

The document data is the block's fields as JSON with secrets as stored (their
literal value or their reference), nested blocks as ``{"$ref": ...}`` (a saved
block, by document id) or ``{"$block": ...}`` (inline), then encrypted whole.
Loading decrypts, applies the class's migrations from the document's schema
version, resolves nested references and validates.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from headwater._store import BlockDocumentRecord, get_store
from headwater.blocks.core import Block
from headwater.blocks.encryption import DecryptionError, decrypt, encrypt, key_file_path
from headwater.blocks.errors import BlockDocumentError, BlockNotFound, UnknownBlockType
from headwater.blocks.registry import get_block_class
from headwater.errors import ObjectNotFound

__all__ = ["decode_record", "encode_data", "load_document", "migrate_data", "save_document"]

REF_KEY = "$ref"
INLINE_KEY = "$block"
MAX_NESTING = 32


def encode_data(block: Block) -> dict[str, Any]:
    """The document data of ``block`` (secrets as stored, nested blocks marked)."""
    label = block._label()
    try:
        data: dict[str, Any] = block.model_dump(mode="json", context={"include_secrets": True})
    except PydanticSerializationError as exc:
        raise ValueError(
            f"block {label!r} cannot be saved: a field is not JSON-serialisable: {exc}"
        ) from None
    for name in type(block).model_fields:
        value = block.__dict__.get(name)
        if isinstance(value, Block):
            data[name] = _encode_nested(value)
    return data


def _encode_nested(value: Block) -> dict[str, Any]:
    slug = type(value).get_block_type_slug()
    if value.block_document_id is not None:
        return {REF_KEY: {"block_document_id": value.block_document_id, "block_type_slug": slug}}
    return {
        INLINE_KEY: {
            "block_type_slug": slug,
            "schema_version": type(value)._block_schema_version,
            "data": encode_data(value),
        }
    }


def save_document(block: Block, name: str, *, overwrite: bool) -> BlockDocumentRecord:
    cls = type(block)
    slug = cls.get_block_type_slug()
    data = encode_data(block)
    plaintext = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    now = time.time()
    record = BlockDocumentRecord(
        id=str(uuid.uuid4()),
        block_type_slug=slug,
        name=name,
        schema_version=cls._block_schema_version,
        data=encrypt(plaintext),
        created=now,
        updated=now,
    )
    return get_store().save_block_document(record, overwrite=overwrite)


def migrate_data(
    cls: type[Block], data: dict[str, Any], version: int, label: str
) -> dict[str, Any]:
    """``data`` of a version-``version`` document upgraded to ``cls``'s schema version."""
    current = cls._block_schema_version
    if version > current:
        raise BlockDocumentError(
            f"block {label!r} was saved with schema version {version}, newer than "
            f"{cls.__name__}'s version {current}; upgrade the package that provides it"
        )
    while version < current:
        step = cls._block_migrations.get(version)
        if step is None:
            raise BlockDocumentError(
                f"block {label!r} has schema version {version} and {cls.__name__} "
                f"(version {current}) declares no migration from version {version} "
                f"(_block_migrations[{version}])"
            )
        try:
            migrated = step(dict(data))
        except Exception as exc:
            raise BlockDocumentError(
                f"block {label!r}: the migration from schema version {version} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(migrated, dict):
            raise BlockDocumentError(
                f"block {label!r}: the migration from schema version {version} returned "
                f"{type(migrated).__name__}, not a dict"
            )
        data, version = migrated, version + 1
    return data


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "(block)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _decode_fields(
    cls: type[Block], data: dict[str, Any], label: str, depth: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and len(value) == 1 and REF_KEY in value:
            out[key] = _load_reference(value[REF_KEY], label, key, depth)
        elif isinstance(value, dict) and len(value) == 1 and INLINE_KEY in value:
            out[key] = _load_inline(value[INLINE_KEY], label, key, depth)
        else:
            out[key] = value
    return out


def _load_reference(ref: Any, label: str, field: str, depth: int) -> Block:
    doc_id = ref.get("block_document_id") if isinstance(ref, dict) else None
    if not isinstance(doc_id, str):
        raise BlockDocumentError(
            f"block {label!r} is corrupted: field {field!r} has a bad reference"
        )
    if depth >= MAX_NESTING:
        raise BlockDocumentError(
            f"block {label!r}: field {field!r} nests blocks more than {MAX_NESTING} deep "
            "(a reference cycle?)"
        )
    try:
        record = get_store().read_block_document_by_id(doc_id)
    except ObjectNotFound:
        slug = ref.get("block_type_slug", "?")
        raise BlockDocumentError(
            f"block {label!r}: field {field!r} refers to a {slug} block (document id {doc_id}) "
            "that no longer exists; save it again or update this block"
        ) from None
    nested_cls = _class_for(record.block_type_slug, label, field)
    return decode_record(nested_cls, record, depth=depth + 1)


def _load_inline(inline: Any, label: str, field: str, depth: int) -> Block:
    if not isinstance(inline, dict) or not isinstance(inline.get("data"), dict):
        raise BlockDocumentError(f"block {label!r} is corrupted: field {field!r} is malformed")
    slug = str(inline.get("block_type_slug", ""))
    nested_cls = _class_for(slug, label, field)
    where = f"{label}.{field}"
    data = migrate_data(nested_cls, inline["data"], int(inline.get("schema_version", 1)), where)
    return _validate(nested_cls, _decode_fields(nested_cls, data, where, depth + 1), where)


def _class_for(slug: str, label: str, field: str) -> type[Block]:
    try:
        return get_block_class(slug)
    except UnknownBlockType as exc:
        raise UnknownBlockType(f"block {label!r} field {field!r}: {exc}") from None


def _validate(cls: type[Block], data: dict[str, Any], label: str) -> Block:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise BlockDocumentError(
            f"block {label!r} does not fit {cls.__name__}: {_validation_summary(exc)}"
        ) from None
    except ValueError as exc:
        raise BlockDocumentError(f"block {label!r} does not fit {cls.__name__}: {exc}") from None


def read_data(record: BlockDocumentRecord) -> dict[str, Any]:
    """The decrypted JSON data of ``record``; BlockDocumentError naming it when unreadable."""
    label = f"{record.block_type_slug}/{record.name}"
    try:
        plaintext = decrypt(record.data)
    except DecryptionError:
        raise BlockDocumentError(
            f"block {label!r} cannot be decrypted: it was saved with another encryption key "
            f"(HEADWATER_ENCRYPTION_KEY or {key_file_path()}) or its data is damaged"
        ) from None
    try:
        data = json.loads(plaintext)
    except ValueError:
        raise BlockDocumentError(
            f"block {label!r} is corrupted: its data is not valid JSON"
        ) from None
    if not isinstance(data, dict):
        raise BlockDocumentError(f"block {label!r} is corrupted: its data is not a JSON object")
    return data


def decode_record(cls: type[Block], record: BlockDocumentRecord, *, depth: int = 0) -> Block:
    """The block stored in ``record`` (migrated in memory when it is older than ``cls``)."""
    label = f"{record.block_type_slug}/{record.name}"
    data = migrate_data(cls, read_data(record), record.schema_version, label)
    block = _validate(cls, _decode_fields(cls, data, label, depth), label)
    block._set_document(record.id, record.name)
    return block


def load_document(cls: type[Block], slug: str, name: str) -> Block:
    store = get_store()
    try:
        record = store.read_block_document(slug, name)
    except ObjectNotFound:
        names = [r.name for r in store.read_block_documents(slug)]
        hint = f" (saved {slug} blocks: {', '.join(names[:10])})" if names else ""
        raise BlockNotFound(f"no block '{slug}/{name}' is saved{hint}") from None
    return decode_record(cls, record)
