"""Block documents over HTTP: the ``/api/block_*`` endpoints, the HttpStore's block methods
(``Block.save``/``load``/``delete`` with ``HEADWATER_API_URL`` set) and ``headwater block``
in HTTP mode, against a real uvicorn server over SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from headwater import _store
from headwater.blocks import Block, BlockNotFound, CredentialsBlock, Secret
from headwater.blocks.documents import decode_record
from headwater.errors import AuthorizationError
from headwater.settings import reset_settings

PASSWORD = "pw-needle-5150"
SECRET_KEY = "sk-needle-8086"
TOKEN = "tok-needle-6502"


class ApiKeyCredentials(CredentialsBlock):
    """Credentials saved on their own and shared by reference."""

    key_id: str
    secret_key: SecretStr

    def get_client(self) -> str:
        return f"key:{self.key_id}"


class ApiTokenCredentials(CredentialsBlock):
    """Credentials kept inline in the block that uses them."""

    token: SecretStr

    def get_client(self) -> str:
        return "token"


class ApiWarehouse(Block):
    """A block with a literal secret, a referenced secret and two nested credentials."""

    host: str
    port: int = 5432
    password: SecretStr
    fallback_password: SecretStr | None = None
    credentials: ApiKeyCredentials
    backup_credentials: ApiTokenCredentials | None = None


WAREHOUSE = "api-warehouse"


def _set_api_url(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    if url is None:
        monkeypatch.delenv("HEADWATER_API_URL", raising=False)
    else:
        monkeypatch.setenv("HEADWATER_API_URL", url)
    reset_settings()
    _store.reset_store()


@pytest.fixture
def http_mode(server_url: str, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """This process talks HTTP to the server, which serves ``store_url``'s database."""
    _set_api_url(monkeypatch, server_url)
    assert type(_store.get_store()).__name__ == "HttpStore"
    yield server_url
    _set_api_url(monkeypatch, None)


@contextmanager
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Talk to the same database directly for a while, then go back to HTTP."""
    url = os.environ.get("HEADWATER_API_URL")
    _set_api_url(monkeypatch, None)
    try:
        yield
    finally:
        _set_api_url(monkeypatch, url)


def _save_warehouse(name: str = "prod") -> ApiWarehouse:
    creds = ApiKeyCredentials(key_id="AK1", secret_key=SECRET_KEY)
    creds.save("shared", overwrite=True)
    warehouse = ApiWarehouse(
        host="db.example.com",
        password=PASSWORD,
        fallback_password="env://API_FALLBACK_PASSWORD",
        credentials=creds,
        backup_credentials=ApiTokenCredentials(token=TOKEN),
    )
    warehouse.save(name, overwrite=True)
    return warehouse


def _assert_full(block: ApiWarehouse) -> None:
    assert block.host == "db.example.com"
    assert block.password.get_secret_value() == PASSWORD
    assert block.credentials.secret_key.get_secret_value() == SECRET_KEY
    assert block.credentials.block_document_name == "shared"
    assert block.backup_credentials is not None
    assert block.backup_credentials.token.get_secret_value() == TOKEN


# -- the HttpStore: Block.save / load / delete over HTTP ----------------------------------


def test_blocks_round_trip_over_http_and_with_the_embedded_store(
    http_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = _save_warehouse()
    loaded = ApiWarehouse.load("prod")
    _assert_full(loaded)
    assert loaded.block_document_id == saved.block_document_id
    monkeypatch.setenv("API_FALLBACK_PASSWORD", "resolved-here")
    assert loaded.fallback_password is not None
    assert loaded.fallback_password.get_secret_value() == "resolved-here"  # resolved client-side

    with embedded(monkeypatch):  # the same database, read directly
        direct = ApiWarehouse.load("prod")
        _assert_full(direct)
        assert direct.block_document_id == saved.block_document_id
        # ... and written directly, read back over HTTP.
        ApiKeyCredentials(key_id="AK2", secret_key="sk-rotated-2").save("shared", overwrite=True)
        Secret(value="written-directly").save("direct")

    rotated = ApiWarehouse.load("prod")
    assert rotated.credentials.key_id == "AK2"  # nested by reference: rotation reaches it
    assert rotated.credentials.secret_key.get_secret_value() == "sk-rotated-2"
    assert Secret.load("direct").get() == "written-directly"
    assert {d.reference for d in Block.list_documents()} == {
        "api-key-credentials/shared",
        "api-warehouse/prod",
        "secret/direct",
    }


def test_overwrite_and_delete_over_http(http_mode: str) -> None:
    Secret(value="first-value").save("k")
    with pytest.raises(ValueError, match="'secret/k' already exists"):
        Secret(value="second-value").save("k")
    assert Secret.load("k").get() == "first-value"
    first_id = Secret.load("k").block_document_id
    Secret(value="second-value").save("k", overwrite=True)
    assert Secret.load("k").get() == "second-value"
    assert Secret.load("k").block_document_id == first_id  # replaced in place
    Secret.delete("k")
    with pytest.raises(BlockNotFound, match="'secret/k'"):
        Secret.load("k")
    with pytest.raises(BlockNotFound):
        Secret.delete("k")


def test_invalid_block_over_http_is_a_value_error_and_saves_nothing(
    http_mode: str, client: httpx.Client
) -> None:
    from headwater._store import BlockDocumentRecord

    record = BlockDocumentRecord(
        "a1", WAREHOUSE, "broken", 1, json.dumps({"host": "h", "port": "not-a-port"}), 0.0, 0.0
    )
    with pytest.raises(ValueError, match=r"api-warehouse/broken.*port.*password"):
        _store.get_store().save_block_document(record)
    assert client.get(f"/api/block_documents/{WAREHOUSE}/broken").status_code == 404


def test_a_read_only_key_cannot_load_blocks(
    http_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Secret(value="guarded-value").save("guarded")
    monkeypatch.setenv("HEADWATER_SERVER_ADMIN_TOKEN", "admin-token-1234567890")
    monkeypatch.setenv("HEADWATER_SERVER_READ_TOKEN", "read-token-1234567890")
    monkeypatch.setenv("HEADWATER_API_KEY", "read-token-1234567890")
    reset_settings()
    _store.reset_store()
    try:
        with pytest.raises(AuthorizationError, match="needs the admin key") as info:
            Secret.load("guarded")
        assert "read-token-1234567890" not in str(info.value)
        monkeypatch.setenv("HEADWATER_API_KEY", "admin-token-1234567890")
        reset_settings()
        _store.reset_store()
        assert Secret.load("guarded").get() == "guarded-value"
    finally:
        for name in ("HEADWATER_SERVER_ADMIN_TOKEN", "HEADWATER_SERVER_READ_TOKEN"):
            monkeypatch.delenv(name)
        reset_settings()


# -- the endpoints ------------------------------------------------------------------------


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_documents_are_masked_by_default(
    client: httpx.Client, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_FALLBACK_PASSWORD", "resolved-never-sent")
    saved = _save_warehouse()
    for response in (
        client.get(f"/api/block_documents/{WAREHOUSE}/prod"),
        client.get(f"/api/block_documents/by-id/{saved.block_document_id}"),
        client.get("/api/block_documents"),
    ):
        assert response.status_code == 200
        for needle in (PASSWORD, SECRET_KEY, TOKEN, "resolved-never-sent"):
            assert needle not in response.text
    doc = _get(client, f"/api/block_documents/{WAREHOUSE}/prod")
    assert doc["address"] == "api-warehouse/prod"
    assert doc["error"] is None
    data = doc["data"]
    assert data["host"] == "db.example.com"
    assert data["port"] == 5432
    assert data["password"] == "********"
    assert data["fallback_password"] == "env://API_FALLBACK_PASSWORD"  # shown as written
    assert data["credentials"] == {
        "$ref": {
            "block_document_id": saved.credentials.block_document_id,
            "block_type_slug": "api-key-credentials",
        }
    }
    assert data["backup_credentials"]["$block"]["data"] == {"token": "********"}
    shared = _get(client, "/api/block_documents/api-key-credentials/shared")
    assert shared["data"] == {"key_id": "AK1", "secret_key": "********"}


def test_include_secrets_returns_stored_values_and_is_audited(
    client: httpx.Client, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _save_warehouse()
    logger = logging.getLogger("headwater.server.audit")
    # Attach to the audit logger itself: the headwater logger may not propagate to the root
    # logger that caplog listens on (it depends on which tests configured logging first).
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            doc = _get(client, f"/api/block_documents/{WAREHOUSE}/prod", include_secrets="true")
        assert doc["data"]["password"] == PASSWORD
        assert doc["data"]["fallback_password"] == "env://API_FALLBACK_PASSWORD"
        assert doc["data"]["backup_credentials"]["$block"]["data"] == {"token": TOKEN}
        audit = list({id(r): r for r in caplog.records if r.name == logger.name}.values())
        assert len(audit) == 1
        assert "api-warehouse/prod" in audit[0].getMessage()
        assert PASSWORD not in audit[0].getMessage()
        with caplog.at_level(logging.WARNING, logger=logger.name):
            _get(client, f"/api/block_documents/{WAREHOUSE}/prod")
        again = {id(r) for r in caplog.records if r.name == logger.name}
        assert len(again) == 1
    finally:
        logger.removeHandler(caplog.handler)


def test_include_secrets_needs_the_admin_role(
    client: httpx.Client, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Secret(value="admin-only-value").save("guarded")
    monkeypatch.setenv("HEADWATER_SERVER_ADMIN_TOKEN", "admin-token-1234567890")
    monkeypatch.setenv("HEADWATER_SERVER_READ_TOKEN", "read-token-1234567890")
    reset_settings()
    read = {"Authorization": "Bearer read-token-1234567890"}
    admin = {"Authorization": "Bearer admin-token-1234567890"}
    path = "/api/block_documents/secret/guarded"
    masked = client.get(path, headers=read)
    assert masked.status_code == 200
    assert masked.json()["data"] == {"value": "********"}
    refused = client.get(path, params={"include_secrets": "true"}, headers=read)
    assert refused.status_code == 403
    assert "admin-only-value" not in refused.text
    listing = client.get("/api/block_documents", params={"include_secrets": "true"}, headers=read)
    assert listing.status_code == 403
    allowed = client.get(path, params={"include_secrets": "true"}, headers=admin)
    assert allowed.json()["data"] == {"value": "admin-only-value"}
    body = {"block_type_slug": "secret", "name": "new", "data": {"value": "v-12345"}}
    assert client.post("/api/block_documents", json=body, headers=read).status_code == 403
    assert client.put(f"{path}", json={"data": {"value": "x"}}, headers=read).status_code == 403
    assert client.delete(path, headers=read).status_code == 403
    assert client.get(path, params={"include_secrets": "true"}).status_code == 401


def test_create_replace_delete_through_the_api(client: httpx.Client, store_url: str) -> None:
    body = {
        "block_type_slug": "secret",
        "name": "api-made",
        "data": {"value": "made-over-http"},
        "schema_version": 1,
    }
    created = client.post("/api/block_documents", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["data"] == {"value": "********"}
    assert Secret.load("api-made").get() == "made-over-http"

    again = client.post("/api/block_documents", json=body)
    assert again.status_code == 409
    assert "'secret/api-made'" in again.json()["detail"]

    replaced = client.put("/api/block_documents/secret/api-made", json={"data": {"value": "v2"}})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == created.json()["id"]
    assert Secret.load("api-made").get() == "v2"
    # PUT creates too.
    assert client.put("/api/block_documents/secret/put-made", json=body).status_code == 200
    assert Secret.load("put-made").get() == "made-over-http"

    # An id that names another document is refused, not silently reused.
    taken_id = {**body, "name": "other", "id": created.json()["id"]}
    clash = client.post("/api/block_documents", json=taken_id)
    assert clash.status_code == 409
    assert "'secret/api-made'" in clash.json()["detail"]

    assert client.delete("/api/block_documents/secret/api-made").status_code == 204
    gone = client.delete("/api/block_documents/secret/api-made")
    assert gone.status_code == 404
    assert "'secret/api-made'" in gone.json()["detail"]
    assert client.get("/api/block_documents/secret/api-made").status_code == 404


def test_put_with_masked_secrets_keeps_the_stored_ones(
    client: httpx.Client, store_url: str
) -> None:
    _save_warehouse()
    masked = _get(client, f"/api/block_documents/{WAREHOUSE}/prod")["data"]
    masked["host"] = "db2.example.com"
    response = client.put(f"/api/block_documents/{WAREHOUSE}/prod", json={"data": masked})
    assert response.status_code == 200, response.text
    loaded = ApiWarehouse.load("prod")
    assert loaded.host == "db2.example.com"
    _assert_full(loaded.model_copy(update={"host": "db.example.com"}))

    # A new value replaces; a blank keeps.
    masked["password"] = "pw-new-value"
    masked["backup_credentials"]["$block"]["data"]["token"] = ""
    assert client.put(f"/api/block_documents/{WAREHOUSE}/prod", json={"data": masked}).is_success
    loaded = ApiWarehouse.load("prod")
    assert loaded.password.get_secret_value() == "pw-new-value"
    assert loaded.backup_credentials is not None
    assert loaded.backup_credentials.token.get_secret_value() == TOKEN


def test_bad_data_is_a_422_naming_the_field_and_writes_nothing(
    client: httpx.Client, store_url: str
) -> None:
    body: dict[str, Any] = {
        "block_type_slug": WAREHOUSE,
        "name": "bad",
        "data": {"host": "h", "port": "leaked-port-value", "password": "pw-leak-3141"},
    }
    response = client.post("/api/block_documents", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'api-warehouse/bad'" in detail
    assert "port" in detail
    assert "credentials" in detail  # missing
    assert "leaked-port-value" not in response.text
    assert "pw-leak-3141" not in response.text
    assert client.get(f"/api/block_documents/{WAREHOUSE}/bad").status_code == 404

    # A replace that does not fit leaves the stored document as it was.
    Secret(value="kept-value").save("stays")
    bad = client.put("/api/block_documents/secret/stays", json={"data": {"nope": 1}})
    assert bad.status_code == 422
    assert "nope" in bad.json()["detail"]
    assert Secret.load("stays").get() == "kept-value"

    # A reference to a missing nested document, a bad name, a bad secret reference.
    ref = {"$ref": {"block_document_id": "missing-id", "block_type_slug": "api-key-credentials"}}
    body["data"] = {"host": "h", "password": "p", "credentials": ref}
    assert "credentials" in client.post("/api/block_documents", json=body).json()["detail"]
    body["name"] = "Bad Name"
    named = client.post("/api/block_documents", json=body)
    assert named.status_code == 422
    assert "'api-warehouse/Bad Name'" in named.json()["detail"]
    reference = {"block_type_slug": "secret", "name": "r", "data": {"value": "env://bad name"}}
    bad_ref = client.post("/api/block_documents", json=reference)
    assert bad_ref.status_code == 422
    assert "value" in bad_ref.json()["detail"]
    assert [d.reference for d in Block.list_documents()] == ["secret/stays"]


def test_a_type_not_installed_on_the_server(client: httpx.Client, store_url: str) -> None:
    body = {
        "block_type_slug": "gcp-credentials",
        "name": "remote",
        "data": {"aws_access_key_id": "AKIA", "aws_secret_access_key": "aws-needle-2718"},
        "schema_version": 1,
    }
    created = client.post("/api/block_documents", json=body)
    assert created.status_code == 201, created.text  # clients that have the package use it
    assert "aws-needle-2718" not in created.text
    doc = _get(client, "/api/block_documents/gcp-credentials/remote")
    assert doc["data"] is None
    assert "pip install headwater-gcp" in doc["error"]
    revealed = _get(client, "/api/block_documents/gcp-credentials/remote", include_secrets="1")
    assert revealed["data"]["aws_secret_access_key"] == "aws-needle-2718"
    # The server cannot tell which masked value to keep: it refuses the mask.
    masked = {"data": {"aws_access_key_id": "AKIA", "aws_secret_access_key": "********"}}
    refused = client.put("/api/block_documents/gcp-credentials/remote", json=masked)
    assert refused.status_code == 422
    assert "aws_secret_access_key" in refused.json()["detail"]
    assert "not installed" in refused.json()["detail"]


def test_block_types_one_by_slug(client: httpx.Client) -> None:
    one = _get(client, f"/api/block_types/{WAREHOUSE}")
    assert one["slug"] == WAREHOUSE
    assert set(one["secret_fields"]) == {"password", "fallback_password"}
    assert "password" in one["block_schema"]["properties"]
    missing = client.get("/api/block_types/gcp-credentials")
    assert missing.status_code == 404
    assert "pip install headwater-gcp" in missing.json()["detail"]
    assert client.get("/api/block_types/no-such-type").status_code == 404


def test_undecryptable_document_is_reported_not_hidden(
    client: httpx.Client, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reset_settings()
    Secret(value="old-key-value").save("old")
    monkeypatch.setenv("HEADWATER_ENCRYPTION_KEY", Fernet.generate_key().decode())
    reset_settings()
    Secret(value="new-key-value").save("new")
    docs = {d["address"]: d for d in _get(client, "/api/block_documents")}
    assert docs["secret/new"]["data"] == {"value": "********"}
    assert docs["secret/old"]["data"] is None
    assert "another encryption key" in docs["secret/old"]["error"]


# -- headwater block ... with HEADWATER_API_URL set ----------------------------------------


def test_block_cli_over_http(
    http_mode: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from headwater.cli import app

    runner = CliRunner()
    spec = tmp_path / "blocks.yaml"
    spec.write_text(
        "- type: secret\n  name: cli-made\n  data:\n    value: env://CLI_HTTP_SECRET\n",
        encoding="utf-8",
    )
    applied = runner.invoke(app, ["block", "apply", "-f", str(spec)])
    assert applied.exit_code == 0, applied.output
    Secret(value="cli-literal-1618").save("literal")

    listed = runner.invoke(app, ["block", "ls", "-o", "json"])
    assert listed.exit_code == 0, listed.output
    assert {row["name"] for row in json.loads(listed.stdout)} == {"cli-made", "literal"}

    inspected = runner.invoke(app, ["block", "inspect", "secret/literal", "-o", "json"])
    assert inspected.exit_code == 0, inspected.output
    assert "cli-literal-1618" not in inspected.output
    assert "********" in inspected.output
    shown = runner.invoke(app, ["block", "inspect", "secret/cli-made"])
    assert "env://CLI_HTTP_SECRET" in shown.output

    deleted = runner.invoke(app, ["block", "delete", "secret/cli-made", "--yes"])
    assert deleted.exit_code == 0, deleted.output
    with embedded(monkeypatch):  # gone from the server's database
        assert [d.name for d in Secret.list_documents()] == ["literal"]


# -- a record read straight from the embedded store decodes the same ----------------------


def test_embedded_records_decode_with_an_explicit_store(http_mode: str) -> None:
    _save_warehouse()
    sql = _store.get_embedded_store()
    record = sql.read_block_document(WAREHOUSE, "prod")
    block = decode_record(ApiWarehouse, record, store=sql)
    assert isinstance(block, ApiWarehouse)
    _assert_full(block)
