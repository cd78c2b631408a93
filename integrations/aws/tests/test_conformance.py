"""The core's block conformance suite over every block of headwater-aws."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.blocks import Block
from headwater.testing.blocks import assert_block_conforms
from headwater_aws import (
    AwsCredentials,
    AwsSecret,
    BatchJob,
    GlueJob,
    LambdaFunction,
    S3Bucket,
)


def _credentials() -> AwsCredentials:
    return AwsCredentials(
        aws_access_key_id="AKIACONFORMANCE01",
        aws_secret_access_key="conformance-secret-1",
        aws_session_token="conformance-token-1",
        region_name="eu-west-1",
        assume_role_arn="arn:aws:iam::123456789012:role/etl",
        assume_role_external_id="conformance-external-1",
    )


EXAMPLES: dict[type[Block], Block] = {
    AwsCredentials: _credentials(),
    S3Bucket: S3Bucket(
        bucket_name="conformance-bucket", bucket_folder="raw", credentials=_credentials()
    ),
    AwsSecret: AwsSecret(secret_name="prod/db", aws_credentials=_credentials()),
    LambdaFunction: LambdaFunction(function_name="resize", aws_credentials=_credentials()),
    BatchJob: BatchJob(
        job_name="nightly",
        job_queue="default-queue",
        job_definition="etl-def",
        aws_credentials=_credentials(),
    ),
    GlueJob: GlueJob(job_name="etl-glue", aws_credentials=_credentials()),
}


@pytest.mark.parametrize("block_cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_block_conforms(block_cls: type[Block], headwater_home: Path) -> None:
    assert_block_conforms(block_cls, EXAMPLES[block_cls])


def test_nested_credentials_are_stored_by_reference(headwater_home: Path) -> None:
    """Rotating a saved credentials block updates every block that uses it."""
    creds = _credentials()
    creds.save("shared")
    S3Bucket(bucket_name="rotating-bucket", credentials=AwsCredentials.load("shared")).save("data")
    rotated = AwsCredentials.load("shared")
    rotated.aws_secret_access_key = "rotated-secret-2"  # type: ignore[assignment]
    rotated.save("shared", overwrite=True)
    bucket = S3Bucket.load("data")
    assert bucket.credentials.aws_secret_access_key is not None
    assert bucket.credentials.aws_secret_access_key.get_secret_value() == "rotated-secret-2"
