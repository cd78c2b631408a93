"""Blocks: typed, secret-safe credentials and configuration, saved by name.

``import headwater`` does not import this package; pydantic and cryptography
load only when blocks are used.
"""

from __future__ import annotations

from headwater.blocks.core import Block, BlockDocumentInfo
from headwater.blocks.errors import (
    BlockDocumentError,
    BlockNotFound,
    BlockSecretResolutionError,
    UnknownBlockType,
)
from headwater.blocks.interfaces import (
    CheckResult,
    CredentialsBlock,
    DatabaseBlock,
    JobBlock,
    JobRun,
    NotificationBlock,
    ObjectStorageBlock,
    SecretBlock,
    WritableFileSystem,
)
from headwater.blocks.migrations import MigrationReport, migrate_documents
from headwater.blocks.registry import BlockTypeInfo, get_block_class, registered_block_types
from headwater.blocks.secrets import (
    SecretDict,
    SecretJson,
    is_secret_reference,
    register_secret_resolver,
    resolve_secret_reference,
)
from headwater.blocks.system import LocalFileSystem, Secret

__all__ = [
    "Block",
    "BlockDocumentError",
    "BlockDocumentInfo",
    "BlockNotFound",
    "BlockSecretResolutionError",
    "BlockTypeInfo",
    "CheckResult",
    "CredentialsBlock",
    "DatabaseBlock",
    "JobBlock",
    "JobRun",
    "LocalFileSystem",
    "MigrationReport",
    "NotificationBlock",
    "ObjectStorageBlock",
    "Secret",
    "SecretBlock",
    "SecretDict",
    "SecretJson",
    "UnknownBlockType",
    "WritableFileSystem",
    "get_block_class",
    "is_secret_reference",
    "migrate_documents",
    "register_secret_resolver",
    "registered_block_types",
    "resolve_secret_reference",
]
