"""Block data as the CLI and the server UI show and export it: secrets masked or as references.

A secret field that holds a reference (``env://DB_PASSWORD``) is shown as the
reference, since the reference is not the secret. A secret field that holds a
literal value is shown as ``********`` and exported as a placeholder. Nested
blocks are shown inline; in exports a nested block that has its own saved
document is written as ``{"$block": "slug/name"}`` so applying the file keeps
it shared. Shared by the CLI and the server, so it lives below both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from headwater._block_fields import field_specs, is_reference

if TYPE_CHECKING:
    from headwater.blocks import Block

__all__ = [
    "BLOCK_REF_KEY",
    "MASK",
    "SECRET_PLACEHOLDER",
    "comparable_data",
    "document_address",
    "export_data",
    "map_secret",
    "masked_data",
    "secret_literals",
    "stored_secret",
]

MASK = "********"
SECRET_PLACEHOLDER = "<secret: set me>"
BLOCK_REF_KEY = "$block"


def stored_secret(block: Block, field: str) -> Any:
    """What a secret field stores: its reference or its literal value (never printed)."""
    dumped = block.model_dump(include={field}, context={"include_secrets": True})
    return dumped.get(field)


def map_secret(stored: Any, replace: Callable[[str, Any], Any], *, path: str) -> Any:
    """``stored`` with every literal replaced by ``replace(path, literal)``; references kept.

    Dict and list secrets (``SecretDict``) are walked so a reference inside one
    stays visible while the literal values beside it are replaced.
    """
    if isinstance(stored, dict):
        return {k: map_secret(v, replace, path=f"{path}.{k}") for k, v in stored.items()}
    if isinstance(stored, list):
        return [map_secret(v, replace, path=f"{path}[{i}]") for i, v in enumerate(stored)]
    if isinstance(stored, bytes):
        try:
            stored = stored.decode("utf-8")
        except UnicodeDecodeError:
            return replace(path, stored)
    if stored is None or is_reference(stored):
        return stored
    return replace(path, stored)


def secret_literals(stored: Any, *, path: str) -> list[tuple[str, Any]]:
    """``(path, value)`` of every literal (non-reference) part of a secret."""
    found: list[tuple[str, Any]] = []

    def collect(where: str, literal: Any) -> None:
        found.append((where, literal))

    map_secret(stored, collect, path=path)
    return found


def document_address(block: Block) -> str | None:
    """``slug/name`` of the document ``block`` was saved as or loaded from, if any."""
    name = block.block_document_name
    if not isinstance(name, str) or not name:
        return None
    return f"{block.get_block_type_slug()}/{name}"


def _plain(block: Block, field: str) -> Any:
    return block.model_dump(mode="json", include={field}).get(field)


def _walk(
    block: Block,
    *,
    on_secret: Callable[[str, Any], Any],
    on_block: Callable[[str, Block], Any],
    prefix: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, spec in field_specs(type(block)).items():
        value = getattr(block, name)
        path = f"{prefix}{name}"
        if value is None:
            data[name] = None
        elif spec.kind == "secret":
            data[name] = on_secret(path, stored_secret(block, name))
        elif spec.kind == "block" and hasattr(value, "get_block_type_slug"):
            data[name] = on_block(path, value)
        else:
            data[name] = _plain(block, name)
    return data


def masked_data(block: Block, *, prefix: str = "") -> dict[str, Any]:
    """Every field, secrets as ``********`` (references as themselves), for ``inspect``."""

    def secret(path: str, stored: Any) -> Any:
        return map_secret(stored, lambda _path, _value: MASK, path=path)

    def nested(path: str, child: Block) -> Any:
        return masked_data(child, prefix=f"{path}.")

    return _walk(block, on_secret=secret, on_block=nested, prefix=prefix)


def export_data(
    block: Block, *, warn: Callable[[str], None], prefix: str = "", inline: bool = False
) -> dict[str, Any]:
    """Every field as ``apply`` reads it back; literal secrets become the placeholder.

    ``warn`` receives the dotted path of each literal secret that was replaced.
    """

    def secret(path: str, stored: Any) -> Any:
        def placeholder(where: str, _value: Any) -> str:
            warn(where)
            return SECRET_PLACEHOLDER

        return map_secret(stored, placeholder, path=path)

    def nested(path: str, child: Block) -> Any:
        address = None if inline else document_address(child)
        if address is not None:
            return {BLOCK_REF_KEY: address}
        return export_data(child, warn=warn, prefix=f"{path}.", inline=inline)

    return _walk(block, on_secret=secret, on_block=nested, prefix=prefix)


def comparable_data(block: Block) -> Any:
    """The full stored data of ``block`` (secrets included) for equality checks only.

    Python mode, not JSON: pydantic's JSON serialiser of a secret calls
    ``get_secret_value()``, which would resolve references.
    """
    return block.model_dump(context={"include_secrets": True})
