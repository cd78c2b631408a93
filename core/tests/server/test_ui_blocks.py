"""The blocks pages over a real server (SQLite and PostgreSQL): list by type, inspect with
secrets masked, create / edit / delete through the generated forms with the CSRF token,
secrets write-only (an edit that leaves them blank keeps them), unions and nested blocks."""

from __future__ import annotations

import html
import re
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field, SecretStr, model_validator

from headwater.blocks import (
    Block,
    BlockTypeInfo,
    SecretDict,
    get_block_class,
    registered_block_types,
)
from headwater.variables import Variable


class UiTestCreds(Block):
    """Key credentials for the UI tests."""

    key_id: str
    secret_key: SecretStr


class UiTestToken(Block):
    """Token credentials for the UI tests."""

    token: SecretStr


class UiTestBucket(Block):
    """A bucket that takes either kind of credentials."""

    bucket: str
    credentials: UiTestCreds | UiTestToken
    region: Literal["eu", "us"] = "eu"
    backup: UiTestCreds | str = "none"


class UiTestApiKey(BaseModel):
    """API-key authentication."""

    api_key: str


class UiTestLogin(BaseModel):
    """User login."""

    user: str
    port: int = 22


class UiTestService(Block):
    """A service with a union of plain objects and secrets."""

    url: str = Field(description="Where the service lives.")
    password: SecretStr
    headers: SecretDict | None = None
    auth: UiTestApiKey | UiTestLogin
    retries: int = Field(default=2, ge=0, le=5)
    tags: list[str] = []
    verbose: bool = False


class UiTestRange(Block):
    """A range whose bounds are checked together."""

    lo: int
    hi: int

    @model_validator(mode="after")
    def _ordered(self) -> UiTestRange:
        if self.lo > self.hi:
            raise ValueError("lo must not exceed hi")
        return self


SECRETS = ("pw-ui-secret-111", "hdr-ui-secret-222", "sk-ui-secret-333", "tok-ui-secret-444")


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


def _get(client: httpx.Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text[:2000]
    return response.text


def _post(
    client: httpx.Client, form_path: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """GET the form (CSRF cookie and field), then POST ``data`` with the token to ``action``."""
    token = _token(_get(client, form_path))
    return client.post(action, data={"csrf_token": token, **data})


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="field-error"[^>]*>([^<]*)<', page)]


def _no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def _service_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "api",
        "f.url": "https://api.example.com",
        "f.password": SECRETS[0],
        "f.headers": '{"Authorization": "Bearer ' + SECRETS[1] + '", "X-Env": "env://UI_HDR"}',
        "u.auth": "1",
        "f.auth@1.user": "ada",
        "f.auth@1.port": "2222",
        "f.retries": "3",
        "f.tags": "etl\nnightly",
        "f.verbose": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "slug", sorted(slug for slug, info in registered_block_types().items() if info.cls)
)
def test_every_installed_block_type_has_a_form(
    store_url: str, client: httpx.Client, slug: str
) -> None:
    page = _get(client, f"/blocks/new/{slug}")
    cls = get_block_class(slug)
    assert f'action="/blocks/new/{slug}"' in page
    assert 'name="csrf_token"' in page
    assert 'name="name"' in page
    for key in cls.model_fields:
        # a field, a union toggle, or the fields of a sub-model (f.key.sub)
        assert any(f'name="{p}.{key}{end}' in page for p in "fu" for end in '".@'), key


def test_the_list_groups_documents_by_type_and_offers_every_type(
    store_url: str, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import headwater.server.ui.pages.blocks as blocks_page
    from headwater._store import BlockDocumentRecord, get_store

    UiTestCreds(key_id="AK1", secret_key=SECRETS[2]).save("prod")
    UiTestCreds(key_id="AK2", secret_key=SECRETS[2]).save("dev")
    UiTestToken(token=SECRETS[3]).save("bot")
    # a document whose type's package is not installed
    get_store().save_block_document(
        BlockDocumentRecord("id-aws-1", "gcp-credentials", "legacy", 1, "opaque", 1.0, 1.0)
    )
    real = registered_block_types()

    def with_a_broken_type() -> dict[str, BlockTypeInfo]:
        broken = BlockTypeInfo(
            "broken-thing", None, "broken-pkg", "ModuleNotFoundError: No module named 'zzz'"
        )
        return {**real, "broken-thing": broken}

    # what the blocks page sees as installed (it imports registered_block_types)
    monkeypatch.setattr(blocks_page, "registered_block_types", with_a_broken_type)
    page = _get(client, "/blocks")
    _no_secret(page)
    assert page.index('id="type-gcp-credentials"') < page.index('id="type-ui-test-creds"')
    group = page[page.index('id="type-ui-test-creds"') : page.index('id="type-ui-test-token"')]
    assert "Key credentials for the UI tests." in group
    assert group.index(">dev</a>") < group.index(">prod</a>")
    assert 'href="/blocks/ui-test-creds/prod"' in group
    legacy = page[page.index('id="type-gcp-credentials"') :]
    assert "pip install headwater-gcp" in legacy.split("</section>")[0]
    assert "New block" in page
    assert 'href="/blocks/new/ui-test-service"' in page
    assert 'href="/blocks/new/broken-thing"' not in page
    assert "No module named &#39;zzz&#39;" in page
    # the document of the missing type: inspect explains, delete still works
    inspect = _get(client, "/blocks/gcp-credentials/legacy")
    assert "pip install headwater-gcp" in inspect
    response = _post(
        client, "/blocks/gcp-credentials/legacy", "/blocks/gcp-credentials/legacy/delete", {}
    )
    assert response.status_code == 303
    assert [r.name for r in get_store().read_block_documents("gcp-credentials")] == []


def test_create_inspect_edit_and_delete_through_the_forms(
    store_url: str, client: httpx.Client
) -> None:
    form = _get(client, "/blocks/new/ui-test-service")
    assert "Where the service lives." in form  # descriptions as help text
    assert 'name="f.retries" value="2"' in form  # defaults filled in
    assert 'type="password" id="f.password" name="f.password" value=""' in form

    response = _post(
        client, "/blocks/new/ui-test-service", "/blocks/new/ui-test-service", _service_form()
    )
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["location"].startswith("/blocks/ui-test-service/api?done=created")

    block = UiTestService.load("api")
    assert block.url == "https://api.example.com"
    assert block.password.get_secret_value() == SECRETS[0]
    assert block.headers is not None
    assert block.headers.get_secret_value.__self__._secret_value == {  # type: ignore[attr-defined]
        "Authorization": f"Bearer {SECRETS[1]}",
        "X-Env": "env://UI_HDR",
    }
    assert isinstance(block.auth, UiTestLogin)
    assert (block.auth.user, block.auth.port) == (
        "ada",
        2222,
    )
    assert (block.retries, block.tags, block.verbose) == (3, ["etl", "nightly"], True)

    inspect = _get(client, response.headers["location"])
    _no_secret(inspect)
    assert "Block ui-test-service/api created." in inspect
    assert "********" in inspect
    assert "env://UI_HDR" in inspect
    assert 'href="/blocks/ui-test-service/api/edit"' in inspect

    edit = _get(client, "/blocks/ui-test-service/api/edit")
    _no_secret(edit)
    assert 'placeholder="stored - leave blank to keep"' in edit
    assert 'name="f.url" value="https://api.example.com"' in edit
    assert '<option value="1" selected>UiTestLogin</option>' in edit
    # Save with the secrets untouched (blank password, masked headers as shown), other changes.
    headers_shown = html.unescape(
        re.search(r'name="f.headers"[^>]*>([^<]*)</textarea>', edit).group(1)  # type: ignore[union-attr]
    )
    assert "********" in headers_shown
    response = _post(
        client,
        "/blocks/ui-test-service/api/edit",
        "/blocks/ui-test-service/api/edit",
        _service_form(**{"f.password": "", "f.headers": headers_shown, "f.retries": "5"}),
    )
    assert response.status_code == 303, response.text[:3000]
    edited = UiTestService.load("api")
    assert edited.retries == 5
    assert edited.password.get_secret_value() == SECRETS[0]
    assert edited.headers is not None
    assert edited.headers._secret_value["Authorization"] == f"Bearer {SECRETS[1]}"
    assert edited.block_document_id == block.block_document_id

    # a new secret replaces; "********" keeps
    response = _post(
        client,
        "/blocks/ui-test-service/api/edit",
        "/blocks/ui-test-service/api/edit",
        _service_form(**{"f.password": "pw-new-value", "f.headers": ""}),
    )
    assert response.status_code == 303
    assert UiTestService.load("api").password.get_secret_value() == "pw-new-value"
    response = _post(
        client,
        "/blocks/ui-test-service/api/edit",
        "/blocks/ui-test-service/api/edit",
        _service_form(**{"f.password": "********", "f.headers": "", "clear.headers": "1"}),
    )
    assert response.status_code == 303
    latest = UiTestService.load("api")
    assert latest.password.get_secret_value() == "pw-new-value"
    assert latest.headers is None

    response = _post(
        client, "/blocks/ui-test-service/api", "/blocks/ui-test-service/api/delete", {}
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/blocks?done=deleted")
    assert UiTestService.list_documents() == []
    _get(client, "/blocks/ui-test-service/api", status=404)


def test_bad_input_keeps_what_was_typed_but_never_a_secret(
    store_url: str, client: httpx.Client
) -> None:
    response = _post(
        client,
        "/blocks/new/ui-test-service",
        "/blocks/new/ui-test-service",
        _service_form(**{"f.retries": "9", "f.auth@1.port": "many"}),
    )
    assert response.status_code == 422
    page = response.text
    _no_secret(page)
    assert 'name="f.url" value="https://api.example.com"' in page
    assert "field 'auth@1.port': enter a whole number" in _errors(page)
    assert UiTestService.list_documents() == []

    response = _post(
        client,
        "/blocks/new/ui-test-service",
        "/blocks/new/ui-test-service",
        _service_form(**{"f.retries": "9"}),
    )
    assert response.status_code == 422
    _no_secret(response.text)
    assert "field 'retries': Input should be less than or equal to 5" in _errors(response.text)

    response = _post(
        client,
        "/blocks/new/ui-test-service",
        "/blocks/new/ui-test-service",
        _service_form(**{"f.password": "", "name": "Bad Name"}),
    )
    assert response.status_code == 422
    errors = _errors(response.text)
    assert any(e.startswith("block name 'Bad Name' is invalid") for e in errors)
    assert UiTestService.list_documents() == []


def test_an_error_about_the_whole_block_is_shown_above_the_fields(
    store_url: str, client: httpx.Client
) -> None:
    response = _post(
        client,
        "/blocks/new/ui-test-range",
        "/blocks/new/ui-test-range",
        {"name": "r", "f.lo": "5", "f.hi": "1"},
    )
    assert response.status_code == 422
    assert _errors(response.text) == ["Value error, lo must not exceed hi"]
    assert 'name="f.lo" value="5"' in response.text
    assert UiTestRange.list_documents() == []


def test_a_taken_name_on_new_is_an_error_and_nothing_is_overwritten(
    store_url: str, client: httpx.Client
) -> None:
    UiTestCreds(key_id="ORIGINAL", secret_key=SECRETS[2]).save("shared")
    response = _post(
        client,
        "/blocks/new/ui-test-creds",
        "/blocks/new/ui-test-creds",
        {"name": "shared", "f.key_id": "INTRUDER", "f.secret_key": SECRETS[3]},
    )
    assert response.status_code == 422
    _no_secret(response.text)
    assert (
        "a block named 'ui-test-creds/shared' already exists; choose another name or edit it"
        in _errors(response.text)
    )
    kept = UiTestCreds.load("shared")
    assert kept.key_id == "ORIGINAL"
    assert kept.secret_key.get_secret_value() == SECRETS[2]


def test_nested_blocks_are_chosen_from_saved_documents_and_stored_as_references(
    store_url: str, client: httpx.Client
) -> None:
    response = _post(
        client,
        "/blocks/new/ui-test-creds",
        "/blocks/new/ui-test-creds",
        {"name": "shared", "f.key_id": "AK1", "f.secret_key": SECRETS[2]},
    )
    assert response.status_code == 303
    UiTestToken(token=SECRETS[3]).save("bot")

    form = _get(client, "/blocks/new/ui-test-bucket")
    assert '<option value="ui-test-creds/shared">' in form
    assert '<option value="ui-test-token/bot">' in form
    response = _post(
        client,
        "/blocks/new/ui-test-bucket",
        "/blocks/new/ui-test-bucket",
        {
            "name": "raw",
            "f.bucket": "raw-data",
            "f.credentials": "ui-test-token/bot",
            "f.region": "us",
            "u.backup": "0",
            "f.backup@0": "ui-test-creds/shared",
        },
    )
    assert response.status_code == 303, response.text[:3000]
    bucket = UiTestBucket.load("raw")
    assert isinstance(bucket.credentials, UiTestToken)
    assert bucket.credentials.block_document_name == "bot"
    assert isinstance(bucket.backup, UiTestCreds)
    assert bucket.backup.key_id == "AK1"
    assert bucket.region == "us"
    # a reference: rotating the saved credentials reaches the bucket
    UiTestCreds(key_id="AK2", secret_key="sk-rotated").save("shared", overwrite=True)
    rotated = UiTestBucket.load("raw").backup
    assert isinstance(rotated, UiTestCreds)
    assert rotated.key_id == "AK2"

    inspect = _get(client, "/blocks/ui-test-bucket/raw")
    _no_secret(inspect)
    assert '<a href="/blocks/ui-test-token/bot">ui-test-token/bot</a>' in inspect

    edit = _get(client, "/blocks/ui-test-bucket/raw/edit")
    _no_secret(edit)
    assert '<option value="ui-test-token/bot" selected>' in edit
    assert '<option value="0" selected>saved block</option>' in edit
    # switch the union to its text alternative; the credentials stay
    response = _post(
        client,
        "/blocks/ui-test-bucket/raw/edit",
        "/blocks/ui-test-bucket/raw/edit",
        {
            "f.bucket": "raw-data",
            "f.credentials": "ui-test-token/bot",
            "f.region": "us",
            "u.backup": "1",
            "f.backup@1": "tape",
        },
    )
    assert response.status_code == 303, response.text[:3000]
    again = UiTestBucket.load("raw")
    assert again.backup == "tape"
    assert isinstance(again.credentials, UiTestToken)

    # nothing chosen for a required nested block: an error naming the field
    response = _post(
        client,
        "/blocks/new/ui-test-bucket",
        "/blocks/new/ui-test-bucket",
        {"name": "empty", "f.bucket": "b", "f.credentials": "", "u.backup": "1"},
    )
    assert response.status_code == 422
    assert any(e.startswith("field 'credentials'") for e in _errors(response.text))


def test_secret_references_are_shown_as_written_and_kept(
    store_url: str, client: httpx.Client
) -> None:
    UiTestCreds(key_id="AK", secret_key="env://UI_TEST_SECRET_KEY").save("byref")
    inspect = _get(client, "/blocks/ui-test-creds/byref")
    assert "env://UI_TEST_SECRET_KEY" in inspect
    edit = _get(client, "/blocks/ui-test-creds/byref/edit")
    assert "Stored as the reference <code>env://UI_TEST_SECRET_KEY</code>" in edit
    response = _post(
        client,
        "/blocks/ui-test-creds/byref/edit",
        "/blocks/ui-test-creds/byref/edit",
        {"f.key_id": "AK-2", "f.secret_key": ""},
    )
    assert response.status_code == 303
    from headwater._block_views import stored_secret

    kept = UiTestCreds.load("byref")
    assert kept.key_id == "AK-2"
    assert stored_secret(kept, "secret_key") == "env://UI_TEST_SECRET_KEY"


def test_writes_need_the_csrf_token(store_url: str, client: httpx.Client) -> None:
    UiTestCreds(key_id="AK", secret_key=SECRETS[2]).save("keep")
    _get(client, "/blocks/new/ui-test-creds")  # the client has the CSRF cookie now
    response = client.post(
        "/blocks/new/ui-test-creds",
        data={"name": "forged", "f.key_id": "X", "f.secret_key": "Y"},
    )
    assert response.status_code == 403
    response = client.post("/blocks/ui-test-creds/keep/delete", data={"csrf_token": "x" * 43})
    assert response.status_code == 403
    assert [d.name for d in UiTestCreds.list_documents()] == ["keep"]


def test_unknown_blocks_and_types_are_404_pages_naming_them(
    store_url: str, client: httpx.Client
) -> None:
    page = _get(client, "/blocks/ui-test-creds/ghost", status=404)
    assert "block &#39;ui-test-creds/ghost&#39; was not found" in page
    page = _get(client, "/blocks/ui-test-creds/ghost/edit", status=404)
    assert "ui-test-creds/ghost" in page
    page = _get(client, "/blocks/new/gcp-credentials", status=404)
    assert "pip install headwater-gcp" in page


def test_the_read_role_sees_no_write_buttons_and_cannot_write(
    store_url: str, client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from headwater.settings import reset_settings

    monkeypatch.setenv("HEADWATER_SERVER_ADMIN_TOKEN", "admin-token-for-ui-tests-0001")
    monkeypatch.setenv("HEADWATER_SERVER_READ_TOKEN", "read-token-for-ui-tests-00001")
    reset_settings()
    UiTestCreds(key_id="AK", secret_key=SECRETS[2]).save("prod")
    Variable.set("threshold", 1)

    reader = {"Authorization": "Bearer read-token-for-ui-tests-00001"}
    admin = {"Authorization": "Bearer admin-token-for-ui-tests-0001"}
    listing = client.get("/blocks", headers=reader).text
    assert "New block" not in listing
    assert 'href="/blocks/ui-test-creds/prod"' in listing
    inspect = client.get("/blocks/ui-test-creds/prod", headers=reader).text
    assert "/blocks/ui-test-creds/prod/edit" not in inspect
    assert "Delete" not in inspect
    assert 'id="variable-form"' not in client.get("/variables", headers=reader).text
    token = _token(client.get("/blocks/new/ui-test-creds", headers=reader).text)
    response = client.post(
        "/blocks/ui-test-creds/prod/delete", data={"csrf_token": token}, headers=reader
    )
    assert response.status_code == 403
    assert [d.name for d in UiTestCreds.list_documents()] == ["prod"]

    assert "New block" in client.get("/blocks", headers=admin).text
    response = client.post(
        "/blocks/ui-test-creds/prod/delete", data={"csrf_token": token}, headers=admin
    )
    assert response.status_code == 303
    assert UiTestCreds.list_documents() == []
