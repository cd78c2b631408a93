"""Block documents: how a block becomes stored data and back.

The document data is the block's fields as JSON with secrets as stored (their
literal value or their reference), nested blocks as ``{"$ref": ...}`` (a saved
block, by document id) or ``{"$block": ...}`` (inline). The store receives it
as JSON text and keeps it encrypted at rest (the embedded store; see
:mod:`headwater._store.encryption`) or sends it to the server (the HTTP store).
Loading applies the class's migrations from the document's schema version,
resolves nested references and validates.

The same data, checked and masked, is what the server's block API speaks:
:func:`check_document` validates a document a client sends, :func:`masked_document`
hides its secrets for display, :func:`keep_masked_secrets` puts the stored secrets
back into an edit that left them masked.
"""

from __future__ import annotations

import json
import time
import typing
import uuid
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from headwater._store import BlockDocumentRecord, Store, get_store
from headwater.blocks.core import Block, _block_types_in, _mentions_secret
from headwater.blocks.errors import BlockDocumentError, BlockNotFound, UnknownBlockType
from headwater.blocks.registry import get_block_class
from headwater.blocks.secrets import SECRET_MASK, is_secret_reference
from headwater.errors import ObjectNotFound
from headwater.masking import MASK

__all__ = [
    "MASK",
    "MASKS",
    "check_document",
    "decode_record",
    "document_text",
    "encode_data",
    "keep_masked_secrets",
    "load_document",
    "masked_document",
    "migrate_data",
    "read_data",
    "save_document",
]

REF_KEY = "$ref"
INLINE_KEY = "$block"
MAX_NESTING = 32
MASKS = frozenset({MASK, SECRET_MASK})
"""What a masked secret looks like coming back from the API, the UI or a dump."""


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


def document_text(data: dict[str, Any]) -> str:
    """The JSON text a document's ``data`` is stored as (compact, keys sorted)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def save_document(block: Block, name: str, *, overwrite: bool) -> BlockDocumentRecord:
    cls = type(block)
    slug = cls.get_block_type_slug()
    now = time.time()
    record = BlockDocumentRecord(
        id=str(uuid.uuid4()),
        block_type_slug=slug,
        name=name,
        schema_version=cls._block_schema_version,
        data=document_text(encode_data(block)),
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
    cls: type[Block], data: dict[str, Any], label: str, depth: int, store: Store
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and len(value) == 1 and REF_KEY in value:
            out[key] = _load_reference(value[REF_KEY], label, key, depth, store)
        elif isinstance(value, dict) and len(value) == 1 and INLINE_KEY in value:
            out[key] = _load_inline(value[INLINE_KEY], label, key, depth, store)
        else:
            out[key] = value
    return out


def _load_reference(ref: Any, label: str, field: str, depth: int, store: Store) -> Block:
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
        record = store.read_block_document_by_id(doc_id)
    except ObjectNotFound:
        slug = ref.get("block_type_slug", "?")
        raise BlockDocumentError(
            f"block {label!r}: field {field!r} refers to a {slug} block (document id {doc_id}) "
            "that no longer exists; save it again or update this block"
        ) from None
    nested_cls = _class_for(record.block_type_slug, label, field)
    return decode_record(nested_cls, record, depth=depth + 1, store=store)


def _load_inline(inline: Any, label: str, field: str, depth: int, store: Store) -> Block:
    if not isinstance(inline, dict) or not isinstance(inline.get("data"), dict):
        raise BlockDocumentError(f"block {label!r} is corrupted: field {field!r} is malformed")
    slug = str(inline.get("block_type_slug", ""))
    nested_cls = _class_for(slug, label, field)
    where = f"{label}.{field}"
    data = migrate_data(nested_cls, inline["data"], int(inline.get("schema_version", 1)), where)
    fields = _decode_fields(nested_cls, data, where, depth + 1, store)
    return _validate(nested_cls, fields, where)


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
    """The JSON data of ``record``; BlockDocumentError naming it when unreadable."""
    label = f"{record.block_type_slug}/{record.name}"
    if record.error is not None:
        raise BlockDocumentError(record.error)
    try:
        data = json.loads(record.data)
    except ValueError:
        raise BlockDocumentError(
            f"block {label!r} is corrupted: its data is not valid JSON"
        ) from None
    if not isinstance(data, dict):
        raise BlockDocumentError(f"block {label!r} is corrupted: its data is not a JSON object")
    return data


def decode_record(
    cls: type[Block], record: BlockDocumentRecord, *, depth: int = 0, store: Store | None = None
) -> Block:
    """The block stored in ``record`` (migrated in memory when it is older than ``cls``).

    Nested references are read from ``store`` (default: the process's store).
    """
    label = f"{record.block_type_slug}/{record.name}"
    data = migrate_data(cls, read_data(record), record.schema_version, label)
    fields = _decode_fields(cls, data, label, depth, store or get_store())
    block = _validate(cls, fields, label)
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
    return decode_record(cls, record, store=store)


# -- documents as the server's API speaks them -----------------------------------------


def check_document(
    cls: type[Block], data: dict[str, Any], schema_version: int, label: str, *, store: Store
) -> Block:
    """The block ``data`` (a version-``schema_version`` document) decodes to, so nothing
    its class would reject is stored. Nested references are read from ``store``.

    Raises :class:`BlockDocumentError` naming ``label`` and the fields at fault
    (never their values), or :class:`UnknownBlockType` for a nested type that is
    not installed.
    """
    migrated = migrate_data(cls, data, schema_version, label)
    return _validate(cls, _decode_fields(cls, migrated, label, 0, store), label)


def _contains_block(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Block):
        return True
    return any(_contains_block(arg) for arg in typing.get_args(annotation))


def _mask_leaves(value: Any) -> Any:
    """``value`` with every leaf masked except ``None`` and secret references."""
    if value is None or is_secret_reference(value):
        return value
    if isinstance(value, dict):
        return {key: _mask_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_leaves(item) for item in value]
    return MASK


def _mask_nested(candidates: list[type[Block]], value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and REF_KEY in value:
        return value  # a saved document's id and type: no secret in it
    parts = _inline_parts(value)
    if parts is None:
        return _mask_leaves(value)
    slug, fields = parts
    cls = _nested_class(candidates, slug, fields)
    masked = masked_document(cls, fields)
    if isinstance(value, dict) and INLINE_KEY in value:
        return {INLINE_KEY: {**value[INLINE_KEY], "data": masked}}
    return masked


def masked_document(cls: type[Block] | None, data: dict[str, Any]) -> dict[str, Any]:
    """Document ``data`` with its secrets masked as ``********``, for display.

    Which fields are secret comes from ``cls``'s schema: a secret field's
    literal value is masked (a dict secret per entry), a reference such as
    ``env://NAME`` is shown as written, since it is not the secret. Nested saved
    blocks stay ``{"$ref": ...}``; inline ones are masked by their own class.
    Anything the class cannot vouch for is masked whole: fields it does not
    declare (an older schema version, a drifted document), containers of blocks,
    and every value when ``cls`` is ``None`` (the type is not installed).
    """
    out: dict[str, Any] = {}
    fields = cls.model_fields if cls is not None else {}
    for key, value in data.items():
        info = fields.get(key)
        if info is None or value is None or _mentions_secret(info.annotation):
            out[key] = _mask_leaves(value)
        elif _block_types_in(info.annotation):
            out[key] = _mask_nested(_block_types_in(info.annotation), value)
        elif _contains_block(info.annotation):
            out[key] = _mask_leaves(value)
        else:
            out[key] = value
    return out


# -- editing documents without retyping secrets ----------------------------------------


def _is_mask(value: Any) -> bool:
    return isinstance(value, str) and value in MASKS


def _keep_secret(submitted: Any, stored: Any) -> Any:
    """``submitted`` with every masked part replaced by the same part of ``stored``.

    Inside a dict secret (``SecretDict``) each masked entry keeps its stored
    entry, so an edit may change one header and keep the others; a masked entry
    with nothing stored behind it is dropped (the mask is never a secret).
    """
    if _is_mask(submitted):
        return stored
    if isinstance(submitted, dict):
        base = stored if isinstance(stored, dict) else {}
        out: dict[str, Any] = {}
        for key, value in submitted.items():
            if key in base:
                out[key] = _keep_secret(value, base[key])
            elif not _is_mask(value):
                out[key] = _keep_secret(value, None)
        return out
    if isinstance(submitted, list):
        base_list = stored if isinstance(stored, list) else []
        return [
            _keep_secret(v, base_list[i] if i < len(base_list) else None)
            for i, v in enumerate(submitted)
        ]
    return submitted


def _inline_parts(value: Any) -> tuple[str | None, dict[str, Any]] | None:
    """``(slug, fields)`` of a nested block written inline (stored or plain form), else None."""
    if not isinstance(value, dict):
        return None
    if len(value) == 1 and INLINE_KEY in value:
        inline = value[INLINE_KEY]
        if isinstance(inline, dict) and isinstance(inline.get("data"), dict):
            slug = inline.get("block_type_slug")
            return (slug if isinstance(slug, str) else None), inline["data"]
        return None
    if len(value) == 1 and REF_KEY in value:
        return None
    return None, value


def _nested_class(
    candidates: list[type[Block]], slug: str | None, fields: dict[str, Any]
) -> type[Block] | None:
    """The block class a nested inline value is an instance of, as far as the schema says."""
    if slug is not None:
        for cls in candidates:
            if cls.get_block_type_slug() == slug:
                return cls
        try:
            return get_block_class(slug)
        except UnknownBlockType:
            return None
    fitting = [c for c in candidates if set(fields) <= set(c.model_fields)]
    return fitting[0] if fitting else None


def _keep_nested(candidates: list[type[Block]], submitted: Any, stored: Any) -> Any:
    parts = _inline_parts(submitted)
    if parts is None:  # a reference to a saved document (or not a block at all)
        return submitted
    slug, fields = parts
    cls = _nested_class(candidates, slug, fields)
    if cls is None:
        return submitted
    stored_parts = _inline_parts(stored)
    stored_fields = None
    if stored_parts is not None and stored_parts[0] in (None, cls.get_block_type_slug()):
        stored_fields = stored_parts[1]
    kept = keep_masked_secrets(cls, fields, stored_fields)
    if isinstance(submitted, dict) and INLINE_KEY in submitted and len(submitted) == 1:
        return {INLINE_KEY: {**submitted[INLINE_KEY], "data": kept}}
    return kept


def keep_masked_secrets(
    block_cls: type[Block], submitted: dict[str, Any], stored: dict[str, Any] | None
) -> dict[str, Any]:
    """``submitted`` document data with the secrets it did not change taken from ``stored``.

    An edit form (UI, API ``PUT``) shows secrets masked. For every secret field
    of ``block_cls`` (top level, and in nested blocks written inline, as the
    class's fields say) a submitted value that is the mask (``********``), empty
    or absent is replaced by the stored value, so saving a form without retyping
    its secrets keeps them. A new value replaces the stored one. Without a stored
    document (a create) a masked value is dropped, so a required secret is
    reported missing instead of saving the mask as the secret. ``submitted`` is
    not changed; nested blocks may be inline in stored form (``{"$block": ...}``)
    or plain field dicts; references to saved documents (``{"$ref": ...}``) are
    left as they are. Blocks inside a container field (``list[SomeBlock]``), which
    :func:`masked_document` masks whole, keep every masked leaf by position.
    """
    out = dict(submitted)
    previous = stored or {}
    for name, info in block_cls.model_fields.items():
        if _mentions_secret(info.annotation):
            value = out.get(name)
            if name in previous:
                if name not in out or value is None or value == "" or _is_mask(value):
                    out[name] = previous[name]
                else:
                    out[name] = _keep_secret(value, previous[name])
            elif _is_mask(value):
                del out[name]
            elif name in out:
                out[name] = _keep_secret(value, None)
            continue
        nested = _block_types_in(info.annotation)
        if nested and name in out:
            out[name] = _keep_nested(nested, out[name], previous.get(name))
        elif _contains_block(info.annotation) and name in out and name in previous:
            # Blocks in a container are masked whole (see masked_document): every
            # masked leaf keeps the stored leaf at the same place.
            out[name] = _keep_secret(out[name], previous[name])
    return out
