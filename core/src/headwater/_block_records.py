"""Plain dictionaries of block-related records for ``-o json`` and tables.

The records come from ``headwater.blocks`` as dataclasses, named tuples or
pydantic models; the CLI (and, for block types, the API) turns any of them
into a JSON-ready dict the same way.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from headwater._block_fields import field_specs

if TYPE_CHECKING:
    from headwater.blocks import Block

__all__ = ["as_dict", "block_type_json", "class_path"]


def as_dict(record: Any) -> dict[str, Any]:
    """The fields of a dataclass, named tuple, pydantic model or mapping."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    if hasattr(record, "_asdict"):
        return dict(record._asdict())
    if hasattr(record, "model_dump"):
        return dict(record.model_dump(mode="json"))
    if isinstance(record, dict):
        return dict(record)
    raise TypeError(f"cannot turn {type(record).__name__} into a dict")


def class_path(cls: type[Any]) -> str:
    """``module:QualName``, the form entry points use."""
    return f"{cls.__module__}:{cls.__qualname__}"


def block_type_json(
    slug: str, cls: type[Block] | None, package: str | None, error: str | None = None
) -> dict[str, Any]:
    """One installed block type: where it comes from and what it offers.

    ``error`` says why an installed type cannot be imported (its class is then unknown).
    """
    data: dict[str, Any] = {"slug": slug, "package": package, "class": None, "error": error}
    if cls is None:
        data.update(
            capabilities=None,
            schema_version=None,
            description=None,
            fields=None,
            secret_fields=None,
        )
        return data
    specs = field_specs(cls)
    data.update(
        {
            "class": class_path(cls),
            "capabilities": sorted(cls.get_block_capabilities()),
            "schema_version": getattr(cls, "_block_schema_version", None),
            "description": cls.get_description(),
            "fields": {name: spec.kind for name, spec in specs.items()},
            "secret_fields": [name for name, spec in specs.items() if spec.kind == "secret"],
        }
    )
    return data
