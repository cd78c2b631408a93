"""Block documents as the server speaks them: editing with masked secrets
(``keep_masked_secrets``) and the embedded store's encryption at rest. The HTTP
side (endpoints, HttpStore, CLI) is in core/tests/server/test_server_blocks.py,
where the real server fixture lives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, BlockDocumentError, CredentialsBlock, Secret, SecretDict
from headwater.blocks.documents import keep_masked_secrets


class HttpTestCredentials(CredentialsBlock):
    """Credentials with a secret, nested in other blocks."""

    key_id: str
    secret_key: SecretStr

    def get_client(self) -> str:
        return f"key:{self.key_id}"


class HttpTestTokenCredentials(CredentialsBlock):
    """The other member of a union of credentials."""

    token: SecretStr

    def get_client(self) -> str:
        return "token"


class HttpTestWarehouse(Block):
    """A block with top-level secrets, a dict secret and nested credentials."""

    host: str
    password: SecretStr
    api_key: SecretStr | None = None
    headers: SecretDict | None = None
    credentials: HttpTestCredentials | HttpTestTokenCredentials | None = None


# -- keep_masked_secrets ------------------------------------------------------------------


def test_keep_masked_secrets_keeps_masked_empty_and_absent_top_level_secrets() -> None:
    stored = {"host": "old", "password": "pw-stored", "api_key": "key-stored"}
    submitted = {"host": "new", "password": "********"}
    kept = keep_masked_secrets(HttpTestWarehouse, submitted, stored)
    assert kept == {"host": "new", "password": "pw-stored", "api_key": "key-stored"}
    assert submitted == {"host": "new", "password": "********"}  # not changed in place
    # Empty and None count as "not retyped"; pydantic's own ten-star mask too.
    for value in ("", None, "**********"):
        kept = keep_masked_secrets(HttpTestWarehouse, {"host": "h", "password": value}, stored)
        assert kept["password"] == "pw-stored"


def test_keep_masked_secrets_new_value_replaces_and_plain_fields_are_untouched() -> None:
    stored = {"host": "old", "password": "pw-stored"}
    kept = keep_masked_secrets(
        HttpTestWarehouse, {"host": "", "password": "env://NEW_PASSWORD"}, stored
    )
    assert kept == {"host": "", "password": "env://NEW_PASSWORD"}


def test_keep_masked_secrets_without_a_stored_document_drops_the_mask() -> None:
    kept = keep_masked_secrets(
        HttpTestWarehouse, {"host": "h", "password": "********", "api_key": "k"}, None
    )
    assert kept == {"host": "h", "api_key": "k"}  # a required secret is then reported missing


def test_keep_masked_secrets_walks_dict_secrets_per_entry() -> None:
    stored = {"host": "h", "password": "p", "headers": {"auth": "tok-1", "trace": "t-1"}}
    submitted = {
        "host": "h",
        "password": "********",
        "headers": {"auth": "********", "trace": "t-2", "extra": "********", "ref": "env://X"},
    }
    kept = keep_masked_secrets(HttpTestWarehouse, submitted, stored)
    assert kept["headers"] == {"auth": "tok-1", "trace": "t-2", "ref": "env://X"}


def test_keep_masked_secrets_in_nested_inline_blocks_stored_and_plain_form() -> None:
    inline_stored = {
        "$block": {
            "block_type_slug": "http-test-credentials",
            "schema_version": 1,
            "data": {"key_id": "AK1", "secret_key": "sk-stored"},
        }
    }
    stored = {"host": "h", "password": "p", "credentials": inline_stored}
    # Stored form ("$block") submitted back with the nested secret masked.
    submitted = {
        "host": "h",
        "password": "p",
        "credentials": {
            "$block": {
                "block_type_slug": "http-test-credentials",
                "schema_version": 1,
                "data": {"key_id": "AK2", "secret_key": "********"},
            }
        },
    }
    kept = keep_masked_secrets(HttpTestWarehouse, submitted, stored)
    assert kept["credentials"]["$block"]["data"] == {"key_id": "AK2", "secret_key": "sk-stored"}
    # Plain field dict (a form): the union member is found from the fields.
    plain = {"host": "h", "password": "p", "credentials": {"key_id": "AK3", "secret_key": ""}}
    kept = keep_masked_secrets(HttpTestWarehouse, plain, stored)
    assert kept["credentials"] == {"key_id": "AK3", "secret_key": "sk-stored"}
    token_form = {"host": "h", "password": "p", "credentials": {"token": "********"}}
    stored_token = {"host": "h", "password": "p", "credentials": {"token": "tok-stored"}}
    kept = keep_masked_secrets(HttpTestWarehouse, token_form, stored_token)
    assert kept["credentials"] == {"token": "tok-stored"}


def test_keep_masked_secrets_leaves_references_to_saved_documents() -> None:
    ref = {"$ref": {"block_document_id": "abc", "block_type_slug": "http-test-credentials"}}
    kept = keep_masked_secrets(
        HttpTestWarehouse, {"host": "h", "password": "p", "credentials": ref}, None
    )
    assert kept["credentials"] == ref


# -- encryption at rest moved into the embedded store --------------------------------------


def _raw_row(slug: str, name: str) -> str:
    from headwater._store import get_embedded_store

    row = get_embedded_store()._db.fetchone(
        "SELECT data FROM block_documents WHERE block_type_slug = ? AND name = ?", (slug, name)
    )
    assert row is not None
    return str(row[0])


def test_records_carry_plain_json_and_the_table_holds_it_encrypted(store_url: str) -> None:
    from headwater._store import get_store
    from headwater._store.encryption import decrypt

    HttpTestCredentials(key_id="AK1", secret_key="sk-at-rest-4242").save("plain")
    record = get_store().read_block_document("http-test-credentials", "plain")
    assert json.loads(record.data) == {"key_id": "AK1", "secret_key": "sk-at-rest-4242"}
    assert record.error is None
    stored = _raw_row("http-test-credentials", "plain")
    assert "sk-at-rest-4242" not in stored
    # Exactly the format the block layer wrote before: Fernet over the compact, sorted JSON.
    assert decrypt(stored) == b'{"key_id":"AK1","secret_key":"sk-at-rest-4242"}'


def test_a_document_written_by_the_old_code_path_still_loads(store_url: str) -> None:
    """Before the store encrypted, the block layer did, and inserted the token itself."""
    from headwater._store import get_embedded_store
    from headwater._store.database import Database
    from headwater._store.encryption import encrypt

    plaintext = json.dumps(
        {"host": "legacy.example", "password": "pw-legacy-1234"},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    token = encrypt(plaintext)

    def insert(tx: Database) -> None:
        tx.execute(
            "INSERT INTO block_documents "
            "(id, block_type_slug, name, schema_version, data, created, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("legacy-id", "http-test-warehouse", "legacy", 1, token, 1.0, 1.0),
        )

    get_embedded_store()._db.write(insert)
    block = HttpTestWarehouse.load("legacy")
    assert block.host == "legacy.example"
    assert block.password.get_secret_value() == "pw-legacy-1234"
    assert block.block_document_id == "legacy-id"
    # Saving it again writes the same format.
    block.save("legacy", overwrite=True)
    assert json.loads(_decrypted(_raw_row("http-test-warehouse", "legacy"))) == {
        "credentials": None,
        "api_key": None,
        "headers": None,
        "host": "legacy.example",
        "password": "pw-legacy-1234",
    }


def _decrypted(token: str) -> str:
    from headwater._store.encryption import decrypt

    return decrypt(token).decode("utf-8")


def test_an_undecryptable_row_is_listed_with_its_error(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    from headwater._store import get_store
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reset_settings()
    Secret(value="first-key-value").save("old")
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reset_settings()
    Secret(value="second-key-value").save("new")
    records = {r.name: r for r in get_store().read_block_documents("secret")}
    assert records["new"].error is None
    assert records["old"].data == ""
    assert "'secret/old' cannot be decrypted" in str(records["old"].error)
    assert "HEADWATER_ENCRYPTION_KEY" in str(records["old"].error)
    assert [d.name for d in Secret.list_documents()] == ["new", "old"]  # listing still works
    with pytest.raises(BlockDocumentError, match="'secret/old' cannot be decrypted"):
        Secret.load("old")
    assert Secret.load("new").get() == "second-key-value"


def test_a_key_problem_on_save_writes_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.errors import ConfigurationError
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", "not-a-key")
    reset_settings()
    with pytest.raises(ConfigurationError, match="not a valid Fernet key"):
        Secret(value="never-saved").save("k")
    monkeypatch.delenv("HEADWATER_ENCRYPTION_KEY")
    reset_settings()
    assert Secret.list_documents() == []


def test_threads_racing_to_create_the_key_file_agree(headwater_home: Path) -> None:
    import threading

    from headwater._store.encryption import decrypt, encrypt

    barrier = threading.Barrier(8)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            tokens.append(encrypt(b"same-key"))
        except BaseException as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert all(decrypt(t) == b"same-key" for t in tokens)  # one key for all of them
    assert [p.name for p in headwater_home.iterdir() if "encryption.key" in p.name] == [
        "encryption.key"
    ]


# -- masked_document ----------------------------------------------------------------------


class HttpTestFleet(Block):
    """Blocks in a container are stored inline without markers: masked whole."""

    label: str
    members: list[HttpTestCredentials] = []


def test_masked_document_masks_by_the_class_schema() -> None:
    from headwater.blocks.documents import masked_document

    data = {
        "host": "h",
        "password": "pw-literal",
        "api_key": "env://API_KEY",
        "headers": {"auth": "tok", "trace": "env://TRACE", "n": 3},
        "credentials": {
            "$block": {
                "block_type_slug": "http-test-credentials",
                "schema_version": 1,
                "data": {"key_id": "AK", "secret_key": "sk"},
            }
        },
        "renamed_old_field": "maybe-a-secret",
    }
    masked = masked_document(HttpTestWarehouse, data)
    assert masked == {
        "host": "h",
        "password": "********",
        "api_key": "env://API_KEY",
        "headers": {"auth": "********", "trace": "env://TRACE", "n": "********"},
        "credentials": {
            "$block": {
                "block_type_slug": "http-test-credentials",
                "schema_version": 1,
                "data": {"key_id": "AK", "secret_key": "********"},
            }
        },
        "renamed_old_field": "********",  # not declared by the class: masked whole
    }
    ref = {"$ref": {"block_document_id": "d1", "block_type_slug": "http-test-credentials"}}
    assert masked_document(HttpTestWarehouse, {"credentials": ref}) == {"credentials": ref}
    # No class (the type is not installed): nothing but references and nulls is shown.
    assert masked_document(None, {"a": "x", "b": {"c": 1, "d": "env://D"}, "e": None}) == {
        "a": "********",
        "b": {"c": "********", "d": "env://D"},
        "e": None,
    }
    fleet = {"label": "f", "members": [{"key_id": "AK", "secret_key": "sk-in-list"}]}
    assert masked_document(HttpTestFleet, fleet) == {
        "label": "f",
        "members": [{"key_id": "********", "secret_key": "********"}],
    }


def test_masked_container_of_blocks_round_trips_through_keep_masked_secrets() -> None:
    from headwater.blocks.documents import masked_document

    stored = {"label": "f", "members": [{"key_id": "AK", "secret_key": "sk-in-list"}]}
    edited = masked_document(HttpTestFleet, stored)
    edited["label"] = "g"
    kept = keep_masked_secrets(HttpTestFleet, edited, stored)
    assert kept == {"label": "g", "members": [{"key_id": "AK", "secret_key": "sk-in-list"}]}
    replaced = {"label": "g", "members": [{"key_id": "AK2", "secret_key": "********"}]}
    assert keep_masked_secrets(HttpTestFleet, replaced, stored)["members"] == [
        {"key_id": "AK2", "secret_key": "sk-in-list"}
    ]
