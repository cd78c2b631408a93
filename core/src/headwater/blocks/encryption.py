"""Encryption at rest of block documents: re-exported from the store layer.

The store encrypts documents, so the code lives in
:mod:`headwater._store.encryption`; this module keeps the names importable
from where they were (``headwater.blocks`` sits above the store).
"""

from __future__ import annotations

from headwater._store.encryption import (
    ENV_KEY,
    KEY_FILE_NAME,
    DecryptionError,
    decrypt,
    decrypt_document,
    derived_key,
    encrypt,
    encrypt_document,
    key_file_path,
    undecryptable_message,
)

__all__ = [
    "ENV_KEY",
    "KEY_FILE_NAME",
    "DecryptionError",
    "decrypt",
    "decrypt_document",
    "derived_key",
    "encrypt",
    "encrypt_document",
    "key_file_path",
    "undecryptable_message",
]
