"""AwsCredentials against the moto server: the credential sources, assumed roles, clients, check()."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from pydantic import ValidationError

from headwater.blocks import Block, CredentialsBlock
from headwater.testing import CredentialsSuite
from headwater_aws import AccessDeniedError, AwsCredentials, InvalidRequestError
from headwater_aws.errors import translate_errors

ROLE = "arn:aws:iam::123456789012:role/etl"


def _explicit(moto_server: str, key: str, secret: str, **extra: object) -> AwsCredentials:
    return AwsCredentials(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        aws_client_parameters={"endpoint_url": moto_server},
        **extra,
    )


def test_empty_block_uses_the_default_credential_chain() -> None:
    result = AwsCredentials().check()
    assert result.ok, result.message
    assert "account 123456789012" in result.message


def test_explicit_keys_are_the_ones_used(
    moto_server: str, iam_enforced: None, make_iam_user: object
) -> None:
    key, secret = make_iam_user("alice")  # type: ignore[operator]
    result = _explicit(moto_server, key, secret).check()
    assert result.ok, result.message
    assert "user/alice" in result.message


def test_wrong_keys_fail_check_without_showing_the_secret(
    moto_server: str, iam_enforced: None
) -> None:
    creds = _explicit(moto_server, "AKIANOSUCHKEY000", "wrong-secret-value-123")
    result = creds.check()
    assert not result.ok
    assert "InvalidClientTokenId" in result.message or "InvalidAccessKeyId" in result.message
    assert "wrong-secret-value-123" not in result.message


def test_a_user_without_permission_gets_access_denied(
    moto_server: str, iam_enforced: None, make_iam_user: object, aws_credentials: AwsCredentials
) -> None:
    key, secret = make_iam_user("nobody")  # type: ignore[operator]
    creds = _explicit(moto_server, key, secret)
    from headwater_aws.errors import translate_errors

    with pytest.raises(AccessDeniedError) as info, translate_errors("list", "s3://some-bucket"):
        creds.get_s3_client().list_objects_v2(Bucket="some-bucket")
    assert isinstance(info.value, PermissionError)
    assert "s3://some-bucket" in str(info.value)
    assert secret not in str(info.value)
    assert info.value.__cause__ is not None  # the botocore error is chained


def test_no_credentials_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = AwsCredentials().check()
    assert not result.ok
    assert "no usable AWS credentials" in result.message


def test_no_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(InvalidRequestError, match="region_name"):
        AwsCredentials().get_secrets_manager_client()


def test_region_name_on_the_block_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    creds = AwsCredentials(region_name="eu-west-1")
    assert creds.get_s3_client().meta.region_name == "eu-west-1"


def test_assumed_role_is_who_the_credentials_are() -> None:
    creds = AwsCredentials(assume_role_arn=ROLE, assume_role_session_name="nightly")
    result = creds.check()
    assert result.ok, result.message
    assert "assumed-role/etl/nightly" in result.message


def test_assumed_role_credentials_refresh_before_they_expire() -> None:
    """botocore refreshes credentials with less than 15 minutes left: with a 900 s lifetime
    every use asks STS again and gets new keys; with an hour, the first keys are kept."""
    short = AwsCredentials(assume_role_arn=ROLE, assume_role_duration_seconds=900)
    session = short.get_boto3_session()
    keys = {session.get_credentials().get_frozen_credentials().access_key for _ in range(3)}
    assert len(keys) == 3
    long = AwsCredentials(assume_role_arn=ROLE, assume_role_duration_seconds=3600)
    session = long.get_boto3_session()
    keys = {session.get_credentials().get_frozen_credentials().access_key for _ in range(3)}
    assert len(keys) == 1
    assert next(iter(keys)).startswith("ASIA")  # temporary credentials, not the base keys


def test_assume_role_without_base_credentials_fails_on_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    creds = AwsCredentials(assume_role_arn=ROLE)
    result = creds.check()
    assert not result.ok
    assert "credentials" in result.message


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("assume_role_arn", "etl-role", "assume_role_arn"),
        ("assume_role_session_name", "x", "assume_role_session_name"),
        ("assume_role_duration_seconds", 60, "assume_role_duration_seconds"),
        ("aws_client_parameters", {"endpoint_url": "localhost:5000"}, "endpoint_url"),
        ("aws_client_parameters", {"config": {"no_such_option": 1}}, "config"),
    ],
)
def test_bad_values_name_the_field(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        AwsCredentials(**{field: value})  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_botocore_config_reaches_the_client() -> None:
    creds = AwsCredentials(
        aws_client_parameters={"config": {"retries": {"max_attempts": 7, "mode": "standard"}}}
    )
    client = creds.get_s3_client()
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 8}


def test_explicit_endpoint_without_the_environment(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    creds = _explicit(moto_server, "AKIAEXPLICIT0001", "explicit-secret-1")
    creds.get_s3_client().create_bucket(Bucket="explicit-endpoint")
    names = [b["Name"] for b in creds.get_s3_client().list_buckets()["Buckets"]]
    assert names == ["explicit-endpoint"]


def test_clients_are_shared_and_created_once_under_concurrency() -> None:
    creds = AwsCredentials()
    barrier = threading.Barrier(16)
    seen: list[int] = []

    def grab() -> None:
        barrier.wait()
        seen.append(id(creds.get_client("s3")))

    threads = [threading.Thread(target=grab) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1
    assert creds.get_s3_client() is creds.get_client("s3")
    assert creds.get_sts_client() is not creds.get_s3_client()


def test_client_overrides_make_a_new_unshared_client() -> None:
    from botocore.config import Config

    creds = AwsCredentials()
    shared = creds.get_s3_client()
    custom = creds.get_client("s3", config=Config(connect_timeout=3))
    assert custom is not shared
    assert custom.meta.config.connect_timeout == 3
    assert creds.get_s3_client() is shared


def test_unknown_service_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'no-such-service'"):
        AwsCredentials().get_client("no-such-service")


def test_typed_getters_return_clients_of_their_service() -> None:
    creds = AwsCredentials()
    services = {
        creds.get_s3_client(): "s3",
        creds.get_secrets_manager_client(): "secretsmanager",
        creds.get_ssm_client(): "ssm",
        creds.get_lambda_client(): "lambda",
        creds.get_batch_client(): "batch",
        creds.get_glue_client(): "glue",
        creds.get_sts_client(): "sts",
    }
    for client, name in services.items():
        assert client.meta.service_model.service_name == name


def test_a_used_block_pickles_without_its_clients(aws_credentials: AwsCredentials) -> None:
    aws_credentials.get_s3_client()
    for dumps, loads in ((pickle.dumps, pickle.loads), (cloudpickle.dumps, cloudpickle.loads)):
        copy = loads(dumps(aws_credentials))
        assert copy.model_dump(mode="json") == aws_credentials.model_dump(mode="json")
        assert copy.aws_secret_access_key.get_secret_value() == "moto-secret-key-1234"
        assert copy._client_cache == {}
        assert copy._session is None
        assert copy.check().ok


def test_save_and_load_keep_the_secret_and_never_show_it(
    aws_credentials: AwsCredentials, headwater_home: Path
) -> None:
    aws_credentials.save("prod")
    loaded = Block.load("aws-credentials/prod")
    assert isinstance(loaded, AwsCredentials)
    assert loaded.aws_secret_access_key is not None
    assert loaded.aws_secret_access_key.get_secret_value() == "moto-secret-key-1234"
    assert "moto-secret-key-1234" not in repr(loaded)
    assert "moto-secret-key-1234" not in loaded.model_dump_json()
    for path in headwater_home.rglob("*"):
        if path.is_file():
            assert b"moto-secret-key-1234" not in path.read_bytes(), path
    assert loaded.check().ok


def test_secret_key_may_be_a_reference(monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    monkeypatch.setenv("ETL_AWS_SECRET", "from-the-environment-1")
    creds = _explicit(moto_server, "AKIAREFERENCE001", "env://ETL_AWS_SECRET")
    creds.save("by-reference")
    loaded = AwsCredentials.load("by-reference")
    assert loaded.model_dump(mode="json")["aws_secret_access_key"] == "env://ETL_AWS_SECRET"
    assert loaded.get_boto3_session().get_credentials().secret_key == "from-the-environment-1"
    assert loaded.check().ok


def test_a_profile_of_the_shared_files_is_used(
    moto_server: str,
    iam_enforced: None,
    make_iam_user: object,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    key, secret = make_iam_user("profiled")  # type: ignore[operator]
    shared = tmp_path / "credentials"
    shared.write_text(f"[etl]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    result = AwsCredentials(profile_name="etl", region_name="us-east-1").check()
    assert result.ok, result.message
    assert "user/profiled" in result.message
    missing = AwsCredentials(profile_name="no-such-profile").check()
    assert not missing.ok
    assert "no-such-profile" in missing.message


@pytest.mark.parametrize("verify", [False, "/etc/ssl/certs/ca-certificates.crt"])
def test_tls_verification_reaches_the_client(verify: bool | str) -> None:
    creds = AwsCredentials(aws_client_parameters={"verify": verify})
    # botocore keeps the setting on the client's HTTP session; no public accessor exists
    assert creds.get_s3_client()._endpoint.http_session._verify == verify


# -- the core's CredentialsSuite ------------------------------------------------------------


class TestAwsCredentialsSuite(CredentialsSuite):
    """The behaviour every CredentialsBlock must have, for AwsCredentials against moto."""

    client_args = ("sts",)

    @pytest.fixture
    def credentials(self, aws_credentials: AwsCredentials) -> AwsCredentials:
        return aws_credentials

    @pytest.fixture
    def bad_credentials(self, moto_server: str, iam_enforced: None) -> AwsCredentials:
        return _explicit(moto_server, "AKIANOSUCHKEY000", "wrong-secret-value-123")

    def call_service(self, credentials: CredentialsBlock[Any]) -> None:
        assert isinstance(credentials, AwsCredentials)
        with translate_errors("ask who is", "sts"):
            credentials.get_sts_client().get_caller_identity()
