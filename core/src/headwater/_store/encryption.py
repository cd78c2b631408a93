"""Encryption at rest of block documents (Fernet, from ``cryptography``).

This lives in the store layer because the store is what encrypts: the
embedded store encrypts a document's JSON text when it writes it
(:func:`encrypt_document`) and decrypts it when it reads it
(:func:`decrypt_document`); the token is the Fernet encryption of the UTF-8
JSON text, so databases written before the store did this keep working.
The key comes from ``HEADWATER_ENCRYPTION_KEY`` or from the key file
``<HEADWATER_HOME>/encryption.key``, created with mode 0600 on first use. It
is never stored in the database, so a copy of the database alone reveals no
secret. A key file that others can read is refused.

Other uses of a per-installation secret (the keyed hash of secrets in cache
keys) get their own key derived from this one (:func:`derived_key`), so no
second key file is needed and the encryption key itself is used only here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import uuid
from pathlib import Path
from typing import Any

from headwater._files import make_private_dir
from headwater.errors import ConfigurationError
from headwater.settings import get_settings

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

ENV_KEY = "HEADWATER_ENCRYPTION_KEY"
KEY_FILE_NAME = "encryption.key"


class DecryptionError(Exception):
    """The data was not encrypted with the current key or is damaged."""


def _fernet_module() -> Any:
    try:
        from cryptography import fernet
    except ImportError as exc:  # pragma: no cover - cryptography is a dependency
        raise ConfigurationError(
            "block encryption needs the 'cryptography' package: pip install cryptography"
        ) from exc
    return fernet


def key_file_path() -> Path:
    return get_settings().home / KEY_FILE_NAME


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"the encryption key file {path} can be read by other users "
            f"(mode {stat.S_IMODE(mode):04o}); run `chmod 600 {path}`"
        )
    key = path.read_bytes().strip()
    if not key:
        raise ConfigurationError(f"the encryption key file {path} is empty")
    return key


def _create_key_file(path: Path) -> bytes:
    """Create the key file atomically (mode 0600); another process may win the race."""
    fernet = _fernet_module()
    make_private_dir(path.parent)
    key: bytes = fernet.Fernet.generate_key()
    # Unique per call: threads of one process may race to create the key too.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # fails if another process created it first
        except FileExistsError:
            return _read_key_file(path)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def _key() -> bytes:
    env = os.environ.get(ENV_KEY)
    if env:
        return env.strip().encode()
    path = key_file_path()
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        return _create_key_file(path)


def _fernet() -> Any:
    fernet = _fernet_module()
    key = _key()
    try:
        return fernet.Fernet(key)
    except (ValueError, TypeError):
        source = ENV_KEY if os.environ.get(ENV_KEY) else f"the key file {key_file_path()}"
        raise ConfigurationError(
            f"the encryption key from {source} is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes; make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
        ) from None


def encrypt(data: bytes) -> str:
    """``data`` encrypted with the current key, as ASCII text."""
    token: bytes = _fernet().encrypt(data)
    return token.decode("ascii")


def decrypt(token: str) -> bytes:
    """The plaintext of ``token``; :class:`DecryptionError` if the key is wrong or the data damaged."""
    fernet_mod = _fernet_module()
    fernet = _fernet()  # a bad key is a ConfigurationError, not a damaged document
    try:
        data: bytes = fernet.decrypt(token.encode("ascii"))
    except (fernet_mod.InvalidToken, UnicodeEncodeError, ValueError):
        raise DecryptionError("invalid token") from None
    return data


def encrypt_document(text: str) -> str:
    """The at-rest form of a document's JSON ``text``."""
    return encrypt(text.encode("utf-8"))


def decrypt_document(token: str) -> str:
    """The JSON text of an at-rest document; :class:`DecryptionError` when it cannot be read."""
    try:
        return decrypt(token).decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError("not UTF-8 text") from None


def undecryptable_message(label: str) -> str:
    """Why the document ``label`` (``slug/name``) cannot be read: it was encrypted with
    another key, or damaged. Names where the key comes from, never the key."""
    return (
        f"block {label!r} cannot be decrypted: it was saved with another encryption key "
        f"({ENV_KEY} or {key_file_path()}) or its data is damaged"
    )


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose``, derived from the encryption key (HMAC-SHA256).

    Stable wherever the same encryption key is used (the same key file or
    ``HEADWATER_ENCRYPTION_KEY``); it reveals nothing of the encryption key, and
    keys for different purposes are unrelated.
    """
    return hmac.new(_key(), b"headwater derived key/" + purpose.encode(), hashlib.sha256).digest()
