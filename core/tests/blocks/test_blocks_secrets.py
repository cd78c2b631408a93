"""Secret fields: masking, references (env, file, plugins), resolution at use, log masking."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretBytes, SecretStr, ValidationError

from headwater.blocks import (
    Block,
    BlockSecretResolutionError,
    Secret,
    SecretDict,
    is_secret_reference,
    register_secret_resolver,
)
from headwater.blocks import secrets as secrets_mod
from headwater.logging import _clear_secrets, mask_secrets


class SecretsTestBlock(Block):
    """Holds every kind of secret field."""

    user: str = "ada"
    password: SecretStr
    key: SecretBytes | None = None
    headers: SecretDict | None = None
    tokens: list[SecretStr] = []


@pytest.fixture(autouse=True)
def _forget_masked() -> Iterator[None]:
    _clear_secrets()
    yield
    _clear_secrets()


def test_literal_secrets_never_show() -> None:
    block = SecretsTestBlock(
        password="pw-literal-1",
        key=b"key-literal-2",
        headers={"Authorization": "Bearer hdr-literal-3"},
        tokens=["tok-literal-4"],
    )
    shown = [
        repr(block),
        str(block),
        block.model_dump_json(),
        json.dumps(block.model_dump(mode="json")),
        str(block.model_dump()),
        json.dumps(SecretsTestBlock.block_json_schema()),
    ]
    for text in shown:
        for secret in ("pw-literal-1", "key-literal-2", "hdr-literal-3", "tok-literal-4"):
            assert secret not in text
    dumped = block.model_dump(mode="json")
    assert dumped["password"] == "**********"
    assert dumped["headers"] == {"Authorization": "**********"}
    assert dumped["tokens"] == ["**********"]

    revealed = block.model_dump(mode="json", context={"include_secrets": True})
    assert revealed["password"] == "pw-literal-1"
    assert revealed["key"] == "key-literal-2"
    assert revealed["headers"] == {"Authorization": "Bearer hdr-literal-3"}
    assert revealed["tokens"] == ["tok-literal-4"]
    assert SecretsTestBlock.secret_fields() == ["password", "key", "headers", "tokens"]


def test_literal_secrets_are_masked_in_logs_once_seen() -> None:
    SecretsTestBlock(password="pw-for-the-log", headers={"x": "hdr-for-the-log"})
    assert mask_secrets("login pw-for-the-log hdr-for-the-log") == "login ******** ********"


def test_env_reference_is_stored_and_resolved_at_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_TEST_DB_PASSWORD", "from-env-1")
    block = SecretsTestBlock(password="env://HW_TEST_DB_PASSWORD")
    block.save("env-ref")
    # What is stored is the reference: a dump (not a secret) shows it as is.
    assert block.model_dump(mode="json")["password"] == "env://HW_TEST_DB_PASSWORD"

    loaded = SecretsTestBlock.load("env-ref")
    assert loaded.password.get_secret_value() == "from-env-1"
    monkeypatch.setenv("HW_TEST_DB_PASSWORD", "rotated-env-2")
    assert loaded.password.get_secret_value() == "rotated-env-2"  # resolved at each use
    assert "rotated-env-2" not in repr(loaded)
    assert mask_secrets("x rotated-env-2 y") == "x ******** y"
    assert loaded.model_dump(mode="json", context={"include_secrets": True})["password"] == (
        "env://HW_TEST_DB_PASSWORD"
    )


def test_file_reference_strips_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("from-file-1\n")
    block = SecretsTestBlock(password=f"file://{path}", key=f"file://{path}".encode())
    assert block.password.get_secret_value() == "from-file-1"
    assert block.key is not None
    assert block.key.get_secret_value() == b"from-file-1"


def test_references_inside_secret_dict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_TEST_TOKEN", "dict-token-1")
    block = SecretsTestBlock(
        password="pw-12345", headers={"Authorization": "env://HW_TEST_TOKEN", "X": "lit-9999"}
    )
    assert block.headers is not None
    assert block.headers.get_secret_value() == {"Authorization": "dict-token-1", "X": "lit-9999"}
    assert block.model_dump(mode="json")["headers"] == {
        "Authorization": "env://HW_TEST_TOKEN",
        "X": "**********",
    }


def test_unresolvable_reference_names_block_field_and_reference() -> None:
    block = SecretsTestBlock(password="env://HW_TEST_NOT_SET_ANYWHERE")
    block.save("broken")
    loaded = SecretsTestBlock.load("broken")  # loading does not resolve
    with pytest.raises(BlockSecretResolutionError) as info:
        loaded.password.get_secret_value()
    message = str(info.value)
    assert "secrets-test-block/broken" in message
    assert "'password'" in message
    assert "env://HW_TEST_NOT_SET_ANYWHERE" in message
    assert "is not set" in message


def test_missing_file_reference_error(tmp_path: Path) -> None:
    block = SecretsTestBlock(password=f"file://{tmp_path}/missing.txt")
    with pytest.raises(BlockSecretResolutionError, match=r"missing\.txt.*No such file"):
        block.password.get_secret_value()


@pytest.mark.parametrize(
    ("reference", "reason"),
    [("env://has space", "name an environment variable"), ("file://relative/x", "absolute path")],
)
def test_malformed_references_are_refused_at_validation(reference: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as info:
        SecretsTestBlock(password=reference)
    assert "password" in str(info.value)


def test_urls_are_values_not_references() -> None:
    assert not is_secret_reference("https://hooks.slack.com/services/T0/B0/xyz")
    block = SecretsTestBlock(password="https://hooks.example.com/secret-path")
    assert block.password.get_secret_value() == "https://hooks.example.com/secret-path"
    assert block.model_dump(mode="json")["password"] == "**********"


def test_unknown_integration_scheme_names_the_package() -> None:
    block = SecretsTestBlock(password="gcp-sm://prod/db")
    with pytest.raises(BlockSecretResolutionError, match="pip install headwater-gcp"):
        block.password.get_secret_value()


def test_registered_resolver() -> None:
    register_secret_resolver("vaulttest", lambda ref: "vault-" + ref.split("://", 1)[1])
    block = SecretsTestBlock(password="vaulttest://db/pw")
    assert block.password.get_secret_value() == "vault-db/pw"
    assert mask_secrets("vault-db/pw") == "********"


def test_entry_point_resolver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package registers a scheme through the headwater.secret_resolvers entry point group."""
    (tmp_path / "hw_test_resolver_pkg.py").write_text(
        "def resolve(reference):\n"
        "    if reference.endswith('fail'):\n"
        "        raise KeyError('no such secret in the test vault')\n"
        "    return 'ep-' + reference.split('://', 1)[1]\n"
    )
    dist = tmp_path / "hw_test_resolver_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hw-test-resolver-pkg\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[headwater.secret_resolvers]\ntestvault = hw_test_resolver_pkg:resolve\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    secrets_mod._forget_entry_points()
    try:
        block = SecretsTestBlock(password="testvault://team/db")
        assert block.password.get_secret_value() == "ep-team/db"
        failing = SecretsTestBlock(password="testvault://fail")
        with pytest.raises(
            BlockSecretResolutionError, match=r"'password'.*testvault://fail.*KeyError"
        ):
            failing.password.get_secret_value()
    finally:
        secrets_mod._forget_entry_points()
        sys.modules.pop("hw_test_resolver_pkg", None)


def test_secret_block_with_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_TEST_API_KEY", "api-key-value")
    Secret(value="env://HW_TEST_API_KEY").save("api")
    assert Secret.load("api").get() == "api-key-value"
    assert Secret.load("api").read_secret() == b"api-key-value"


def test_secret_block_write_secret_saves() -> None:
    secret = Secret(value="first-value")
    secret.save("rotating")
    assert secret.write_secret(b'{"user": "u", "pw": "second-value"}') == "secret/rotating"
    assert Secret.load("rotating").get() == {"user": "u", "pw": "second-value"}


def test_resolved_secret_is_masked_in_run_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater import flow, get_run_logger
    from headwater._store import get_store

    monkeypatch.setenv("HW_TEST_LOGGED", "logged-secret-value")
    SecretsTestBlock(password="env://HW_TEST_LOGGED").save("logged")

    @flow
    def uses_secret() -> str:
        block = SecretsTestBlock.load("logged")
        value = block.password.get_secret_value()
        get_run_logger().info("connecting with %s", value)
        return "ok"

    state = uses_secret(return_state=True)
    store = get_store()
    store.flush()
    run = store.read_flow_runs(limit=1)[0]
    messages = [log.message for log in store.read_logs(flow_run_id=run.id)]
    assert state.result() == "ok"
    assert any("connecting with ********" in m for m in messages), messages
    assert not any("logged-secret-value" in m for m in messages)
    logging.getLogger(__name__).debug("done")


def test_block_as_flow_parameter_is_recorded_masked() -> None:
    from headwater import flow
    from headwater._store import get_store

    @flow
    def takes_block(creds: SecretsTestBlock) -> str:
        return creds.user

    assert takes_block(SecretsTestBlock(password="param-secret-1")) == "ada"
    store = get_store()
    store.flush()
    run = store.read_flow_runs(limit=1)[0]
    assert "param-secret-1" not in json.dumps(run.parameters)
    assert "creds" in run.parameters


def test_resolved_secret_is_masked_in_failure_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater import flow
    from headwater._store import get_store

    monkeypatch.setenv("HW_TEST_FAILING", "failure-secret-value")
    Secret(value="env://HW_TEST_FAILING").save("failing")

    @flow
    def fails_with_secret() -> None:
        raise ValueError("could not log in with " + Secret.load("failing").get())

    state = fails_with_secret(return_state=True)
    store = get_store()
    store.flush()
    stored = store.read_flow_runs(limit=1)[0].state_message or ""
    assert "failure-secret-value" not in (state.message or "")
    assert "failure-secret-value" not in stored
    assert "********" in stored
