"""A secret flow parameter is not served by the API or the UI (issue 11, item 7).

The flow runs over HTTP against a real server with tokens on (the client
writes with the admin token), then a read-only token asks for the run every
way it can: the run by id, the list, and the UI page. The secret is in none
of them; the flow got it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from headwater import flow
from headwater._store import get_store, reset_store
from headwater.logging import register_secret
from headwater.masking import MASK, _clear_secrets
from headwater.settings import reset_settings

ADMIN_TOKEN = "hw-admin-2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b"
READ_TOKEN = "hw-read-1a3c5e7f9b2d4f6a8c0e1b3d5f7a9c2e"
REGISTERED = "registered-db-password-5e6f"
ANNOTATED = "annotated-api-key-8a9b0c"


@pytest.fixture
def http_mode(store_url: str, server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Auth on; this process's flows write to the server with the admin token."""
    monkeypatch.setenv("HEADWATER_SERVER_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("HEADWATER_SERVER_READ_TOKEN", READ_TOKEN)
    monkeypatch.setenv("HEADWATER_API_URL", server_url)
    monkeypatch.setenv("HEADWATER_API_KEY", ADMIN_TOKEN)
    reset_settings()
    reset_store()
    _clear_secrets()
    yield
    _clear_secrets()


def test_a_read_only_token_never_sees_a_secret_parameter(
    http_mode: None, client: httpx.Client
) -> None:
    register_secret(REGISTERED)
    got: list[Any] = []

    @flow
    def child(api_key: SecretStr) -> None:
        got.append(api_key.get_secret_value())

    @flow
    def nightly(password: str, api_key: SecretStr, settings: dict[str, str]) -> None:
        got.append(password)
        child(api_key)

    nightly(REGISTERED, ANNOTATED, {"dsn": f"postgresql://app:{REGISTERED}@db/x"})
    assert got == [REGISTERED, ANNOTATED]
    get_store().flush(timeout=30)

    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    listing = client.get("/api/flow_runs", headers=headers)
    assert listing.status_code == 200
    runs = {run["flow_name"]: run for run in listing.json()}
    assert runs["nightly"]["parameters"] == {
        "password": MASK,
        "api_key": MASK,
        "settings": {"dsn": f"postgresql://app:{MASK}@db/x"},
    }
    assert runs["child"]["parameters"] == {"api_key": MASK}
    texts = [listing.text]
    for run in runs.values():
        one = client.get(f"/api/flow_runs/{run['id']}", headers=headers)
        assert one.status_code == 200
        page = client.get(f"/flow-runs/{run['id']}", headers=headers)
        assert page.status_code == 200
        texts += [one.text, page.text]
    for text in texts:
        assert REGISTERED not in text
        assert ANNOTATED not in text
