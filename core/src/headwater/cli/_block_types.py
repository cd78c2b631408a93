"""Finding block classes and documents for the CLI, with its error messages.

This is the one place the block commands touch ``headwater.blocks`` lookups,
so an unknown type or a missing document reads the same in every command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headwater.cli._errors import CliError

if TYPE_CHECKING:
    from headwater.blocks import Block

__all__ = ["block_class", "find_block", "try_find_block"]


def block_class(slug: str) -> type[Block]:
    """The block class registered for ``slug`` (entry points imported on demand).

    Raises ``UnknownBlockType`` (a HeadwaterError, printed as is) when no installed
    package provides the type; its message names the package to install.
    """
    # Deferred: import time; the CLI starts without headwater.blocks (pydantic).
    from headwater.blocks import get_block_class

    return get_block_class(slug)


def try_find_block(slug: str, name: str) -> Block | None:
    """The saved block ``slug/name``, or None when there is no such document."""
    # Deferred: import time (see above).
    from headwater.blocks import BlockNotFound

    cls = block_class(slug)
    try:
        return cls.load(name)
    except BlockNotFound:
        return None


def find_block(slug: str, name: str) -> Block:
    """The saved block ``slug/name``; a CLI error naming it when it does not exist."""
    block = try_find_block(slug, name)
    if block is None:
        raise CliError(f"block '{slug}/{name}' not found (see 'headwater block ls --type {slug}')")
    return block
