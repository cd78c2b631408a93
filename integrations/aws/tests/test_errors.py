"""The translation of botocore errors into headwater_aws' tree, with real responses from moto."""

from __future__ import annotations

import pytest

import headwater_aws.errors as errors_module
from headwater import flow, task
from headwater.errors import HeadwaterError, TransientError
from headwater.logging import register_secret
from headwater.retries import retry_on_transient_errors
from headwater_aws import (
    AccessDeniedError,
    AwsConnectionError,
    AwsCredentials,
    AwsError,
    InvalidRequestError,
    ResourceExistsError,
    ResourceNotFoundError,
    ThrottlingError,
)
from headwater_aws.errors import error_class_for, translate_errors


def test_tree_matches_the_docstring() -> None:
    doc = errors_module.__doc__ or ""
    for name in errors_module.__all__:
        if name[0].isupper():
            assert name in doc, f"{name} is missing from the tree in errors.py"
            assert issubclass(getattr(errors_module, name), HeadwaterError)
    assert issubclass(ResourceNotFoundError, FileNotFoundError)
    assert issubclass(AccessDeniedError, PermissionError)
    assert issubclass(ThrottlingError, TransientError)
    assert issubclass(InvalidRequestError, ValueError)


def test_missing_bucket_and_key(aws_credentials: AwsCredentials, bucket: str) -> None:
    s3 = aws_credentials.get_s3_client()
    with (
        pytest.raises(ResourceNotFoundError) as info,
        translate_errors("read", "s3://nope-bucket/k"),
    ):
        s3.get_object(Bucket="nope-bucket", Key="k")
    assert info.value.code == "NoSuchBucket"
    assert "s3://nope-bucket/k" in str(info.value)
    assert "bucket does not exist" in str(info.value)
    with (
        pytest.raises(FileNotFoundError) as info2,
        translate_errors("read", f"s3://{bucket}/x.csv"),
    ):
        s3.get_object(Bucket=bucket, Key="x.csv")
    assert f"s3://{bucket}/x.csv" in str(info2.value)
    assert info2.value.__cause__ is not None


def test_head_object_404_has_a_readable_message(
    aws_credentials: AwsCredentials, bucket: str
) -> None:
    with (
        pytest.raises(ResourceNotFoundError, match=r"s3://.*/gone: Not Found \(404\)"),
        translate_errors("inspect", f"s3://{bucket}/gone"),
    ):
        aws_credentials.get_s3_client().head_object(Bucket=bucket, Key="gone")


def test_existing_secret_and_bad_parameter(aws_credentials: AwsCredentials) -> None:
    sm = aws_credentials.get_secrets_manager_client()
    sm.create_secret(Name="dup", SecretString="x")
    with pytest.raises(ResourceExistsError), translate_errors("create secret", "'dup'"):
        sm.create_secret(Name="dup", SecretString="y")
    with (
        pytest.raises(InvalidRequestError, match="invalid request"),
        translate_errors("create secret", "''"),
    ):
        sm.create_secret(Name=123, SecretString="y")  # type: ignore[arg-type]


def test_unreachable_endpoint_is_a_connection_error() -> None:
    creds = AwsCredentials(
        region_name="us-east-1",
        aws_client_parameters={
            "endpoint_url": "http://127.0.0.1:9",
            "config": {"retries": {"max_attempts": 1}, "connect_timeout": 1},
        },
    )
    with pytest.raises(AwsConnectionError) as info, translate_errors("list", "buckets"):
        creds.get_s3_client().list_buckets()
    assert isinstance(info.value, ConnectionError)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, ThrottlingError),
        ("SlowDown", 503, ThrottlingError),
        ("TooManyRequestsException", 429, ThrottlingError),
        ("RequestLimitExceeded", 400, ThrottlingError),
        ("SomethingNew", 503, ThrottlingError),
        ("NoSuchKey", 404, ResourceNotFoundError),
        ("EntityNotFoundException", 400, ResourceNotFoundError),
        ("AccessDeniedException", 400, AccessDeniedError),
        ("ExpiredToken", 400, AccessDeniedError),
        ("ValidationException", 400, InvalidRequestError),
        ("InternalError", 500, AwsError),
    ],
)
def test_error_codes_map_to_classes(code: str, status: int, expected: type[AwsError]) -> None:
    assert error_class_for(code, status) is expected


def test_throttling_is_retried_and_other_errors_are_not() -> None:
    """``retry_on_transient_errors`` lets a task retry throttling (moto never throttles, so the
    task raises the error its translation would give) and fail at once on access denied."""
    attempts = {"throttled": 0, "denied": 0}

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_on_transient_errors)
    def throttled() -> str:
        attempts["throttled"] += 1
        if attempts["throttled"] < 3:
            raise ThrottlingError("list s3://b: Rate exceeded (ThrottlingException)")
        return "ok"

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_on_transient_errors)
    def denied() -> None:
        attempts["denied"] += 1
        raise AccessDeniedError("list s3://b: Access Denied (AccessDenied)")

    @flow
    def pipeline() -> str:
        result = throttled()
        state = denied(return_state=True)
        assert state.is_failed()
        return result

    assert pipeline() == "ok"
    assert attempts == {"throttled": 3, "denied": 1}


def test_messages_pass_through_the_secret_masker() -> None:
    register_secret("leaked-secret-value-42")
    error = AwsError("call failed with leaked-secret-value-42 inside", code="X")
    assert "leaked-secret-value-42" not in str(error)
    assert "********" in str(error)


def test_non_aws_exceptions_pass_through_untouched() -> None:
    with pytest.raises(KeyError), translate_errors("do", "thing"):
        raise KeyError("mine")


def test_core_bases_catch_aws_errors_from_moto(
    aws_credentials: AwsCredentials, bucket: str
) -> None:
    """Vendor-neutral code catches the core classes; an AWS error raised by moto is one."""
    import headwater.errors as core

    s3 = aws_credentials.get_s3_client()
    with (
        pytest.raises(core.ResourceNotFoundError) as info,
        translate_errors("read", f"s3://{bucket}/missing"),
    ):
        s3.get_object(Bucket=bucket, Key="missing")
    assert isinstance(info.value, AwsError)
    assert isinstance(info.value, core.ServiceError)
    assert info.value.code == "NoSuchKey"
    assert info.value.resource == f"s3://{bucket}/missing"
    secrets = aws_credentials.get_secrets_manager_client()
    secrets.create_secret(Name="twice", SecretString="x")
    with (
        pytest.raises(core.ResourceExistsError),
        translate_errors("create secret", "twice"),
    ):
        secrets.create_secret(Name="twice", SecretString="x")


def test_aws_classes_are_the_core_ones_too() -> None:
    import headwater.errors as core
    from headwater_aws import JobFailedError, JobTimeoutError

    assert issubclass(AwsError, core.ServiceError)
    assert issubclass(ResourceNotFoundError, core.ResourceNotFoundError)
    assert issubclass(ResourceExistsError, core.ResourceExistsError)
    assert issubclass(AccessDeniedError, core.AccessDeniedError)
    assert issubclass(ThrottlingError, core.ThrottledError)
    assert issubclass(AwsConnectionError, core.ServiceUnreachableError)
    assert issubclass(JobFailedError, core.JobFailedError)
    assert issubclass(JobTimeoutError, core.JobTimeoutError)
