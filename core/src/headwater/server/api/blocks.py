"""Block types and block documents. Secrets never leave the server: document
data is masked exactly as ``headwater block inspect`` masks it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query

from headwater.errors import HeadwaterError
from headwater.server._params import current_store
from headwater.server.schemas import BlockDocument, BlockType

if TYPE_CHECKING:
    from headwater._store import BlockDocumentRecord

__all__ = ["router"]

router = APIRouter(tags=["blocks"])


def _json_schema(cls: Any) -> dict[str, Any] | None:
    try:
        return dict(cls.model_json_schema())
    except Exception:  # a type whose schema cannot be generated still gets listed
        return None


@router.get("/block_types", response_model=list[BlockType], summary="List installed block types")
def list_block_types() -> list[BlockType]:
    from headwater.blocks import registered_block_types
    from headwater.cli._block_records import block_type_json

    types: list[BlockType] = []
    for info in sorted(registered_block_types().values(), key=lambda i: i.slug):
        row = block_type_json(info.slug, info.cls, info.package, info.error)
        types.append(
            BlockType(
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
        )
    return types


def _masked(record: BlockDocumentRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The document's fields with secrets masked, or why it cannot be read."""
    from headwater.blocks import get_block_class
    from headwater.cli._block_view import masked_data

    try:
        block = get_block_class(record.block_type_slug).load(record.name)
        return masked_data(block), None
    except HeadwaterError as exc:  # our errors name fields, never values
        return None, str(exc)
    except Exception as exc:  # a third-party error might quote data: give its kind only
        return None, f"cannot read the document ({type(exc).__name__})"


@router.get(
    "/block_documents",
    response_model=list[BlockDocument],
    summary="List block documents (secrets masked)",
)
def list_block_documents(
    block_type: Annotated[
        str | None, Query(description="Only documents of this type slug.")
    ] = None,
) -> list[BlockDocument]:
    records = current_store().read_block_documents(block_type)
    documents: list[BlockDocument] = []
    for record in sorted(records, key=lambda r: (r.block_type_slug, r.name)):
        data, error = _masked(record)
        documents.append(
            BlockDocument(
                id=record.id,
                address=f"{record.block_type_slug}/{record.name}",
                block_type_slug=record.block_type_slug,
                name=record.name,
                schema_version=record.schema_version,
                created=record.created,
                updated=record.updated,
                data=data,
                error=error,
            )
        )
    return documents
