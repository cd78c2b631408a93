"""Block types and block documents: read (secrets masked unless an admin asks), write, delete.

A document's ``data`` is its stored form: the fields as JSON, secrets as stored
(a literal value or a reference such as ``env://NAME``), nested saved blocks as
``{"$ref": {"block_document_id": ..., "block_type_slug": ...}}`` and inline ones
as ``{"$block": {...}}``. Reads mask every secret by the block class's schema
(:func:`headwater.blocks.documents.masked_document`); ``include_secrets=true``
needs the admin role, is logged on ``headwater.server.audit``, and returns the
stored values (references stay references: they are resolved where the block is
used). A document whose type is not installed on the server is returned with
``data: null`` and an ``error`` naming the package to install, since the server
cannot tell its secrets from its other fields.

Writes need the admin role. A document of an installed type is validated by its
class before anything is stored (a 422 names the fields, never their values);
a secret sent back as ``********`` keeps the stored secret
(:func:`headwater.blocks.documents.keep_masked_secrets`). A document of a type
the server does not have is stored as sent (the clients that use it have the
package), but it may not contain the mask.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from headwater._block_records import block_type_json
from headwater._store import BlockDocumentRecord
from headwater.blocks import (
    BlockDocumentError,
    UnknownBlockType,
    _naming,
    get_block_class,
    registered_block_types,
)
from headwater.blocks.documents import (
    MASKS,
    check_document,
    document_text,
    keep_masked_secrets,
    masked_document,
    read_data,
)
from headwater.errors import InvalidRequest, ObjectAlreadyExists, ObjectNotFound
from headwater.server._errors import ApiError
from headwater.server._params import current_store
from headwater.server._security import log_secret_read, require_admin
from headwater.server.schemas import BlockDocument, BlockType, ErrorResponse

if TYPE_CHECKING:
    from headwater._store import BlockDocumentRecord, Store
    from headwater.blocks import Block, BlockTypeInfo

__all__ = ["BlockDocumentCreate", "BlockDocumentReplace", "router"]

router = APIRouter(tags=["blocks"])

_ADMIN: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No or a wrong token (when auth is on)."},
    403: {"model": ErrorResponse, "description": "The token is read-only; this needs admin."},
}
_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not a JSON document."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No block document by that address or id."},
}
_READ = {**_NOT_FOUND, **_ADMIN}  # 401/403 only with include_secrets=true


class BlockDocumentReplace(BaseModel):
    """The body of ``PUT /api/block_documents/{slug}/{name}``."""

    data: dict[str, Any] = Field(
        description="The document in stored form; a secret sent as ``********`` keeps the "
        "stored secret."
    )
    schema_version: int | None = Field(
        default=None,
        ge=1,
        description="The block schema version ``data`` is written for (default: the installed "
        "class's, else 1). An older document is checked through the class's migrations and "
        "stored as sent.",
    )
    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The id for a new document (default: a new one). Ignored on replace: a "
        "replaced document keeps its id, so nested references to it stay valid.",
    )


class BlockDocumentCreate(BlockDocumentReplace):
    """The body of ``POST /api/block_documents``."""

    block_type_slug: str = Field(description="The block type, e.g. ``aws-credentials``.")
    name: str = Field(description="The document name (lower case, digits, ``-``, ``_``).")


# -- block types ------------------------------------------------------------------------


def _json_schema(cls: Any) -> dict[str, Any] | None:
    try:
        return dict(cls.model_json_schema())
    except Exception:  # a type whose schema cannot be generated still gets listed
        return None


def _block_type(info: BlockTypeInfo) -> BlockType:
    row = block_type_json(info.slug, info.cls, info.package, info.error)
    return BlockType(
        slug=info.slug,
        package=info.package,
        class_path=row["class"],
        description=row["description"],
        capabilities=row["capabilities"],
        schema_version=row["schema_version"],
        secret_fields=row["secret_fields"],
        block_schema=_json_schema(info.cls) if info.cls is not None else None,
        error=info.error,
    )


@router.get("/block_types", response_model=list[BlockType], summary="List installed block types")
def list_block_types() -> list[BlockType]:
    return [_block_type(info) for info in registered_block_types().values()]


@router.get(
    "/block_types/{slug}",
    response_model=BlockType,
    responses={404: {"model": ErrorResponse, "description": "No such type is installed."}},
    summary="Read one block type with its JSON schema",
)
def read_block_type(slug: str) -> BlockType:
    info = registered_block_types().get(slug)
    if info is not None:
        return _block_type(info)
    try:
        get_block_class(slug)  # for its message: which package provides the type
    except UnknownBlockType as exc:
        raise ApiError(404, str(exc)) from None
    raise ApiError(404, f"block type {slug!r} not found")  # pragma: no cover - defensive


# -- block documents: reads -------------------------------------------------------------


async def _include_secrets(
    request: Request,
    include_secrets: Annotated[
        bool,
        Query(
            description="Return secret values as stored (admin only; each read is logged on "
            "headwater.server.audit)."
        ),
    ] = False,
) -> bool:
    """The ``include_secrets`` query flag, refused (401/403) unless the caller is admin."""
    if include_secrets:
        await require_admin(request)
    return include_secrets


IncludeSecrets = Annotated[bool, Depends(_include_secrets)]


def _class_or_error(slug: str) -> tuple[type[Block] | None, str | None]:
    try:
        return get_block_class(slug), None
    except UnknownBlockType as exc:
        return None, str(exc)


def _document(record: BlockDocumentRecord, request: Request, *, reveal: bool) -> BlockDocument:
    """The API form of ``record``: masked, or (``reveal``) as stored and audited."""
    address = f"{record.block_type_slug}/{record.name}"
    data: dict[str, Any] | None = None
    error: str | None = None
    try:
        stored = read_data(record)
    except BlockDocumentError as exc:  # our errors name the document, never a value
        error = str(exc)
    else:
        if reveal:
            log_secret_read(request, address)
            data = stored
        else:
            cls, error = _class_or_error(record.block_type_slug)
            if cls is not None:
                data = masked_document(cls, stored)
    return BlockDocument(
        id=record.id,
        address=address,
        block_type_slug=record.block_type_slug,
        name=record.name,
        schema_version=record.schema_version,
        created=record.created,
        updated=record.updated,
        data=data,
        error=error,
    )


@router.get(
    "/block_documents",
    response_model=list[BlockDocument],
    responses=_ADMIN,
    summary="List block documents (secrets masked unless include_secrets)",
)
def list_block_documents(
    request: Request,
    include_secrets: IncludeSecrets,
    block_type: Annotated[
        str | None, Query(description="Only documents of this type slug.")
    ] = None,
) -> list[BlockDocument]:
    records = current_store().read_block_documents(block_type)
    ordered = sorted(records, key=lambda r: (r.block_type_slug, r.name))
    return [_document(r, request, reveal=include_secrets) for r in ordered]


@router.get(
    "/block_documents/by-id/{document_id}",
    response_model=BlockDocument,
    responses=_READ,
    summary="Read one block document by id (for nested block references)",
)
def read_block_document_by_id(
    document_id: str, request: Request, include_secrets: IncludeSecrets
) -> BlockDocument:
    try:
        record = current_store().read_block_document_by_id(document_id)
    except ObjectNotFound:
        raise ApiError(404, f"no block document with id {document_id!r}") from None
    return _document(record, request, reveal=include_secrets)


@router.get(
    "/block_documents/{slug}/{name}",
    response_model=BlockDocument,
    responses=_READ,
    summary="Read one block document (secrets masked unless include_secrets)",
)
def read_block_document(
    slug: str, name: str, request: Request, include_secrets: IncludeSecrets
) -> BlockDocument:
    try:
        record = current_store().read_block_document(slug, name)
    except ObjectNotFound:
        raise ApiError(404, f"no block document '{slug}/{name}'") from None
    return _document(record, request, reveal=include_secrets)


# -- block documents: writes ------------------------------------------------------------


def _check_address(slug: str, name: str) -> None:
    try:
        _naming.validate_slug(slug)
        _naming.validate_name(name)
    except ValueError as exc:
        raise ApiError(422, f"invalid block address '{slug}/{name}': {exc}") from None


def _stored_data(store: Store, slug: str, name: str) -> dict[str, Any] | None:
    """The data stored as ``slug/name`` now (None when there is none or it is unreadable)."""
    try:
        return read_data(store.read_block_document(slug, name))
    except (ObjectNotFound, BlockDocumentError):
        return None


def _mask_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if value in MASKS else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _mask_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _mask_paths(v, f"{path}[{i}]")]
    return []


def _check_id_is_free(store: Store, document_id: str, slug: str, name: str) -> None:
    """A 409 when ``document_id`` already names another document."""
    try:
        other = store.read_block_document_by_id(document_id)
    except ObjectNotFound:
        return
    if (other.block_type_slug, other.name) != (slug, name):
        raise ApiError(
            409,
            f"block document id {document_id!r} is already used by "
            f"'{other.block_type_slug}/{other.name}'",
        )


def _save(
    slug: str, name: str, body: BlockDocumentReplace, *, overwrite: bool
) -> BlockDocumentRecord:
    """Check ``body`` against the installed class (if any) and store it as ``slug/name``."""
    _check_address(slug, name)
    label = f"{slug}/{name}"
    store = current_store()
    cls, _missing = _class_or_error(slug)
    data = body.data
    if cls is not None:
        version = body.schema_version or cls._block_schema_version
        data = keep_masked_secrets(cls, data, _stored_data(store, slug, name))
        try:
            check_document(cls, data, version, label, store=store)
        except (BlockDocumentError, UnknownBlockType) as exc:
            raise ApiError(422, str(exc)) from None
        except ValueError as exc:  # a block validator's own words; pydantic hides input
            raise ApiError(422, f"block {label!r} does not fit {cls.__name__}: {exc}") from None
    else:
        version = body.schema_version or 1
        masked = _mask_paths(data, "")
        if masked:
            raise ApiError(
                422,
                f"block {label!r}: field {masked[0]!r} is the mask '********', and block type "
                f"{slug!r} is not installed on the server, so it cannot tell which stored "
                "secret to keep; send the value",
            )
    if body.id is not None:
        _check_id_is_free(store, body.id, slug, name)
    now = time.time()
    record = BlockDocumentRecord(
        id=body.id or str(uuid.uuid4()),
        block_type_slug=slug,
        name=name,
        schema_version=version,
        data=document_text(data),
        created=now,
        updated=now,
    )
    try:
        return store.save_block_document(record, overwrite=overwrite)
    except ObjectAlreadyExists:
        raise ApiError(409, f"a block document named {label!r} already exists") from None
    except InvalidRequest as exc:  # a lone surrogate or NaN the store cannot keep
        raise ApiError(422, str(exc)) from None


@router.post(
    "/block_documents",
    response_model=BlockDocument,
    status_code=201,
    dependencies=[Depends(require_admin)],
    responses={
        **_BODY,
        **_ADMIN,
        409: {"model": ErrorResponse, "description": "A document by that address or id exists."},
    },
    summary="Create a block document (validated by its class when installed)",
)
def create_block_document(body: BlockDocumentCreate, request: Request) -> BlockDocument:
    record = _save(body.block_type_slug, body.name, body, overwrite=False)
    return _document(record, request, reveal=False)


@router.put(
    "/block_documents/{slug}/{name}",
    response_model=BlockDocument,
    dependencies=[Depends(require_admin)],
    responses={
        **_BODY,
        **_ADMIN,
        409: {"model": ErrorResponse, "description": "The id is used by another document."},
    },
    summary="Create or replace a block document (masked secrets keep the stored ones)",
)
def replace_block_document(
    slug: str, name: str, body: BlockDocumentReplace, request: Request
) -> BlockDocument:
    record = _save(slug, name, body, overwrite=True)
    return _document(record, request, reveal=False)


@router.delete(
    "/block_documents/{slug}/{name}",
    status_code=204,
    response_class=Response,
    dependencies=[Depends(require_admin)],
    responses={**_NOT_FOUND, **_ADMIN},
    summary="Delete a block document",
)
def delete_block_document(slug: str, name: str) -> Response:
    try:
        current_store().delete_block_document(slug, name)
    except ObjectNotFound:
        raise ApiError(404, f"no block document '{slug}/{name}'") from None
    return Response(status_code=204)
