"""AwsSecret and the Secrets Manager tasks, against a real moto server."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from headwater import flow, task
from headwater.blocks import SecretBlock
from headwater.logging import mask_secrets
from headwater.testing import SecretSuite
from headwater.testing.blocks import assert_block_conforms
from headwater.testing.reader import flow_run_logs
from headwater_aws import (
    AccessDeniedError,
    AwsCredentials,
    AwsSecret,
    InvalidRequestError,
    ResourceExistsError,
    ResourceNotFoundError,
    create_secret,
    delete_secret,
    read_secret,
    update_secret,
)

BINARY = b"\xff\x00\xfe binary \x80"


def _describe(creds: AwsCredentials, name: str) -> dict[str, Any]:
    return dict(creds.get_secrets_manager_client().describe_secret(SecretId=name))


@pytest.fixture
def secret(aws_credentials: AwsCredentials) -> AwsSecret:
    return AwsSecret(secret_name="app/db-password", aws_credentials=aws_credentials)


# -- the block -------------------------------------------------------------------------


def test_block_conforms(aws_credentials: AwsCredentials) -> None:
    assert_block_conforms(
        AwsSecret, AwsSecret(secret_name="app/db-password", aws_credentials=aws_credentials)
    )


class TestAwsSecretConforms(SecretSuite):
    """Write then read, overwrite, a missing secret, async twins: the core's suite."""

    @pytest.fixture
    def block(self, secret: AwsSecret) -> SecretBlock:
        return secret

    @pytest.fixture
    def missing_block(self, aws_credentials: AwsCredentials) -> SecretBlock:
        return AwsSecret(secret_name="never/created", aws_credentials=aws_credentials)


def test_secret_name_is_required_and_not_empty() -> None:
    with pytest.raises(ValidationError, match="secret_name"):
        AwsSecret(secret_name="")
    with pytest.raises(ValidationError, match="secret_name"):
        AwsSecret()  # type: ignore[call-arg]


def test_write_creates_the_secret_then_adds_versions(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    arn = secret.write_secret(b"first-value-1")
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:")
    assert ":secret:app/db-password-" in arn
    assert secret.write_secret(b"second-value-2") == arn
    assert secret.read_secret() == b"second-value-2"
    assert secret.read_secret(version_stage="AWSPREVIOUS") == b"first-value-1"
    client = aws_credentials.get_secrets_manager_client()
    raw = client.get_secret_value(SecretId="app/db-password")
    assert raw["SecretString"] == "second-value-2"
    assert "SecretBinary" not in raw
    versions = client.list_secret_version_ids(SecretId="app/db-password")["Versions"]
    first = next(v["VersionId"] for v in versions if "AWSPREVIOUS" in v["VersionStages"])
    assert secret.read_secret(version_id=first) == b"first-value-1"


def test_bytes_that_are_not_utf8_are_stored_as_secret_binary(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    secret.write_secret(BINARY)
    raw = aws_credentials.get_secrets_manager_client().get_secret_value(SecretId="app/db-password")
    assert raw["SecretBinary"] == BINARY
    assert "SecretString" not in raw
    assert secret.read_secret() == BINARY


def test_read_by_arn(secret: AwsSecret, aws_credentials: AwsCredentials) -> None:
    arn = secret.write_secret(b"by-arn-value")
    by_arn = AwsSecret(secret_name=arn, aws_credentials=aws_credentials)
    assert by_arn.read_secret() == b"by-arn-value"


def test_read_missing_secret_names_it(secret: AwsSecret) -> None:
    with pytest.raises(ResourceNotFoundError, match="read secret 'app/db-password'") as info:
        secret.read_secret()
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.code == "ResourceNotFoundException"


def test_read_missing_version_stage(secret: AwsSecret) -> None:
    secret.write_secret(b"only-one-version")
    with pytest.raises(ResourceNotFoundError, match="secret 'app/db-password'"):
        secret.read_secret(version_stage="AWSPREVIOUS")


def test_values_read_and_written_are_masked(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    secret.write_secret(b"written-value-abc")
    assert mask_secrets("x written-value-abc x") == "x ******** x"
    aws_credentials.get_secrets_manager_client().create_secret(
        Name="other", SecretString="created-elsewhere-xyz"
    )
    assert mask_secrets("created-elsewhere-xyz") == "created-elsewhere-xyz"
    AwsSecret(secret_name="other", aws_credentials=aws_credentials).read_secret()
    assert mask_secrets("created-elsewhere-xyz") == "********"


def test_delete_schedules_deletion_after_the_window(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    arn = secret.write_secret(b"to-be-deleted")
    assert secret.delete_secret(recovery_window_in_days=7) == arn
    scheduled = _describe(aws_credentials, "app/db-password")["DeletedDate"]  # when it goes
    assert timedelta(days=6, hours=23) < scheduled - datetime.now(UTC) <= timedelta(days=7)
    with pytest.raises(InvalidRequestError, match="read secret 'app/db-password'"):
        secret.read_secret()  # ...and no longer readable


def test_force_delete_removes_the_secret_at_once(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    secret.write_secret(b"to-be-deleted")
    secret.delete_secret(force_delete_without_recovery=True)
    with pytest.raises(ResourceNotFoundError):
        _describe_translated(aws_credentials)


def _describe_translated(creds: AwsCredentials) -> None:
    from headwater_aws.errors import translate_errors

    with translate_errors("describe", "secret"):
        _describe(creds, "app/db-password")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"recovery_window_in_days": 6}, "from 7 to 30 days, not 6"),
        ({"recovery_window_in_days": 31}, "from 7 to 30 days, not 31"),
        (
            {"recovery_window_in_days": 7, "force_delete_without_recovery": True},
            "cannot be combined with recovery_window_in_days=7",
        ),
    ],
)
def test_delete_rejects_bad_windows_before_calling_aws(
    secret: AwsSecret, aws_credentials: AwsCredentials, kwargs: dict[str, Any], message: str
) -> None:
    secret.write_secret(b"still-here")
    with pytest.raises(ValueError, match=message):
        secret.delete_secret(**kwargs)
    assert "DeletedDate" not in _describe(aws_credentials, "app/db-password")


def test_delete_rejects_a_non_integer_window(secret: AwsSecret) -> None:
    with pytest.raises(TypeError, match="whole number of days"):
        secret.delete_secret(recovery_window_in_days="7")  # type: ignore[arg-type]


def test_delete_missing_secret_names_it(secret: AwsSecret) -> None:
    # (A forced delete of a missing secret succeeds, as on AWS: it is idempotent.)
    with pytest.raises(ResourceNotFoundError, match="delete secret 'app/db-password'"):
        secret.delete_secret()


def test_block_pickles_and_works_after(secret: AwsSecret) -> None:
    secret.write_secret(b"pickled-value")  # creates clients in the credentials block
    copy = pickle.loads(pickle.dumps(secret))
    assert copy.read_secret() == b"pickled-value"


def test_save_and_load_by_slug(secret: AwsSecret) -> None:
    from headwater.blocks import Block

    secret.write_secret(b"saved-block-value")
    secret.save("db")
    loaded = Block.load("aws-secret/db")
    assert isinstance(loaded, AwsSecret)
    assert loaded.read_secret() == b"saved-block-value"


# -- access errors (moto with IAM enforcement) ---------------------------------------


def test_a_user_without_permission_gets_access_denied(
    moto_server: str,
    aws_credentials: AwsCredentials,
    iam_enforced: None,
    make_iam_user: Callable[..., tuple[str, str]],
) -> None:
    key_id, secret_key = make_iam_user("no-rights")
    creds = AwsCredentials(
        aws_access_key_id=key_id,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        aws_client_parameters={"endpoint_url": moto_server},
    )
    block = AwsSecret(secret_name="app/db-password", aws_credentials=creds)
    with pytest.raises(AccessDeniedError, match="read secret 'app/db-password'") as info:
        block.read_secret()
    assert secret_key not in str(info.value)
    assert isinstance(info.value, PermissionError)


def test_a_wrong_secret_key_gets_access_denied(
    moto_server: str, iam_enforced: None, make_iam_user: Callable[..., tuple[str, str]]
) -> None:
    key_id, _ = make_iam_user("wrong-key")
    creds = AwsCredentials(
        aws_access_key_id=key_id,
        aws_secret_access_key="not-the-right-secret-key",
        region_name="us-east-1",
        aws_client_parameters={"endpoint_url": moto_server},
    )
    with pytest.raises(AccessDeniedError, match="write secret 'x-secret'") as info:
        AwsSecret(secret_name="x-secret", aws_credentials=creds).write_secret(b"value-1")
    assert "not-the-right-secret-key" not in str(info.value)


# -- tasks in flows --------------------------------------------------------------------


def test_tasks_create_update_read_and_delete_in_a_flow(aws_credentials: AwsCredentials) -> None:
    @flow
    def manage() -> dict[str, Any]:
        created = create_secret.submit(
            "svc/token", "token-v1-aaaa", aws_credentials, Description="api token"
        ).result()
        updated = update_secret("svc/token", b"token-v2-bbbb", aws_credentials)
        previous = read_secret("svc/token", aws_credentials, version_stage="AWSPREVIOUS")
        current = read_secret("svc/token", aws_credentials)
        deleted = delete_secret("svc/token", aws_credentials, recovery_window_in_days=10)
        return {
            "created": created,
            "updated": updated,
            "previous": previous,
            "current": current,
            "deleted": deleted,
        }

    out = manage()
    created, updated, deleted = out["created"], out["updated"], out["deleted"]
    assert created["Name"] == "svc/token"
    assert set(created) == {"Name", "ARN", "VersionId"}
    assert updated["ARN"] == created["ARN"]
    assert updated["VersionId"] != created["VersionId"]
    assert (out["previous"], out["current"]) == ("token-v1-aaaa", "token-v2-bbbb")
    assert deleted["ARN"] == created["ARN"]
    window = deleted["DeletionDate"] - datetime.now(UTC)
    assert timedelta(days=9, hours=23) < window <= timedelta(days=10)
    assert _describe(aws_credentials, "svc/token")["Description"] == "api token"


def test_read_secret_maps_over_names_and_returns_binary_as_bytes(
    aws_credentials: AwsCredentials,
) -> None:
    client = aws_credentials.get_secrets_manager_client()
    client.create_secret(Name="a", SecretString="value-of-a")
    client.create_secret(Name="b", SecretBinary=BINARY)
    client.create_secret(Name="c", SecretString='{"k": 1}')

    @flow
    def read_all() -> list[str | bytes]:
        return read_secret.map(["a", "b", "c"], aws_credentials).result()

    assert read_all() == ["value-of-a", BINARY, '{"k": 1}']


def test_update_secret_keeps_the_description_unless_given(aws_credentials: AwsCredentials) -> None:
    @flow
    def pipeline() -> None:
        create_secret("svc/a", "value-one", aws_credentials, Description="kept")
        update_secret("svc/a", "value-two", aws_credentials)
        create_secret("svc/b", "value-one", aws_credentials, Description="old")
        update_secret("svc/b", "value-two", aws_credentials, description="new")

    pipeline()
    assert _describe(aws_credentials, "svc/a")["Description"] == "kept"
    assert _describe(aws_credentials, "svc/b")["Description"] == "new"


def test_task_errors_fail_the_run_with_our_errors(aws_credentials: AwsCredentials) -> None:
    @task
    def attempt(kind: str) -> object:
        if kind == "create-twice":
            create_secret.fn("dup", "value-1", aws_credentials)
            return create_secret.fn("dup", "value-2", aws_credentials)
        if kind == "update-missing":
            return update_secret.fn("missing", "value", aws_credentials)
        if kind == "delete-missing":
            return delete_secret.fn("missing", aws_credentials)
        return create_secret.fn("x", "value", aws_credentials, Name="y")

    @flow
    def run_all() -> list[Any]:
        futures = attempt.map(["create-twice", "update-missing", "delete-missing", "clash"])
        return [f.result(raise_on_failure=False) for f in futures]

    errors = run_all()
    assert isinstance(errors[0], ResourceExistsError)
    assert "create secret 'dup'" in str(errors[0])
    assert isinstance(errors[1], ResourceNotFoundError)
    assert "update secret 'missing'" in str(errors[1])
    assert isinstance(errors[2], ResourceNotFoundError)
    assert "delete secret 'missing'" in str(errors[2])
    assert isinstance(errors[3], TypeError)
    assert "may not set Name" in str(errors[3])


def test_value_read_in_a_flow_is_masked_in_printed_and_logged_output(
    secret: AwsSecret, aws_credentials: AwsCredentials
) -> None:
    aws_credentials.get_secrets_manager_client().create_secret(
        Name="app/db-password", SecretString="hunter2-from-aws"
    )

    @flow(log_prints=True)
    def show() -> None:
        value = secret.read_secret().decode()
        print(f"the password is {value}")

    show()
    logs = flow_run_logs()
    assert "the password is ********" in logs
    assert not any("hunter2-from-aws" in line for line in logs)


def test_each_field_of_a_json_secret_is_masked_too(aws_credentials: AwsCredentials) -> None:
    """Printing one field of a JSON secret (not the whole document) is masked as well."""
    import json

    from headwater_aws import create_secret, read_secret

    document = json.dumps({"user": "etl-service-user", "password": "json-field-password-7"})

    @flow(log_prints=True)
    def show() -> None:
        create_secret("app/warehouse", document, aws_credentials)
        fields = json.loads(read_secret("app/warehouse", aws_credentials))
        print(f"user {fields['user']} password {fields['password']}")

    show()
    logs = "\n".join(flow_run_logs())
    assert "user ******** password ********" in logs
    assert "json-field-password-7" not in logs
