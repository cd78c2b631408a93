"""``aws-sm://`` and ``aws-ssm://`` secret references, resolved against a real moto server
through boto3's default credential chain (the environment the ``aws_env`` fixture sets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from pydantic import SecretStr

from headwater.blocks import Block, Secret
from headwater.blocks.errors import BlockSecretResolutionError
from headwater.blocks.secrets import is_secret_reference, resolve_secret_reference
from headwater.testing.reader import (
    flow_run_logs,
    latest_flow_run,
    stored_block_document,
    task_runs,
)
from headwater_aws import AccessDeniedError, AwsCredentials, ResourceNotFoundError
from headwater_aws.parameter_store import resolve_parameter_store_reference
from headwater_aws.resolvers import CACHE_SECONDS_VARIABLE, cached_resolve, clear_secret_cache
from headwater_aws.secrets_manager import resolve_secrets_manager_reference

DB = {"username": "app", "password": "pa55-w0rd-db", "port": 5432, "opts": {"ssl": True}}


_test_clients: dict[tuple[str, ...], Any] = {}


def _client(service: str, region: str) -> Any:
    """A client for the test's own setup, on the environment's current keys (boto3's default
    session would keep the keys it first saw)."""
    key = (service, region, os.environ.get("AWS_ACCESS_KEY_ID", ""))
    key += (os.environ.get("AWS_SECRET_ACCESS_KEY", ""),)
    if key not in _test_clients:
        _test_clients[key] = boto3.session.Session().client(service, region_name=region)
    return _test_clients[key]


def _sm(region: str = "us-east-1") -> Any:
    return _client("secretsmanager", region)


def _ssm() -> Any:
    return _client("ssm", "us-east-1")


def _resolve(reference: str) -> str:
    """Resolve as blocks do: through the core, which names the block and field in errors."""
    return resolve_secret_reference(reference, block="my-block", field="password")


@pytest.fixture
def db_secret() -> str:
    """A JSON secret ``app/db`` with two versions (the previous one has the old password)."""
    client = _sm()
    client.create_secret(Name="app/db", SecretString=json.dumps({**DB, "password": "old-pa55"}))
    return str(client.put_secret_value(SecretId="app/db", SecretString=json.dumps(DB))["VersionId"])


# -- aws-sm:// -------------------------------------------------------------------------


def test_the_schemes_are_recognised_as_references() -> None:
    assert is_secret_reference("aws-sm://app/db")
    assert is_secret_reference("aws-ssm:///prod/db/password")


def test_whole_secret_string(db_secret: str) -> None:
    assert json.loads(_resolve("aws-sm://app/db")) == DB


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("password", "pa55-w0rd-db"),
        ("port", "5432"),
        ("opts", '{"ssl":true}'),
    ],
)
def test_json_key_strings_as_is_other_values_as_compact_json(
    db_secret: str, key: str, expected: str
) -> None:
    assert _resolve(f"aws-sm://app/db#{key}") == expected


def test_non_ascii_json_values_stay_text() -> None:
    _sm().create_secret(Name="intl", SecretString=json.dumps({"k": ["été", None]}))
    assert _resolve("aws-sm://intl#k") == '["été",null]'


def test_version_stage_and_version_id_select_a_version(db_secret: str) -> None:
    assert _resolve("aws-sm://app/db?version_stage=AWSPREVIOUS#password") == "old-pa55"
    assert _resolve(f"aws-sm://app/db?version_id={db_secret}#password") == "pa55-w0rd-db"


def test_an_arn_selects_its_region() -> None:
    arn = _sm("us-west-2").create_secret(Name="west", SecretString="west-only-value")["ARN"]
    assert ":us-west-2:" in arn
    assert _resolve(f"aws-sm://{arn}") == "west-only-value"
    with pytest.raises(BlockSecretResolutionError, match="ResourceNotFoundError"):
        _resolve("aws-sm://west")  # by name: the default region (us-east-1) has no such secret


def test_binary_secrets_resolve_when_they_are_utf8_text() -> None:
    _sm().create_secret(Name="bin-text", SecretBinary="binary-text-é".encode())
    _sm().create_secret(Name="bin-raw", SecretBinary=b"\xff\xfe\x00raw")
    assert _resolve("aws-sm://bin-text") == "binary-text-é"
    with pytest.raises(BlockSecretResolutionError, match="binary data that is not UTF-8"):
        _resolve("aws-sm://bin-raw")


def test_resolved_values_are_registered_for_masking(db_secret: str) -> None:
    from headwater.logging import mask_secrets

    _resolve("aws-sm://app/db#username")
    # The requested key and the whole document it came from are masked.
    assert mask_secrets(json.dumps(DB)) == "********"


# -- aws-ssm:// ------------------------------------------------------------------------


def test_parameter_names_are_exactly_what_follows_the_scheme() -> None:
    ssm = _ssm()
    ssm.put_parameter(Name="/prod/db/password", Value="slash-param-1", Type="SecureString")
    ssm.put_parameter(Name="db-password", Value="plain-param-2", Type="String")
    assert resolve_parameter_store_reference("aws-ssm:///prod/db/password") == "slash-param-1"
    assert resolve_parameter_store_reference("aws-ssm://db-password") == "plain-param-2"
    with pytest.raises(ResourceNotFoundError, match="parameter 'prod/db/password'"):
        resolve_parameter_store_reference("aws-ssm://prod/db/password")


def test_secure_string_json_key_and_version_selector() -> None:
    ssm = _ssm()
    ssm.put_parameter(Name="/svc/conf", Value=json.dumps({"token": "old-tok"}), Type="SecureString")
    ssm.put_parameter(
        Name="/svc/conf",
        Value=json.dumps({"token": "new-tok", "n": 3}),
        Type="SecureString",
        Overwrite=True,
    )
    assert _resolve("aws-ssm:///svc/conf#token") == "new-tok"
    assert _resolve("aws-ssm:///svc/conf#n") == "3"
    assert _resolve("aws-ssm:///svc/conf:1#token") == "old-tok"


def test_ssm_references_take_no_query() -> None:
    with pytest.raises(BlockSecretResolutionError, match="take no query"):
        _resolve("aws-ssm:///svc/conf?version=1")


# -- errors ----------------------------------------------------------------------------


def test_missing_secret_and_parameter_name_the_reference() -> None:
    with pytest.raises(ResourceNotFoundError, match="read secret 'nope'"):
        resolve_secrets_manager_reference("aws-sm://nope")
    with pytest.raises(BlockSecretResolutionError) as info:
        _resolve("aws-sm://nope#password")
    assert str(info.value).startswith(
        "block 'my-block' field 'password': cannot resolve secret reference "
        "'aws-sm://nope#password': ResourceNotFoundError: read secret 'nope'"
    )
    with pytest.raises(BlockSecretResolutionError, match=r"'aws-ssm:///nope'.*parameter '/nope'"):
        _resolve("aws-ssm:///nope")


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "aws-sm://app/db#pasword",
            "JSON object of 'aws-sm://app/db#pasword' has no key 'pasword'",
        ),
        ("aws-sm://plain#password", "secret of 'aws-sm://plain#password' is not a JSON object"),
        ("aws-sm://listy#password", "is not a JSON object, so it has no key 'password'"),
        ("aws-ssm://plain-param#password", "parameter of 'aws-ssm://plain-param#password' is not"),
    ],
)
def test_json_key_errors_never_show_the_value(db_secret: str, reference: str, message: str) -> None:
    _sm().create_secret(Name="plain", SecretString="plain-text-secret-99")
    _sm().create_secret(Name="listy", SecretString='["list-secret-77"]')
    _ssm().put_parameter(Name="plain-param", Value="plain-param-secret-55", Type="SecureString")
    with pytest.raises(BlockSecretResolutionError, match=message) as info:
        _resolve(reference)
    text = str(info.value)
    assert "cannot resolve secret reference" in text
    assert "field 'password'" in text
    for value in ("pa55-w0rd-db", "old-pa55", "plain-text-secret-99", "list-", "param-secret"):
        assert value not in text
    assert info.value.__cause__ is None  # nothing chained that could carry the value


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("aws-sm://", "names no secret"),
        ("aws-sm://#password", "names no secret"),
        ("aws-sm://?version_stage=AWSCURRENT", "names no secret"),
        ("aws-ssm://", "names no parameter"),
        ("aws-sm://app/db#", "empty JSON key"),
        (
            "aws-sm://app/db?stage=AWSPREVIOUS",
            "unknown option.*stage.*version_id and version_stage",
        ),
        ("aws-sm://app/db?version_stage", "malformed query"),
    ],
)
def test_malformed_references_are_rejected_without_calling_aws(
    reference: str, message: str
) -> None:
    with pytest.raises(BlockSecretResolutionError, match=message) as info:
        _resolve(reference)
    assert "ValueError" in str(info.value)


def test_no_credentials_at_all_is_access_denied(
    monkeypatch: pytest.MonkeyPatch, db_secret: str
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    clear_secret_cache()  # forget the clients made with the old environment
    with pytest.raises(AccessDeniedError, match=r"read secret 'app/db'.*credential"):
        resolve_secrets_manager_reference("aws-sm://app/db#password")
    with pytest.raises(BlockSecretResolutionError, match="AccessDeniedError: read parameter"):
        _resolve("aws-ssm:///prod/db/password")


def test_credentials_not_allowed_to_read_are_access_denied(
    monkeypatch: pytest.MonkeyPatch,
    db_secret: str,
    iam_enforced: None,
    make_iam_user: Callable[..., tuple[str, str]],
) -> None:
    key_id, secret_key = make_iam_user("no-rights")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_key)
    clear_secret_cache()
    with pytest.raises(BlockSecretResolutionError, match="AccessDeniedError: read secret 'app/db'"):
        _resolve("aws-sm://app/db#password")


# -- the cache -------------------------------------------------------------------------


def _change_secret(value: str) -> None:
    _sm().put_secret_value(SecretId="rotating", SecretString=value)


@pytest.fixture
def rotating() -> str:
    _sm().create_secret(Name="rotating", SecretString="rotating-v1")
    return "aws-sm://rotating"


def test_default_cache_keeps_the_value_until_cleared(rotating: str) -> None:
    assert _resolve(rotating) == "rotating-v1"
    _change_secret("rotating-v2")
    assert _resolve(rotating) == "rotating-v1"
    clear_secret_cache()
    assert _resolve(rotating) == "rotating-v2"


def test_a_changed_value_is_seen_once_the_ttl_has_passed(
    monkeypatch: pytest.MonkeyPatch, rotating: str
) -> None:
    monkeypatch.setenv(CACHE_SECONDS_VARIABLE, "0.5")
    start = time.monotonic()
    assert _resolve(rotating) == "rotating-v1"
    _change_secret("rotating-v2")
    assert _resolve(rotating) == "rotating-v1"
    deadline = start + 5
    while _resolve(rotating) == "rotating-v1":
        assert time.monotonic() < deadline, "the cached value never expired"
        time.sleep(0.05)
    assert time.monotonic() - start >= 0.5


def test_zero_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch, rotating: str) -> None:
    monkeypatch.setenv(CACHE_SECONDS_VARIABLE, "0")
    assert _resolve(rotating) == "rotating-v1"
    _change_secret("rotating-v2")
    assert _resolve(rotating) == "rotating-v2"


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_cache_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, rotating: str, value: str
) -> None:
    monkeypatch.setenv(CACHE_SECONDS_VARIABLE, value)
    with pytest.raises(BlockSecretResolutionError) as info:
        _resolve(rotating)
    assert f"{CACHE_SECONDS_VARIABLE} must be a number of seconds" in str(info.value)
    assert repr(value) in str(info.value)


def test_concurrent_resolutions_of_one_reference_load_once() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def load() -> str:
        calls.append(1)
        gate.wait(5)
        return "loaded-once"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cached_resolve("aws-sm://k", load)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == ["loaded-once"] * 8
    assert len(calls) == 1


def test_clearing_during_a_load_keeps_its_value_out_of_the_cache() -> None:
    values = iter(["first", "second"])

    def load() -> str:
        value = next(values)
        clear_secret_cache()  # e.g. a rotation hook firing meanwhile
        return value

    assert cached_resolve("aws-sm://k2", load) == "first"
    assert cached_resolve("aws-sm://k2", load) == "second"


def test_failures_are_not_cached(rotating: str) -> None:
    with pytest.raises(BlockSecretResolutionError):
        _resolve("aws-sm://later")
    _sm().create_secret(Name="later", SecretString="now-it-exists")
    assert _resolve("aws-sm://later") == "now-it-exists"


# -- credentials that reference Secrets Manager ----------------------------------------


def test_aws_credentials_take_their_secret_key_from_secrets_manager(
    moto_server: str,
    monkeypatch: pytest.MonkeyPatch,
    iam_enforced: None,
    make_iam_user: Callable[..., tuple[str, str]],
) -> None:
    reader_id, reader_key = make_iam_user(
        "reader",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}],
        },
    )
    worker_id, worker_key = make_iam_user("worker")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", reader_id)  # the resolver's default chain
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", reader_key)
    clear_secret_cache()
    _sm().create_secret(
        Name="ci/worker",
        SecretString=json.dumps({"secret_key": worker_key, "stale_key": "not-the-key-anymore"}),
    )

    def worker(field: str) -> AwsCredentials:
        return AwsCredentials(
            aws_access_key_id=worker_id,
            aws_secret_access_key=f"aws-sm://ci/worker#{field}",
            region_name="us-east-1",
            aws_client_parameters={"endpoint_url": moto_server},
        )

    creds = worker("secret_key")
    creds.save("worker")
    stored = stored_block_document("aws-credentials", "worker")
    assert "aws-sm://ci/worker#secret_key" in stored
    assert worker_key not in stored
    result = AwsCredentials.load("worker").check()
    assert result.ok
    assert "user/worker" in result.message
    stale = worker("stale_key").check()  # signed with the wrong key: moto rejects the signature
    assert not stale.ok
    assert "SignatureDoesNotMatch" in stale.message
    assert "not-the-key-anymore" not in stale.message


# -- end to end: a saved block, a fresh process, a flow --------------------------------


CHILD = textwrap.dedent(
    """
    import json, sys
    from headwater import flow, task
    from headwater.blocks import Secret
    from headwater.logging import get_run_logger

    @task
    def connect(password: str) -> None:
        raise RuntimeError(f"login refused for password {password}")

    @flow(log_prints=True)
    def use_secret() -> None:
        password = Secret.load("db").get()
        print(f"printed {password}")
        get_run_logger().info("logged %s", password)
        connect(password)

    loaded = Secret.load("db")
    state = use_secret(return_state=True)
    print(json.dumps({"same": loaded.get() == sys.argv[1], "failed": state.is_failed()}))
    """
)


def test_a_saved_reference_resolves_in_a_fresh_process_and_stays_masked(db_secret: str) -> None:
    password = DB["password"]
    Secret(value=SecretStr("aws-sm://app/db#password")).save("db")
    stored = stored_block_document("secret", "db")
    assert "aws-sm://app/db#password" in stored
    assert password not in stored

    child = subprocess.run(
        [sys.executable, "-c", CHILD, password],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout.strip().splitlines()[-1]) == {"same": True, "failed": True}
    assert password not in child.stderr

    flow_run = latest_flow_run()
    logs = flow_run_logs(flow_run.id)
    assert "printed ********" in logs
    assert "logged ********" in logs
    (task_run,) = task_runs(flow_run.id)
    assert task_run.state_type == "FAILED"
    assert "login refused for password ********" in (task_run.state_message or "")
    assert flow_run.state_type == "FAILED"
    shown = [*logs, task_run.state_message or "", flow_run.state_message or ""]
    assert not any(password in text for text in shown)


def test_a_block_field_reference_resolves_on_use_not_on_load(db_secret: str) -> None:
    class DbConfig(Block):
        """A test block with a secret field."""

        password: SecretStr

    config = DbConfig(password=SecretStr("aws-sm://app/db#password"))
    config.save("cfg")
    loaded = DbConfig.load("cfg")
    assert loaded.model_dump(mode="json")["password"] == "aws-sm://app/db#password"
    assert loaded.password.get_secret_value() == DB["password"]
    _sm().put_secret_value(SecretId="app/db", SecretString=json.dumps({"x": 1}))
    clear_secret_cache()
    with pytest.raises(BlockSecretResolutionError, match="block 'db-config/cfg' field 'password'"):
        loaded.password.get_secret_value()
