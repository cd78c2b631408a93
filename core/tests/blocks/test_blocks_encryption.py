"""Encryption at rest: key from the environment or a 0600 key file, corrupted documents."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from headwater._store import get_store
from headwater.blocks import Block, BlockDocumentError, Secret
from headwater.errors import ConfigurationError
from headwater.settings import reset_settings


class EncryptionTestBlock(Block):
    """A block with a secret, for the encryption tests."""

    host: str
    password: SecretStr


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_plaintext_is_never_in_the_database_file(headwater_home: Path) -> None:
    EncryptionTestBlock(host="db.internal.example", password="plaintext-needle-7731").save("prod")
    Secret(value={"token": "json-needle-4412"}).save("json")
    get_store().flush()
    from headwater._store import reset_store

    reset_store()  # checkpoint and close, so everything is in the files
    db_bytes = b"".join(p.read_bytes() for p in headwater_home.glob("headwater.db*"))
    assert db_bytes
    for needle in (b"plaintext-needle-7731", b"json-needle-4412", b"db.internal.example"):
        assert needle not in db_bytes
    assert EncryptionTestBlock.load("prod").password.get_secret_value() == "plaintext-needle-7731"


def test_key_file_is_created_with_mode_0600(headwater_home: Path) -> None:
    Secret(value="abcdef").save("k")
    key_file = headwater_home / "encryption.key"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes().strip()
    # The key is never stored in the database.
    from headwater._store import reset_store

    reset_store()
    assert key not in _all_bytes(headwater_home).replace(key_file.read_bytes(), b"")


def test_key_file_readable_by_others_is_refused(headwater_home: Path) -> None:
    Secret(value="abcdef").save("k")
    key_file = headwater_home / "encryption.key"
    os.chmod(key_file, 0o644)
    with pytest.raises(
        ConfigurationError,
        match=r"encryption.key can be read by other users \(mode 0644\).*chmod 600",
    ):
        Secret.load("k")
    with pytest.raises(ConfigurationError):
        Secret(value="ghijkl").save("k2")
    os.chmod(key_file, 0o600)
    assert [d.name for d in Secret.list_documents()] == ["k"]  # nothing half-saved


def test_key_from_environment(headwater_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reset_settings()
    Secret(value="env-key-secret").save("e")
    assert not (headwater_home / "encryption.key").exists()
    assert Secret.load("e").get() == "env-key-secret"

    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with pytest.raises(
        BlockDocumentError, match=r"'secret/e' cannot be decrypted.*another encryption key"
    ):
        Secret.load("e")


def test_invalid_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", "not-a-fernet-key")
    with pytest.raises(
        ConfigurationError, match="HEADWATER_ENCRYPTION_KEY is not a valid Fernet key"
    ) as info:
        Secret(value="abcdef").save("x")
    assert "not-a-fernet-key" not in str(info.value)
    assert Block.list_documents() == []


def _tamper(slug: str, name: str, data: str) -> None:
    """Replace the document's JSON text through the store (which encrypts it)."""
    store = get_store()
    record = store.read_block_document(slug, name)
    record.data = data
    store.save_block_document(record, overwrite=True)


def _tamper_at_rest(slug: str, name: str, token: str) -> None:
    """Replace the encrypted column itself, as damage or another key would leave it."""
    from headwater._store.database import Database

    def update(tx: Database) -> None:
        tx.execute(
            "UPDATE block_documents SET data = ? WHERE block_type_slug = ? AND name = ?",
            (token, slug, name),
        )

    get_store()._db.write(update)  # type: ignore[attr-defined]


def test_undecryptable_document(store_url: str) -> None:
    Secret(value="abcdef").save("tampered")
    _tamper_at_rest("secret", "tampered", "gAAAAABnot-a-real-token")
    with pytest.raises(BlockDocumentError, match="'secret/tampered' cannot be decrypted"):
        Secret.load("tampered")


def test_invalid_json_after_decryption(store_url: str) -> None:
    from headwater._store.encryption import encrypt

    Secret(value="abcdef").save("badjson")
    _tamper_at_rest("secret", "badjson", encrypt(b"{not json"))
    with pytest.raises(
        BlockDocumentError, match="'secret/badjson' is corrupted: its data is not valid JSON"
    ):
        Secret.load("badjson")
    _tamper("secret", "badjson", "[1, 2]")
    with pytest.raises(BlockDocumentError, match="not a JSON object"):
        Secret.load("badjson")


def test_document_that_no_longer_fits_the_class(store_url: str) -> None:
    EncryptionTestBlock(host="h", password="pw-secret-99").save("drifted")
    _tamper(
        "encryption-test-block",
        "drifted",
        '{"host": 5, "password": "pw-secret-99", "extra": 1}',
    )
    with pytest.raises(BlockDocumentError) as info:
        EncryptionTestBlock.load("drifted")
    text = str(info.value)
    assert "'encryption-test-block/drifted' does not fit EncryptionTestBlock" in text
    assert "host" in text
    assert "extra" in text
    assert "pw-secret-99" not in text


def test_blocks_encryption_re_exports_the_store_layer() -> None:
    """The code moved into the store layer; the old import path still works."""
    import headwater._store.encryption as store_encryption
    import headwater.blocks.encryption as blocks_encryption

    assert blocks_encryption.__all__ == store_encryption.__all__
    for name in store_encryption.__all__:
        assert getattr(blocks_encryption, name) is getattr(store_encryption, name)
