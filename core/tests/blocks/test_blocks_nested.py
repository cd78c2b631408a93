"""Nested blocks: saved ones by reference (rotation reaches every parent), unions, inline."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, BlockDocumentError, CredentialsBlock


class NestedTestKeyCredentials(CredentialsBlock):
    """Key-based credentials."""

    key_id: str
    secret_key: SecretStr

    def get_client(self) -> str:
        return f"key:{self.key_id}"


class NestedTestTokenCredentials(CredentialsBlock):
    """Token-based credentials."""

    token: SecretStr

    def get_client(self) -> str:
        return "token"


class NestedTestBucket(Block):
    """A bucket that accepts either kind of credentials."""

    bucket: str
    credentials: NestedTestKeyCredentials | NestedTestTokenCredentials


class NestedTestPipeline(Block):
    """Two levels of nesting."""

    source: NestedTestBucket
    retries: int = 1


def test_saved_nested_block_is_a_reference(store_url: str) -> None:
    creds = NestedTestKeyCredentials(key_id="AK1", secret_key="sk-one-111")
    creds.save("shared")
    NestedTestBucket(bucket="raw", credentials=creds).save("raw")
    NestedTestBucket(bucket="clean", credentials=creds).save("clean")

    # Rotate the credentials: every bucket sees the new value.
    NestedTestKeyCredentials(key_id="AK2", secret_key="sk-two-222").save("shared", overwrite=True)
    for name in ("raw", "clean"):
        bucket = NestedTestBucket.load(name)
        assert isinstance(bucket.credentials, NestedTestKeyCredentials)
        assert bucket.credentials.key_id == "AK2"
        assert bucket.credentials.secret_key.get_secret_value() == "sk-two-222"
        assert bucket.credentials.block_document_name == "shared"
    assert NestedTestBucket.secret_fields() == [
        "credentials.secret_key",
        "credentials.token",
    ]


def test_unsaved_nested_block_is_inline_and_unions_pick_the_right_class() -> None:
    bucket = NestedTestBucket(
        bucket="b", credentials=NestedTestTokenCredentials(token="tok-inline-1")
    )
    bucket.save("inline")
    loaded = NestedTestBucket.load("inline")
    assert isinstance(loaded.credentials, NestedTestTokenCredentials)
    assert loaded.credentials.token.get_secret_value() == "tok-inline-1"
    assert loaded.credentials.block_document_name is None
    assert "tok-inline-1" not in repr(loaded)
    assert loaded.model_dump(mode="json")["credentials"] == {"token": "**********"}


def test_two_levels_and_resave_keeps_references() -> None:
    creds = NestedTestTokenCredentials(token="tok-deep-1")
    creds.save("deep")
    bucket = NestedTestBucket(bucket="b", credentials=creds)
    bucket.save("mid")
    NestedTestPipeline(source=bucket).save("top")

    loaded = NestedTestPipeline.load("top")
    loaded.retries = 3
    loaded.save("top", overwrite=True)
    NestedTestTokenCredentials(token="tok-deep-2").save("deep", overwrite=True)
    again = NestedTestPipeline.load("top")
    assert again.retries == 3
    assert isinstance(again.source.credentials, NestedTestTokenCredentials)
    assert again.source.credentials.token.get_secret_value() == "tok-deep-2"


def test_deleted_nested_document_is_a_clear_error() -> None:
    creds = NestedTestTokenCredentials(token="tok-gone-1")
    creds.save("gone")
    NestedTestBucket(bucket="b", credentials=creds).save("orphan")
    NestedTestTokenCredentials.delete("gone")
    with pytest.raises(
        BlockDocumentError,
        match=r"'nested-test-bucket/orphan': field 'credentials' refers to a nested-test-token-credentials block .* no longer exists",
    ):
        NestedTestBucket.load("orphan")
