"""Errors raised by blocks. Every message names the block type, document name
and field at fault, and never contains a secret value.

    HeadwaterError
    ├── ObjectNotFound (LookupError)
    │   └── BlockNotFound               no saved block document by that name
    ├── UnknownBlockType (LookupError)  no block class for a slug (names the pip package)
    ├── BlockSecretResolutionError      a secret reference cannot be resolved
    └── BlockDocumentError (ValueError) a stored document is corrupted or cannot be read
"""

from __future__ import annotations

from headwater.errors import HeadwaterError, ObjectNotFound

__all__ = [
    "BlockDocumentError",
    "BlockNotFound",
    "BlockSecretResolutionError",
    "UnknownBlockType",
]


class BlockNotFound(ObjectNotFound):
    """No block document is saved under that type and name."""


class UnknownBlockType(HeadwaterError, LookupError):
    """No block class is registered (or installed) for a block type slug."""


class BlockSecretResolutionError(HeadwaterError):
    """A secret field holds a reference (``env://``, ``file://``, ...) that cannot be resolved."""


class BlockDocumentError(HeadwaterError, ValueError):
    """A stored block document is corrupted, undecryptable or no longer valid for its class."""
